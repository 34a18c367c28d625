// The inline storage forms (`Storage.oneValue`, `Storage.fewTimes`) against the forms they stand
// for: a state kept in those forms after every step (`.valueSet`, `.entries`: the path every
// state took before the inline forms) and a state left to use them must read the same, compare
// equal and encode to the same bytes at every step — over random streams, out of order, with the
// window mode and the kind changing now and then.

import SentinelModel
import Testing

@testable import SentinelState

@Suite struct AggregateStateInlineFormTests {
  @Test(arguments: [false, true])
  func inlineFormsActAsTheFormsTheyStandFor(outOfOrder: Bool) throws {
    var rng = SplitMix64(seed: outOfOrder ? 23 : 19)
    let specs = AggregateStateDifferentialTests.specs()
    var inlineSteps = 0
    for spec in specs {
      for _ in 0..<3 {
        var inline = AggregateState(kind: spec.kind)
        var canonical = AggregateState(kind: spec.kind)
        var clock: Int64 = 0
        for step in 0..<80 {
          clock += Int64(rng.next() % 4) * 500_000_000
          var time = clock
          if outOfOrder && rng.next() % 4 == 0 { time -= Int64(rng.next() % 12) * 1_000_000_000 }
          let t = at(0, time)
          // Now and then another spec: the window mode or the kind changes.
          let applied = rng.next() % 16 == 0 ? specs[Int(rng.next() % UInt64(specs.count))] : spec
          let value = AggregateStateDifferentialTests.randomValue(applied.kind, applied, &rng)
          let probe = AggregateStateDifferentialTests.randomValue(spec.kind, spec, &rng)
          let current: Value? = rng.next() % 2 == 0 ? value : nil
          let want = show(canonical.read(spec, at: t, current: current, probe: probe))
          guard show(inline.read(spec, at: t, current: current, probe: probe)) == want else {
            Issue.record("\(spec) step \(step): the inline state reads otherwise")
            return
          }
          if spec.kind == .count {
            var a = spec
            var b = spec
            guard
              inline.countInPlace(&a, at: t, current: current != nil)
                == canonical.countInPlace(&b, at: t, current: current != nil)
            else {
              Issue.record("\(spec) step \(step): countInPlace differs")
              return
            }
          }
          let key = ValueKey.encode(value)
          var seenSpec = applied
          if applied.kind == .seen && applied.windowNanos == nil, let k = key, rng.next() % 2 == 0 {
            // The runtime's fused path for `seen`, on both.
            var other = applied
            let got = inline.readAndApplySeen(&seenSpec, at: t, key: k)
            let reference = canonical.readAndApplySeen(&other, at: t, key: k)
            guard got == reference else {
              Issue.record("\(spec) step \(step): readAndApplySeen \(String(describing: got))")
              return
            }
            if got == nil {
              inline.apply(applied, at: t, value: value, valueKey: k)
              canonical.apply(applied, at: t, value: value, valueKey: k)
            }
          } else {
            inline.apply(applied, at: t, value: value, valueKey: key)
            canonical.apply(applied, at: t, value: value, valueKey: key)
          }
          canonical.storage = canonical.storage.canonical
          if inline.storage.isInline { inlineSteps += 1 }
          guard inline == canonical, canonical == inline else {
            Issue.record("\(spec) step \(step): the states differ")
            return
          }
          guard inline.encoded() == canonical.encoded(), inline.retainedCount == canonical.retainedCount
          else {
            Issue.record("\(spec) step \(step): the inline state encodes otherwise")
            return
          }
          guard try AggregateState(decoding: inline.encoded()) == inline else {
            Issue.record("\(spec) step \(step): the inline state does not round-trip")
            return
          }
        }
      }
    }
    #expect(inlineSteps > 200)
  }

