// `MapValue` without its index while it is small (at most `MapValue.smallCount` entries: its keys are
// compared in order) against the index it had before for every size: a reference map kept
// as a `[MapKey: Int]` beside the entries, the same inserts, sets and lookups (CEL's
// cross-numeric keys, strings equal under canonical equivalence, keys that are no keys), over
// maps that grow through the limit.

import SentinelModel
import Testing

/// The map as it was: an index of every entry by key, whatever the size.
private struct ReferenceMap {
  var entries: [(key: Value, value: Value)] = []
  var index: [MapKey: Int] = [:]

  mutating func insert(_ key: Value, _ value: Value) -> Bool {
    guard let k = MapKey(key), index[k] == nil else { return false }
    index[k] = entries.count
    entries.append((key, value))
    return true
  }

  mutating func set(_ key: Value, _ value: Value) {
    guard let k = MapKey(key) else { return }
    if let i = index[k] { entries[i].value = value } else { _ = insert(key, value) }
  }

  subscript(key: Value) -> Value? {
    guard let k = MapKey.lookupKey(key), let i = index[k] else { return nil }
    return entries[i].value
  }

  func contains(string s: String) -> Bool { index[.string(s)] != nil }
}

@Suite struct MapValueIndexTests {
  /// Keys and would-be keys: ints, uints (one above `Int64.max`), doubles with and without an
  /// integral value, strings (canonically equivalent pairs, "lat"/"lon", long ones), bools, and
  /// values that are no keys.
  static let pool: [Value] = [
    .int(0), .int(1), .int(-1), .int(7), .uint(1), .uint(7), .uint(UInt64(Int64.max) + 1), .double(1),
    .double(7), .double(1.5), .double(-0.0), .double(9.223372036854775808e18), .string(""), .string("lat"),
    .string("lon"), .string("é"), .string("e\u{301}"), .string("K"), .string("\u{212A}"),
    .string("a-key-longer-than-fifteen-bytes"), .string("a-key-longer-than-fifteen-bytez"), .bool(true),
    .bool(false), .null, .list([.int(1)]),
  ]

  /// The two maps agree: entries in order, count, every lookup.
  private func expectSame(_ map: MapValue, _ reference: ReferenceMap, _ context: String) {
    #expect(map.count == reference.entries.count, "\(context)")
    #expect(
      map.entries.map { "\($0.key)=\($0.value)" } == reference.entries.map { "\($0.key)=\($0.value)" },
      "\(context)")
    for k in Self.pool {
      #expect(map[k].map { "\($0)" } == reference[k].map { "\($0)" }, "\(context): \(k)")
      #expect(map.contains(k) == (reference[k] != nil), "\(context): \(k)")
      if case .string(let s) = k {
        #expect(map.contains(string: s) == reference.contains(string: s), "\(context): \(s)")
        #expect(map[string: s].map { "\($0)" } == reference[k].map { "\($0)" }, "\(context): \(s)")
      }
    }
  }

  @Test(arguments: [nil, 0, 2, 8, 9, 30] as [Int?])
  func smallMapsFindAsIndexedOnes(capacity: Int?) {
    var rng = SplitMix(seed: 20 &+ UInt64(capacity ?? 99))
    for round in 0..<60 {
      var map = capacity.map { MapValue(minimumCapacity: $0) } ?? MapValue()
      var reference = ReferenceMap()
      // Up to the whole pool: maps of every size through the limit of 8 entries.
      for step in 0..<(Int(rng.next() % 40)) {
        let key = Self.pool[Int(rng.next() % UInt64(Self.pool.count))]
        let value = Value.int(Int64(step))
        if rng.next() % 3 == 0 {
          map.set(key, value)
          reference.set(key, value)
        } else {
          let inserted = map.insert(key, value)
          #expect(inserted == reference.insert(key, value), "round \(round) step \(step): \(key)")
        }
        expectSame(map, reference, "round \(round) step \(step)")
      }
    }
  }

  /// The event decoder's `geo` object: two entries, found by their keys (and by no other).
  @Test func geoLikeMapsFindTheirKeys() {
    var m = MapValue(minimumCapacity: 2)
    let first = m.insert(.string("lat"), .double(52.52))
    let second = m.insert(.string("lon"), .double(13.4))
    let again = m.insert(.string("lat"), .double(0))
    #expect(first && second && !again)
    #expect(m[string: "lat"].map { "\($0)" } == "52.52" && m[string: "lon"].map { "\($0)" } == "13.4")
    #expect(m[string: "alt"] == nil && !m.contains(string: "la") && m[.int(0)] == nil)
  }
}
