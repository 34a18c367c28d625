// Each aggregate kind at its window boundaries, with equal timestamps, out-of-order events,
// pruning, and the current event's contribution.

import SentinelModel
import SentinelState
import Testing

@Suite struct AggregateStateTests {
  static let minute = 60 * secondNanos

  // MARK: - count

  @Test func countWindowBoundaries() {
    let spec = AggregateSpec(name: "n", kind: .count, windowNanos: Self.minute)
    let s = state(spec, [(at(0), .null), (at(30), .null)])
    // Exactly W later: the entry at 0 is out; W − 1 ns later: in.
    #expect(s.before(spec, at: at(60)) == ["1"])
    #expect(s.before(spec, at: at(59, 999_999_999)) == ["2"])
    // The current event counts when included.
    #expect(show(s.read(spec, at: at(60), current: .null, probe: nil)) == ["2"])
    let excluding = AggregateSpec(name: "n", kind: .count, windowNanos: Self.minute, includeCurrent: false)
    #expect(show(s.read(excluding, at: at(60), current: .null, probe: nil)) == ["1"])
    // Not contributing: nothing added.
    #expect(show(s.read(spec, at: at(60), current: nil, probe: nil)) == ["1"])
  }

  @Test func countEqualTimestampsAndLaterEntries() {
    let spec = AggregateSpec(name: "n", kind: .count, windowNanos: Self.minute)
    let s = state(spec, [(at(10), .null), (at(10), .null), (at(20), .null)])
    #expect(s.before(spec, at: at(10)) == ["2"], "entries at a later time are not in the window at t")
    #expect(s.before(spec, at: at(20)) == ["3"])
    #expect(s.before(spec, at: at(70)) == ["1"])
  }

  @Test func countUnbounded() {
    let spec = AggregateSpec(name: "n", kind: .count)
    let s = state(spec, (0..<1000).map { (at(Int64($0) * 3600), Value.null) })
    #expect(s.before(spec, at: at(0)) == ["1000"], "unbounded aggregates hold every recorded entry")
    #expect(s.retainedCount == 1)
  }

  // MARK: - sum

  @Test func sumWindowAndTypes() {
    let ints = AggregateSpec(name: "s", kind: .sum, windowNanos: Self.minute, valueType: .int)
    let s = state(ints, [(at(0), .int(5)), (at(1), .int(7))])
    #expect(s.before(ints, at: at(60)) == ["7"])
    #expect(s.before(ints, at: at(59, 999_999_999)) == ["12"])
    #expect(show(s.read(ints, at: at(60), current: .int(1), probe: nil)) == ["8"])
    let doubles = AggregateSpec(name: "s", kind: .sum, windowNanos: Self.minute, valueType: .double)
    let d = state(doubles, [(at(0), .double(0.5)), (at(1), .int(2))])
    #expect(d.before(doubles, at: at(1)) == ["2.5"])
    #expect(d.before(doubles, at: at(100)) == ["0.0"])
  }

  @Test func sumIntOverflowIsAnError() {
    for window: Int64? in [nil, Self.minute] {
      let spec = AggregateSpec(name: "s", kind: .sum, windowNanos: window, valueType: .int)
      let s = state(spec, [(at(0), .int(.max)), (at(1), .int(1))])
      let r = s.read(spec, at: at(1), current: nil, probe: nil)
      guard case .error(let e)? = r[0] else {
        Issue.record("expected an overflow error, got \(show(r))")
        continue
      }
      #expect(e.kind == .overflow)
      // Near the limit but not over: exact.
      let t = state(spec, [(at(0), .int(.max - 1))])
      #expect(show(t.read(spec, at: at(0), current: .int(1), probe: nil)) == [String(Int64.max)])
    }
  }

  @Test func sumIgnoresNonNumbersAndReportsThemInTheReading() {
    let spec = AggregateSpec(name: "s", kind: .sum, valueType: .double)
    var s = state(spec, [(at(0), .double(1))])
    s.apply(spec, at: at(1), value: .string("x"))
    #expect(s.before(spec, at: at(2)) == ["1.0"])
    #expect(s.newest == at(0), "an ignored value changes nothing")
    if case .error? = s.read(spec, at: at(2), current: .string("x"), probe: nil)[0] {
    } else {
      Issue.record("a non-number current value makes the reading an error")
    }
  }

