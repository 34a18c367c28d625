// The binary form: random states round-trip and encode canonically; truncated, mutated and
// hand-made malformed bytes throw a precise error and never trap.

import SentinelModel
import SentinelState
import Testing

@Suite struct AggregateStateEncodingTests {
  /// A random value of any shape, nested a little.
  static func anyValue(_ rng: inout SplitMix64, depth: Int = 0) -> Value {
    switch rng.next() % (depth > 2 ? 10 : 14) {
    case 0: return .null
    case 1: return .bool(rng.next() % 2 == 0)
    case 2: return .int(Int64(bitPattern: rng.next()))
    case 3: return .uint(rng.next())
    case 4: return .double(Double(bitPattern: rng.next()))
    case 5: return .string(["", "a", "é", "user-42", "\u{0}x", "🦊"][Int(rng.next() % 6)])
    case 6: return .bytes((0..<Int(rng.next() % 5)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    case 7:
      return .timestamp(
        Timestamp(seconds: Int64(rng.next() % 4_000_000_000), nanos: Int32(rng.next() % 1_000_000_000)))
    case 8: return .duration(Duration(seconds: -5, nanos: -7))
    case 9: return .error(CELError(.divideByZero, "division by zero"))
    case 10: return .list((0..<Int(rng.next() % 3)).map { _ in anyValue(&rng, depth: depth + 1) })
    case 11:
      var m = MapValue()
      m.insert(.string("k"), anyValue(&rng, depth: depth + 1))
      m.insert(.int(3), anyValue(&rng, depth: depth + 1))
      return .map(m)
    case 12: return .type(.map(.string, .list(.opaque("x", [.typeParam("T")]))))
    default: return rng.next() % 2 == 0 ? .optional(nil) : .optional(anyValue(&rng, depth: depth + 1))
    }
  }

  /// A random state: random specs and events, so every storage form appears.
  static func randomState(_ rng: inout SplitMix64) -> (AggregateState, AggregateSpec) {
    let kind = AggregateKind.allCases[Int(rng.next() % 6)]
    let window: Int64? = rng.next() % 2 == 0 ? nil : Int64(rng.next() % 100) * secondNanos
    let spec = AggregateSpec(
      name: "r", kind: kind, windowNanos: window, valueType: rng.next() % 2 == 0 ? .int : .double)
    var s = AggregateState(kind: kind)
    for i in 0..<Int(rng.next() % 40) {
      let value: Value
      switch kind {
      case .sum, .stats:
        value =
          rng.next() % 2 == 0
          ? .int(Int64(bitPattern: rng.next()) >> 2) : .double(Double(bitPattern: rng.next()))
      default: value = anyValue(&rng)
      }
      s.apply(spec, at: at(Int64(i) * Int64(rng.next() % 5), Int64(rng.next() % 1000)), value: value)
    }
    return (s, spec)
  }

  @Test func randomStatesRoundTrip() throws {
    var rng = SplitMix64(seed: 11)
    for _ in 0..<1000 {
      let (s, spec) = Self.randomState(&rng)
      let bytes = s.encoded()
      let back = try AggregateState(decoding: bytes)
      #expect(back == s)
      #expect(back.encoded() == bytes, "canonical: re-encoding gives the same bytes")
      let t = at(200)
      #expect(
        show(back.read(spec, at: t, current: nil, probe: .string("a")))
          == show(s.read(spec, at: t, current: nil, probe: .string("a"))))
    }
  }

  @Test func equalStatesBuiltInDifferentOrdersEncodeEqually() {
    let spec = AggregateSpec(name: "d", kind: .distinct)
    let a = state(spec, [(at(0), .string("x")), (at(1), .string("y"))])
    let b = state(spec, [(at(0), .string("y")), (at(1), .string("x"))])
    #expect(a == b)
    #expect(a.encoded() == b.encoded())
  }

  @Test func truncationsAndMutationsThrowAndNeverTrap() {
    var rng = SplitMix64(seed: 5)
    for _ in 0..<100 {
      let bytes = Self.randomState(&rng).0.encoded()
      for n in 0..<bytes.count {
        #expect(throws: AggregateStateDecodingError.self) {
          try AggregateState(decoding: Array(bytes[0..<n]))
        }
      }
      for _ in 0..<20 {
        var m = bytes
        let i = Int(rng.next() % UInt64(m.count))
        m[i] = UInt8(truncatingIfNeeded: rng.next())
        _ = try? AggregateState(decoding: m)  // may decode (a different valid state) or throw
      }
      #expect(throws: AggregateStateDecodingError.self) { try AggregateState(decoding: bytes + [0]) }
    }
  }

