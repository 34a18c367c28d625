// `MapValue` without an index while small (Value.swift, "small maps"): every lookup agrees with
// a reference model of CEL's map semantics (keys bool, int, uint, string; int and uint compare
// across, an integral double finds an integer key) on random maps of 0 to 24 entries, below and
// across `MapValue.smallCount`, built by `insert` and `set`.

import SentinelModel
import Testing

@Suite struct MapValueTests {
  /// The reference: the key a value denotes, as CEL compares map keys.
  static func canonical(_ v: Value) -> String? {
    switch v {
    case .bool(let b): return "b\(b)"
    case .int(let i): return "n\(i)"
    case .uint(let u): return u <= UInt64(Int64.max) ? "n\(u)" : "u\(u)"
    case .string(let s): return "s" + s
    case .double(let d):
      guard d.isFinite, d == d.rounded(.towardZero) else { return nil }
      if d >= -9.223372036854775808e18 && d < 9.223372036854775808e18 { return "n\(Int64(d))" }
      if d >= 0 && d < 1.8446744073709551616e19 { return "u\(UInt64(d))" }
      return nil
    default: return nil
    }
  }

  static func randomKey(_ rng: inout SplitMix) -> Value {
    switch rng.next() % 6 {
    case 0: return .bool(rng.next() % 2 == 0)
    case 1: return .int(Int64(rng.next() % 12) - 3)
    case 2: return .uint(rng.next() % 12)
    case 3: return .double(Double(Int64(rng.next() % 12) - 3) + (rng.next() % 4 == 0 ? 0.5 : 0))
    case 4:
      return .string(
        ["lat", "lon", "a", "b", "é", "e\u{301}", "", "long key beyond 15 bytes"][Int(rng.next() % 8)])
    default: return .null
    }
  }

  @Test(arguments: 0..<40)
  func lookupsAgreeWithTheModel(seed: Int) {
    var rng = SplitMix(seed: UInt64(seed) &* 0x1234_5678_9ABC)
    let size = Int(rng.next() % 25)
    var map = seed % 3 == 0 ? MapValue(minimumCapacity: size) : MapValue()
    var model: [String: Value] = [:]
    var order: [String] = []
    for n in 0..<(size * 2) {
      let key = Self.randomKey(&rng)
      let value = Value.int(Int64(n))
      let k = key.isDouble ? nil : Self.canonical(key)
      if rng.next() % 3 == 0 {
        map.set(key, value)
        if let k {
          if model[k] == nil { order.append(k) }
          model[k] = value
        }
      } else {
        let inserted = map.insert(key, value)
        #expect(inserted == (k != nil && model[k ?? ""] == nil), "insert \(key)")
        if inserted, let k {
          model[k] = value
          order.append(k)
        }
      }
    }
    #expect(map.count == model.count)
    #expect(map.entries.compactMap { Self.canonical($0.key) } == order)
    for _ in 0..<60 {
      let key = Self.randomKey(&rng)
      let want = Self.canonical(key).flatMap { model[$0] }
      #expect(map[key].map { "\($0)" } == want.map { "\($0)" }, "lookup \(key) in \(map.count) entries")
      #expect(map.contains(key) == (want != nil))
      if case .string(let s) = key {
        #expect(map[string: s].map { "\($0)" } == want.map { "\($0)" })
        #expect(map.contains(string: s) == (want != nil))
      }
    }
  }
}

extension Value {
  fileprivate var isDouble: Bool {
    if case .double = self { return true }
    return false
  }
}
