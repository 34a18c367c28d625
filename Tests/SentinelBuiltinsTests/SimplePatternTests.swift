// The `matches` fast path (SimplePattern.swift) against the full engine (the RE2-translated
// Swift `Regex`): on every pattern of a generated set and every input of a generated set, the
// fast path either declines or gives the full engine's answer. And which patterns it takes.

import Testing

@testable import SentinelBuiltins

@Suite struct SimplePatternTests {
  /// The full engine's answer (what `matches` gave before the fast path existed).
  static func fullEngine(_ s: String, _ pattern: String) -> Bool? {
    guard let r = CompiledPattern(pattern).regex else { return nil }
    return (try? r.firstMatch(in: s)) != nil
  }

  @Test func takesTheSubsetAndDeclinesTheRest() {
    for p in [
      "^[0-9]{6,}@", "abc", "^a.c$", "[a-z_]+\\.[a-z]{2,3}$", "\\d\\d?-\\w*", "^$", "", "x*", "a{2,4}?b",
      "[^0-9]", "\\.com$", "[\\d.]+", "[]a]", "[a-]", "\\$\\^", "\\\\$",
    ] {
      #expect(SimplePattern(p) != nil, "\(p)")
    }
    for p in [
      "a|b", "(ab)", "(?i)abc", "\\bword", "a**", "[[:alpha:]]", "^a^", "é", "\\pL", "a{1001}", "[\\D]",
      "a{,3}",
      "x{3,2}", "[abc",
    ] {
      #expect(SimplePattern(p) == nil, "\(p)")
    }
  }

  @Test func agreesWithTheFullEngine() {
    var rng = SplitMix(seed: 0x5EED)
    let atoms = [
      "a", "b", "0", "@", ".", "-", "[0-9]", "[a-c]", "[^a]", "[^0-9]", "\\d", "\\w", "\\s", "\\D", "\\W",
      "\\S", "\\.",
      "[_a-z.]", "[]a]", "[a-]", " ",
    ]
    let quantifiers = ["", "", "", "*", "+", "?", "{2}", "{1,}", "{0,2}", "{2,3}", "*?", "+?"]
    let alphabet = Array("ab0129@.-_ xA\t")
    var patterns: [String] = ["^[0-9]{6,}@", "^$", "", "$", "^", "a$", "^a"]
    for _ in 0..<400 {
      var p = rng.next() % 4 == 0 ? "^" : ""
      for _ in 0..<(1 + Int(rng.next() % 4)) {
        p +=
          atoms[Int(rng.next() % UInt64(atoms.count))]
          + quantifiers[Int(rng.next() % UInt64(quantifiers.count))]
      }
      if rng.next() % 4 == 0 { p += "$" }
      patterns.append(p)
    }
    var inputs: [String] = ["", "a", "123456@x", "12345@x", "user1.a2@x.com", "é", "a\nb", "1234567@", "\t"]
    for _ in 0..<120 {
      inputs.append(
        String((0..<Int(rng.next() % 9)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }))
    }
    var fast = 0
    for p in patterns {
      guard let simple = SimplePattern(p) else { continue }
      for s in inputs {
        guard let got = simple.matches(s) else { continue }
        fast += 1
        #expect(got == Self.fullEngine(s, p), "'\(s)'.matches('\(p)')")
      }
    }
    #expect(fast > 20_000, "the fast path answered \(fast) cases")
  }

  @Test func nonASCIIInputGoesToTheFullEngine() {
    let p = SimplePattern("^.$")
    #expect(p?.matches("é") == nil)
    #expect(p?.matches("a\nb") == nil)
    #expect(p?.matches("x") == true)
    // Bytes after the answer is known are not read.
    #expect(SimplePattern("^a")?.matches("bé") == false)
    #expect(SimplePattern("a")?.matches("aé") == true)
  }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
