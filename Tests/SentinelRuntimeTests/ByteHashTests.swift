// `ByteHash` (the event-id fingerprint's hash) and `KeyNumbering` (the key numbers of
// `LinePreparer`): the table numbers strings exactly as `[String: Int]` with
// `d[s, default: d.count]` does, whatever their hashes, including when every hash collides.

import Testing

@testable import SentinelRuntime

@Suite struct ByteHashTests {
  /// Strings of every length 0…40, prefixes of each other, equal bytes of different lengths
  /// (runs of NUL and of "a"), non-ASCII, and random ids.
  static func strings() -> [String] {
    var rng = SystemRandomNumberGenerator()
    var out: [String] = [""]
    for n in 1...40 {
      out.append(String(repeating: "a", count: n))
      out.append(String(repeating: "\u{0}", count: n))
      out.append(String((0..<n).map { _ in "0123456789abcdef".randomElement(using: &rng) ?? "x" }))
    }
    out += ["é", "e\u{301}", "ü", "日本", "日本語", "𝄞", "a\u{0}", "\u{0}a", "ab", "ba"]
    out += Self.equivalents.flatMap { $0 }
    out += (0..<3_000).map { i in "evt_\(String(i, radix: 16))" }
    out += (0..<2_000).map { i in "u\(i)" }
    return out
  }

  /// Strings equal in Swift (canonically equivalent) with other bytes.
  static let equivalents: [[String]] = [
    ["é", "e\u{301}"], ["K", "\u{212A}"], ["aKb", "a\u{212A}b"], [";", "\u{037E}"], ["`", "\u{1FEF}"],
    ["x;y`K", "x\u{037E}y\u{1FEF}\u{212A}"], ["Å", "\u{212B}", "A\u{30A}"], ["Kå", "\u{212A}a\u{30A}"],
    ["user-é-1234567890", "user-e\u{301}-1234567890"],
  ]