  // MARK: - distinct

  @Test func distinctWindowKeepsLatestTimePerValue() {
    let spec = AggregateSpec(name: "d", kind: .distinct, windowNanos: 10 * Self.minute)
    let s = state(
      spec,
      [(at(0), .string("a")), (at(100), .string("b")), (at(200), .string("a")), (at(300), .string("c"))])
    #expect(s.retainedCount == 3)
    #expect(s.before(spec, at: at(600)) == ["3"])
    #expect(s.before(spec, at: at(700)) == ["2"], "b (100) is exactly W before 700")
    #expect(s.before(spec, at: at(699, 999_999_999)) == ["3"])
    // The current value counts once, whether or not it was seen.
    #expect(show(s.read(spec, at: at(700), current: .string("a"), probe: nil)) == ["2"])
    #expect(show(s.read(spec, at: at(700), current: .string("b"), probe: nil)) == ["3"])
    #expect(show(s.read(spec, at: at(700), current: .string("z"), probe: nil)) == ["3"])
  }

  @Test func distinctUsesCanonicalKeys() {
    let spec = AggregateSpec(name: "d", kind: .distinct)
    let s = state(spec, [(at(0), .int(1)), (at(1), .uint(1)), (at(2), .double(1)), (at(3), .string("1"))])
    #expect(s.before(spec, at: at(3)) == ["2"], "1, 1u and 1.0 are one value; \"1\" another")
  }

  // MARK: - last

