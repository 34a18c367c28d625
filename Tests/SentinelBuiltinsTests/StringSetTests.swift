// StringSet (the VM's precomputed `in` over constant lists and maps of strings) and
// `EqualityKernel.equal(utf8:utf8:)` (its `==` with a constant) against the kernels they stand
// for: `Lists.containsString` (code-point equality), `MapValue.contains(string:)` (the map's
// dictionary: Swift's canonical equivalence, hence only ASCII queries over ASCII keys are
// answered by the set) and `EqualityKernel.equal` on Strings. Random strings over an alphabet
// with ASCII, precomposed and decomposed letters, combining marks, canonical singletons (the
// Kelvin sign, the Greek question mark), NUL, emoji, the empty string and duplicates.

import SentinelBuiltins
import SentinelModel
import Testing

extension SplitMix {
  /// A number below `n` (SplitMix is SimplePatternTests'; a fixed seed gives the same strings).
  fileprivate mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

private let alphabet: [String] = [
  "a", "b", "K", "P", ".", "1", "9", ";", "\0", "é", "e\u{301}", "\u{301}", "\u{212A}", "\u{037E}",
  "Å", "\u{212B}", "A\u{30A}", "日", "🇰🇵", "👍🏽",
]

private func randomStrings(_ count: Int, seed: UInt64, maxLength: Int = 20) -> [String] {
  var rng = SplitMix(seed: seed)
  var out: [String] = [""]
  while out.count < count {
    var s = ""
    for _ in 0..<rng.below(maxLength + 1) { s += alphabet[rng.below(alphabet.count)] }
    out.append(s)
    if rng.below(8) == 0 { out.append(s) }  // a duplicate
  }
  return out
}

/// ASCII-only random strings (the blocked-address lists and country codes of real rule sets).
private func randomASCII(_ count: Int, seed: UInt64) -> [String] {
  var rng = SplitMix(seed: seed)
  let letters = Array("abcKP.0123456789;\0 ")
  var out: [String] = [""]
  while out.count < count {
    out.append(String((0..<rng.below(24)).map { _ in letters[rng.below(letters.count)] }))
  }
  return out
}

@Suite struct StringSetTests {
  /// Queries: every member, random strings and strings equal to members only under canonical
  /// equivalence.
  static func queries(_ members: [String], seed: UInt64) -> [String] {
    members + randomStrings(300, seed: seed)
      + ["K", "\u{212A}", "KP", "\u{212A}P", ";", "\u{037E}", "Å", "\u{212B}", "A\u{30A}", "é", "e\u{301}"]
  }

  @Test func listMembershipIsListsContainsString() {
    for seed: UInt64 in [1, 2, 3, 4] {
      let members = randomStrings(seed == 1 ? 3 : 200, seed: seed)
      let list = members.map(Value.string) + [.int(1), .null]
      let set = StringSet(members)
      #expect(set.count == Set(members.map { Array($0.utf8) }).count)
      for q in Self.queries(members, seed: seed + 100) {
        let expected = Lists.containsString(list, q)
        #expect(set.contains(q) == expected, "\(q.unicodeScalars.map(\.value))")
        let bytes = Array(q.utf8)
        #expect(bytes.withUnsafeBufferPointer { set.contains(utf8: $0).found } == expected)
      }
    }
  }

  /// `containsByComparing` (the members compared in turn, for short lists) answers as the
  /// hashed lookup and `Lists.containsString`, for sets of 0 to 6 members: random strings of
  /// every length around the 8-byte words, non-ASCII ones and strings equal only under canonical
  /// equivalence, duplicates.
  @Test func comparingIsTheHashedLookup() {
    for seed: UInt64 in 0..<40 {
      var rng = SplitMix(seed: seed)
      let members =
        seed % 2 == 0
        ? Array(randomStrings(12, seed: seed + 300).prefix(rng.below(7)))
        : Array(randomASCII(12, seed: seed + 300).prefix(rng.below(7)))
      let list = members.map(Value.string)
      let set = StringSet(members)
      let queries =
        Self.queries(members, seed: seed + 400) + randomASCII(100, seed: seed + 500)
        + members.map { $0 + "x" } + members.map { String($0.dropLast()) }
      for q in queries {
        let bytes = Array(q.utf8)
        let compared = bytes.withUnsafeBufferPointer { set.containsByComparing(utf8: $0) }
        #expect(compared == bytes.withUnsafeBufferPointer { set.contains(utf8: $0).found })
        #expect(compared == bytes.withUnsafeBufferPointer { set.containsMember(utf8: $0) })
        #expect(compared == Lists.containsString(list, q), "\(q.unicodeScalars.map(\.value))")
      }
    }
  }

  @Test func codePointsNotCanonicalEquivalence() {
    let set = StringSet(["\u{212A}", "e\u{301}", "Å"])
    #expect(set.contains("\u{212A}") && set.contains("e\u{301}") && set.contains("Å"))
    #expect(!set.contains("K") && !set.contains("é") && !set.contains("A\u{30A}"))
    #expect(!set.isASCII)
    #expect(StringSet(["KP", ""]).isASCII && StringSet(["KP", ""]).contains(""))
    #expect(!StringSet([]).contains("") && StringSet([]).isASCII)
  }

  @Test func asciiMembershipIsTheMapsLookup() {
    for seed: UInt64 in [5, 6, 7] {
      let keys = randomASCII(seed == 5 ? 2 : 1_000, seed: seed)
      var map = MapValue()
      for k in keys { map.insert(.string(k), .bool(true)) }
      map.insert(.int(7), .bool(true))
      let set = StringSet(keys)
      #expect(set.isASCII)
      for q in Self.queries(keys, seed: seed + 100) + randomASCII(300, seed: seed + 200) {
        let answer = set.containsASCII(q)
        #expect((answer == nil) == !q.utf8.allSatisfy { $0 < 0x80 }, "\(q.unicodeScalars.map(\.value))")
        if let answer { #expect(answer == map.contains(string: q), "\(q.unicodeScalars.map(\.value))") }
      }
    }
    // Why a non-ASCII query is left to the map: its dictionary finds "KP" for "\u{212A}P".
    var m = MapValue()
    m.insert(.string("KP"), .bool(true))
    #expect(m.contains(string: "\u{212A}P") && StringSet(["KP"]).containsASCII("\u{212A}P") == nil)
  }

  @Test func byteEqualityIsStringEquality() {
    let strings = randomStrings(120, seed: 9) + ["K", "\u{212A}", "guerrillamail.com", "guerrillamail.con"]
    for x in strings {
      for y in strings {
        let a = Array(x.utf8)
        let b = Array(y.utf8)
        let fast = a.withUnsafeBufferPointer { p in
          b.withUnsafeBufferPointer { q in EqualityKernel.equal(utf8: p, utf8: q) }
        }
        #expect(
          fast == EqualityKernel.equal(x, y),
          "\(x.unicodeScalars.map(\.value)) \(y.unicodeScalars.map(\.value))")
      }
    }
  }
}