  @Test func malformedBytesGivePreciseErrors() {
    func message(_ bytes: [UInt8]) -> String {
      do {
        _ = try AggregateState(decoding: bytes)
        return "decoded"
      } catch {
        return error.description
      }
    }
    // Little-endian fixed-width fields, as in SentinelBytecode's `ByteWriter`.
    func u32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    func i64(_ v: Int64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * Int64($0))) } }
    let epoch = i64(0) + u32(0)  // a time: seconds i64, nanoseconds u32
    #expect(message([]) == "malformed aggregate state at byte 0: unexpected end of data")
    #expect(message([9]) == "malformed aggregate state at byte 0: unsupported format version 9 (expected 2)")
    // Version 1 (varints, the state's own codec) is refused, not misread.
    #expect(
      message([1, 1, 0, 1, 3])
        == "malformed aggregate state at byte 0: unsupported format version 1 (expected 2)")
    #expect(message([2, 77]) == "malformed aggregate state at byte 1: unknown aggregate kind 77")
    #expect(
      message([2, 1, 0, 2])
        == "malformed aggregate state at byte 3: storage sum does not fit a count aggregate")
    #expect(message([2, 1, 0, 1] + i64(-1)) == "malformed aggregate state at byte 4: negative count -1")
    #expect(
      message([2, 1, 0, 1] + i64(3) + [0])
        == "malformed aggregate state at byte 12: 1 trailing bytes")
    // A time outside 0001…9999, or with nanoseconds of 10⁹ or more.
    #expect(
      message([2, 4, 1] + i64(Int64.max) + u32(0))
        == "malformed aggregate state at byte 3: timestamp out of range")
    #expect(
      message([2, 4, 1] + i64(0) + u32(1_000_000_000))
        == "malformed aggregate state at byte 3: timestamp out of range")
    // A list claiming more elements than there are bytes: rejected before allocating.
    #expect(
      message([2, 4, 0, 4] + epoch + [7] + u32(0xffff_ffff))
        == "malformed aggregate state at byte 17: list element count 4294967295 exceeds the remaining data")
    // More entries than there are bytes.
    #expect(
      message([2, 1, 0, 6] + u32(1 << 30))
        == "malformed aggregate state at byte 4: entry count 1073741824 exceeds the remaining data")
    // Invalid UTF-8 in a value key.
    #expect(
      message([2, 3, 0, 5] + u32(1) + u32(1) + [0xff])
        == "malformed aggregate state at byte 8: string is not valid UTF-8")
    // Value keys out of the canonical order.
    #expect(
      message([2, 3, 0, 5] + u32(2) + u32(1) + [0x62] + u32(1) + [0x61])
        == "malformed aggregate state at byte 13: value keys not in strictly increasing order")
    // A sum entry that is not a number (null: value tag 0).
    #expect(
      message([2, 2, 1] + epoch + [6] + u32(1) + epoch + [0])
        == "malformed aggregate state at byte 32: sum entry is not a number")
    // Deep nesting is bounded (value tag 13: optional with a value).
    let deep: [UInt8] = [2, 4, 0, 4] + epoch + Array(repeating: 13, count: 100) + [0]
    #expect(message(deep).contains("nested deeper than 64"))
  }
}