  @Test func lastWindowed() {
    let spec = AggregateSpec(name: "l", kind: .last, windowNanos: Self.minute)
    let s = state(spec, [(at(0), .string("a")), (at(30), .string("b")), (at(30), .string("c"))])
    #expect(
      s.before(spec, at: at(30)) == ["\"c\"", "timestamp(\"\(at(30))\")"], "processing order breaks ties")
    #expect(
      s.before(spec, at: at(20)) == ["\"a\"", "timestamp(\"\(at(0))\")"], "later times are not in the window")
    #expect(s.before(spec, at: at(90)) == ["-", "-"], "exactly W later: gone")
    #expect(s.before(spec, at: at(89, 999_999_999)) == ["\"c\"", "timestamp(\"\(at(30))\")"])
    #expect(AggregateState(kind: .last).before(spec, at: at(0)) == ["-", "-"])
  }

  @Test func lastUnboundedAndCurrent() {
    let spec = AggregateSpec(name: "l", kind: .last)
    let s = state(spec, [(at(5), .int(1)), (at(3), .int(2))])
    #expect(s.before(spec, at: at(9)) == ["2", "timestamp(\"\(at(3))\")"], "most recent by processing order")
    #expect(s.retainedCount == 1)
    let including = AggregateSpec(name: "l", kind: .last, includeCurrent: true)
    #expect(
      show(s.read(including, at: at(9), current: .int(7), probe: nil)) == ["7", "timestamp(\"\(at(9))\")"])
  }

  // MARK: - stats

  @Test func statsEqualValuesHaveZeroDeviation() {
    for window: Int64? in [nil, 1000 * Self.minute] {
      let spec = AggregateSpec(name: "x", kind: .stats, windowNanos: window, includeCurrent: false)
      for v in [0.1, 1e-300, 123_456.789, 9500, 1.0 / 3.0, -7.25] {
        let s = state(spec, (0..<50).map { (at(Int64($0)), Value.double(v)) })
        let r = s.read(spec, at: at(60), current: nil, probe: nil)
        #expect(
          show(r) == ["50", Value.render(.double(v)), "0.0"],
          "window \(String(describing: window)), value \(v)")
      }
    }
  }

  @Test func statsMatchesTwoPassFormulas() {
    let spec = AggregateSpec(name: "x", kind: .stats, includeCurrent: false)
    let xs: [Double] = [100, 120.5, 80, 95.25, 110, 99.99, 101, 87, 130, 105]
    let s = state(spec, xs.enumerated().map { (at(Int64($0.offset)), Value.double($0.element)) })
    let mean = xs.reduce(0, +) / Double(xs.count)
    let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)).squareRoot()
    let r = s.read(spec, at: at(20), current: nil, probe: nil)
    guard case .double(let m)? = r[1], case .double(let d)? = r[2] else {
      Issue.record("expected doubles, got \(show(r))")
      return
    }
    #expect(abs(m - mean) <= 1e-12 * mean)
    #expect(abs(d - sd) <= 1e-9 * sd)
    #expect(
      show(AggregateState(kind: .stats).read(spec, at: at(0), current: nil, probe: nil)) == ["0", "-", "-"])
  }

  @Test func statsWindowBoundaries() {
    let spec = AggregateSpec(name: "x", kind: .stats, windowNanos: Self.minute)
    let s = state(spec, [(at(0), .double(1)), (at(10), .double(3))])
    #expect(s.before(spec, at: at(59, 999_999_999)) == ["2", "2.0", "1.0"])
    #expect(s.before(spec, at: at(60)) == ["1", "3.0", "0.0"])
    #expect(show(s.read(spec, at: at(60), current: .int(5), probe: nil)) == ["2", "4.0", "1.0"])
  }

  // MARK: - seen

  @Test func seenWindowedAndUnbounded() {
    let windowed = AggregateSpec(name: "s", kind: .seen, windowNanos: Self.minute)
    let s = state(windowed, [(at(0), .string("d1"))])
    #expect(s.before(windowed, at: at(59, 999_999_999), probe: .string("d1")) == ["true"])
    #expect(s.before(windowed, at: at(60), probe: .string("d1")) == ["false"])
    #expect(s.before(windowed, at: at(1), probe: .string("d2")) == ["false"])
    #expect(s.before(windowed, at: at(1), probe: nil) == ["-"])
    let unbounded = AggregateSpec(name: "s", kind: .seen)
    let u = state(unbounded, [(at(0), .string("d1"))])
    #expect(u.before(unbounded, at: at(1_000_000), probe: .string("d1")) == ["true"])
    // The current event only counts when included.
    #expect(show(u.read(unbounded, at: at(1), current: .string("d2"), probe: .string("d2"))) == ["false"])
    let including = AggregateSpec(name: "s", kind: .seen, includeCurrent: true)
    #expect(show(u.read(including, at: at(1), current: .string("d2"), probe: .string("d2"))) == ["true"])
  }

  // MARK: - Pruning

  @Test func pruningKeepsMemoryBounded() {
    for kind in AggregateKind.allCases {
      let spec = AggregateSpec(name: "p", kind: kind, windowNanos: Self.minute)
      var s = AggregateState(kind: kind)
      var maxRetained = 0
      for i in 0..<4000 {
        let t = at(Int64(i / 2), Int64(i % 2) * 500_000_000)  // two events per second
        let value: Value = kind == .count ? .null : .int(Int64(i % 1000))
        s.apply(spec, at: t, value: value)
        maxRetained = max(maxRetained, s.retainedCount)
      }
      // (t − 60 s, t] at two per second holds at most 120 entries.
      #expect(maxRetained <= 120, "\(kind) retained \(maxRetained)")
    }
  }

  @Test func lateEventsSeePrunedState() {
    // Documented: once newest − W passes an entry, it is gone, even for a late event's window.
    let spec = AggregateSpec(name: "n", kind: .count, windowNanos: Self.minute)
    let s = state(spec, [(at(0), .null), (at(100), .null)])
    #expect(s.retainedCount == 1)
    #expect(s.before(spec, at: at(30)) == ["0"])
  }

  // MARK: - Kind and window changes

  @Test func readingThroughAnotherSpec() {
    let windowed = AggregateSpec(name: "n", kind: .count, windowNanos: Self.minute)
    let unbounded = AggregateSpec(name: "n", kind: .count)
    let w = state(windowed, [(at(0), .null), (at(10), .null)])
    #expect(w.before(unbounded, at: at(100)) == ["2"], "windowed read unbounded: all retained entries")
    let u = state(unbounded, [(at(0), .null)])
    #expect(u.before(windowed, at: at(0)) == ["0"], "unbounded read windowed: no times, so empty")
    var converted = w
    converted.apply(unbounded, at: at(20), value: .null)
    #expect(converted.before(unbounded, at: at(20)) == ["3"])
    let other = AggregateSpec(name: "n", kind: .sum, valueType: .int)
    #expect(w.before(other, at: at(10)) == ["0"], "a state of another kind reads as empty")
    var reset = w
    reset.apply(other, at: at(20), value: .int(4))
    #expect(reset.kind == .sum)
    #expect(reset.before(other, at: at(20)) == ["4"])
  }
}
