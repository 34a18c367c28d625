// The index's key tables are built from pairs sorted by a radix sort: it must give exactly the
// order of the standard library's stable sort on the keys, and the table must list every key's
// values in their input order.

import Testing

@testable import SentinelScreening

@Suite struct KeyRangesTests {
  /// Keys drawn from `bits` low bits (many equal keys when small), or full 64-bit hashes.
  static func pairs(_ count: Int, bits: Int, _ rng: inout SplitMix64) -> [(key: UInt64, value: Int32)] {
    (0..<count).map { i in
      let k = rng.next()
      return (bits >= 64 ? k : k & ((1 << UInt64(bits)) - 1), Int32(i))
    }
  }

  @Test(arguments: [0, 1, 3, 11, 12, 24, 33, 64])
  func radixSortIsTheStableSortByKey(bits: Int) {
    var rng = SplitMix64(state: UInt64(bits) &+ 7)
    for count in [0, 1, 2, 5, 100, 5_000] {
      var input = Self.pairs(count, bits: bits, &rng)
      input.shuffle(using: &rng)
      let expected = input.enumerated().sorted { a, b in
        a.element.key != b.element.key ? a.element.key < b.element.key : a.offset < b.offset
      }.map(\.element)
      let got = KeyRanges.stableSortedByKey(input)
      #expect(got.map(\.key) == expected.map(\.key), "bits \(bits), count \(count)")
      #expect(got.map(\.value) == expected.map(\.value), "bits \(bits), count \(count)")
    }
  }

  @Test func extremeKeysSortAsUnsigned() {
    let input: [(key: UInt64, value: Int32)] = [
      (.max, 0), (0, 1), (1 << 63, 2), (.max, 3), (1 << 11, 4), (0, 5), ((1 << 63) - 1, 6),
    ]
    let got = KeyRanges.stableSortedByKey(input)
    #expect(got.map(\.value) == [1, 5, 4, 6, 2, 0, 3])
  }

  @Test func lookupListsEachKeysValuesInInputOrder() {
    var rng = SplitMix64(state: 99)
    let input = Self.pairs(20_000, bits: 10, &rng).shuffled(using: &rng)
    let table = KeyRanges(input)
    defer { table.free() }
    var expected: [UInt64: [Int32]] = [:]
    for p in input { expected[p.key, default: []].append(p.value) }
    for (key, values) in expected { #expect(Array(table.lookup(key)) == values) }
    #expect(table.lookup(1 << 40).isEmpty)
  }
}