  /// `lastInPlace`, `statsInPlace` and `distinctInPlace` (the runtime's paths for unbounded
  /// `last` and `stats`, and for `distinct` read as empty, `StateCache.read`) against `reading`: the same values where they apply; where they do not
  /// (another kind, a window, a state kept in another form), false and nothing written (a nil
  /// from `statsInPlace` only sends the caller to `readInPlace`).
  @Test func inPlaceReadersReadAsReading() {
    var rng = SplitMix64(seed: 29)
    let specs = AggregateStateDifferentialTests.specs()
    var lastApplied = 0
    var statsApplied = 0
    var distinctApplied = 0
    for spec in specs {
      var s = AggregateState(kind: spec.kind)
      var clock: Int64 = 0
      for step in 0..<60 {
        clock += Int64(rng.next() % 4) * 500_000_000
        let t = at(0, clock)
        // Now and then another spec: the window mode or the kind changes.
        let other = rng.next() % 8 == 0 ? specs[Int(rng.next() % UInt64(specs.count))] : spec
        let value = AggregateStateDifferentialTests.randomValue(other.kind, other, &rng)
        let current: Value? =
          rng.next() % 2 == 0
          ? (rng.next() % 8 == 0
            ? .string("x") : AggregateStateDifferentialTests.randomValue(spec.kind, spec, &rng))
          : nil
        let want = show(s.reading(spec, at: t, current: current, probe: current).values)
        var inPlace = spec
        let untouched: [Value?] = [.string("old"), .int(7), .map(MapValue())]
        var slots = untouched
        let unboundedLast = spec.kind == .last && spec.windowNanos == nil && s.kind == .last
        if s.lastInPlace(&inPlace, at: t, current: current, into: &slots, 0, 2) {
          lastApplied += 1
          guard unboundedLast, show([slots[0], slots[2]]) == want, show([slots[1]]) == show([untouched[1]])
          else {
            Issue.record("\(spec) step \(step): lastInPlace \(show(slots)), reading \(want)")
            return
          }
        } else {
          guard show(slots) == show(untouched), !unboundedLast || !(s.isEmpty || s.isLatest)
          else {
            Issue.record("\(spec) step \(step): lastInPlace did not apply, or wrote")
            return
          }
        }
        if let r = s.statsInPlace(&inPlace, at: t, current: current) {
          statsApplied += 1
          let got: [Value?] = [
            .int(r.count), r.count > 0 ? .double(r.mean) : nil, r.count > 0 ? .double(r.deviation) : nil,
          ]
          guard spec.kind == .stats, spec.windowNanos == nil, show(got) == want else {
            Issue.record("\(spec) step \(step): statsInPlace \(show(got)), reading \(want)")
            return
          }
        }
        if spec.kind == .distinct,
          let n = s.distinctInPlace(
            &inPlace, at: t, current: current, currentKey: current.flatMap(ValueKey.encode))
        {
          distinctApplied += 1
          guard show([.int(n)]) == want else {
            Issue.record("\(spec) step \(step): distinctInPlace \(n), reading \(want)")
            return
          }
        }
        if rng.next() % 4 != 0 { s.apply(other, at: t, value: value) }
      }
    }
    #expect(lastApplied > 100 && statsApplied > 100 && distinctApplied > 100)
  }

  /// The inline forms' bytes are the forms' they stand for, byte for byte.
  @Test func inlineFormsEncodeAsTheFormsTheyStandFor() {
    let count = AggregateSpec(name: "c", kind: .count, windowNanos: 60 * secondNanos)
    var c = AggregateState(kind: .count)
    c.apply(count, at: at(1), value: .null)
    #expect(c.storage.isInline)
    var expected = AggregateState(kind: .count)
    expected.newest = at(1)
    expected.storage = .entries([Entry(time: at(1), value: .null)])
    #expect(c.encoded() == expected.encoded())
    c.apply(count, at: at(0, 5), value: .null)
    #expect(c.storage.isInline)
    expected.storage = .entries([Entry(time: at(1), value: .null), Entry(time: at(0, 5), value: .null)])
    #expect(c.encoded() == expected.encoded())
    c.apply(count, at: at(2), value: .null)
    #expect(!c.storage.isInline)

    let seen = AggregateSpec(name: "s", kind: .seen)
    var s = AggregateState(kind: .seen)
    s.apply(seen, at: at(1), value: .string("d"))
    #expect(s.storage.isInline)
    var one = AggregateState(kind: .seen)
    one.newest = at(1)
    one.storage = .valueSet([ValueKey.encode(.string("d")) ?? ""])
    #expect(s.encoded() == one.encoded())
    #expect(s == one)
  }

  /// The size the cache's slots are laid out for (`AggregateState`'s NOTE: the two times as their
  /// parts, the kind last): a state that grows past it takes a slot of 64 bytes or more per
  /// aggregate and key again.
  @Test func aStateFitsItsSlot() {
    #expect(MemoryLayout<AggregateState>.size <= 51)
    #expect(MemoryLayout<AggregateState>.stride <= 56)
  }
}