  /// Equal strings have equal fingerprints and numbers, whatever their bytes.
  @Test func equalStringsHashEqual() {
    for group in Self.equivalents {
      for s in group.dropFirst() {
        #expect(s == group[0])
        #expect(ByteHash.stringHash(s) == ByteHash.stringHash(group[0]), "\(s.debugDescription)")
        #expect(EventProcessor.fingerprint(s) == EventProcessor.fingerprint(group[0]))
      }
    }
    var numbering = KeyNumbering()
    for (k, group) in Self.equivalents.enumerated() {
      for s in group { #expect(numbering.number(s) == k, "\(s.debugDescription)") }
    }
  }

  /// `ByteHash.asciiSingletons` is every scalar beyond ASCII that alone equals an ASCII string.
  @Test func asciiSingletonsAreComplete() {
    let ascii = Set((0..<128).compactMap { Unicode.Scalar($0) }.map { String($0) })
    var found: [UInt32] = []
    for v in UInt32(0x80)...0x10_FFFF {
      guard let u = Unicode.Scalar(v) else { continue }
      if ascii.contains(String(u)) { found.append(v) }
    }
    #expect(found == ByteHash.asciiSingletons.map { $0.0.value }.sorted())
    for (u, a) in ByteHash.asciiSingletons { #expect(String(u) == String(a)) }
  }

  /// Equal bytes hash equal through every entry point; different lengths and seeds hash apart.
  @Test func hashesBytesNotRepresentations() {
    for s in Self.strings() {
      let bytes = Array(s.utf8)
      let h = bytes.withUnsafeBufferPointer { ByteHash.hash($0) }
      #expect(ByteHash.hash(s) == h, "\(s.debugDescription)")
      // A String made another way (not small, not native-literal) hashes the same.
      let other = String(decoding: bytes, as: UTF8.self)
      #expect(ByteHash.hash(other) == h)
      #expect(ByteHash.hash(Substring(s).description) == h)
    }
    // Runs of the same byte: every length hashes apart (the length is hashed, the overlapping
    // reads of the tail would otherwise see the same words).
    for byte in ["\u{0}", "a"] {
      let hashes = (0...64).map { ByteHash.hash(String(repeating: byte, count: $0)) }
      #expect(Set(hashes).count == hashes.count)
    }
    #expect(ByteHash.hash("evt_1", seed: 1) != ByteHash.hash("evt_1", seed: 2))
    #expect(ByteHash.hash("", seed: 1) != ByteHash.hash("", seed: 2))
  }

  /// 200,000 ids like the reference corpus's: no 64-bit collision, and the 32-bit fingerprints'
  /// low bits (where `FingerprintSet` places them) spread evenly over 1,024 places.
  @Test func spreadsLikeIDs() {
    var full = Set<UInt64>()
    var places = [Int](repeating: 0, count: 1024)
    let n = 200_000
    for i in 0..<n {
      let id = "evt_" + String(0x6d06_912e_13df &+ i &* 7_919, radix: 16)
      let h = ByteHash.hash(id)
      full.insert(h)
      places[Int(EventProcessor.fingerprint(id)) & 1023] += 1
    }
    #expect(full.count == n)
    // Expected ~195 a place; a deviation of 6 standard deviations (~84) would be a broken mix.
    let expected = Double(n) / 1024
    #expect(places.allSatisfy { abs(Double($0) - expected) < 6 * expected.squareRoot() })
  }

  /// `KeyNumbering` against `[String: Int]`: the same number for every string, in three rounds
  /// of shuffled inserts (growth from 16 places), with real hashes and with every hash equal.
  @Test(arguments: [~UInt64(0), 0, 0xF])
  func numbersAsADictionary(hashMask: UInt64) {
    var rng = SystemRandomNumberGenerator()
    // All hashes equal: keep the pool small, every lookup scans one probe run.
    let pool = hashMask == 0 ? Array(Self.strings().prefix(400)) : Self.strings()
    var ours = KeyNumbering(hashMask: hashMask)
    var theirs: [String: Int] = [:]
    for round in 0..<3 {
      for s in pool.shuffled(using: &rng) {
        let expected = theirs[s, default: theirs.count]
        if expected == theirs.count { theirs[s] = expected }
        #expect(ours.number(s) == expected, "round \(round): \(s.debugDescription)")
      }
    }
    #expect(ours.count == theirs.count)
    // The same strings made again (other storage) find the same numbers.
    for s in pool.prefix(100) {
      #expect(ours.number(String(decoding: [UInt8](s.utf8), as: UTF8.self)) == theirs[s])
    }
    #expect(ours.count == theirs.count)
  }

  /// `KeyNumbering` against `[String: Int]` on keys drawn mostly from the last few seen, as a
  /// corpus's users and ips come: short and long (their bytes kept apart), copies with other
  /// storage, with real hashes and with every hash equal.
  @Test(arguments: [~UInt64(0), 0, 0xF])
  func recentKeysNumberAsADictionary(hashMask: UInt64) {
    var rng = DecoderTestRNG(seed: 18)
    let pool = Self.strings().filter { !$0.isEmpty }
    var ours = KeyNumbering(hashMask: hashMask)
    var theirs: [String: Int] = [:]
    var window: [String] = []
    var recentHits = 0
    for step in 0..<(hashMask == 0 ? 3_000 : 20_000) {
      let s: String
      if !window.isEmpty && rng.next() % 4 != 0 {
        // A recent key, as a copy made from its bytes half the time.
        let t = window[Int(rng.next() % UInt64(window.count))]
        s = rng.next() % 2 == 0 ? t : String(decoding: [UInt8](t.utf8), as: UTF8.self)
        recentHits += 1
      } else {
        s = pool[Int(rng.next() % UInt64(hashMask == 0 ? min(300, pool.count) : pool.count))]
        window.append(s)
        if window.count > 40 { window.removeFirst() }
      }
      let expected = theirs[s, default: theirs.count]
      if expected == theirs.count { theirs[s] = expected }
      #expect(ours.number(s) == expected, "step \(step): \(s.debugDescription)")
    }
    #expect(ours.count == theirs.count)
    #expect(recentHits > 1_000)
  }
}
