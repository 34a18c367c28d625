// The YAML front end never traps: random bytes and mutations of valid rule files (bounded, with
// a fixed seed) parse to diagnostics whose spans lie inside the file, and render.

import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

/// SplitMix64: a small, seedable generator, so failures replay.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct YAMLFuzzTests {
  /// Checks the invariants on one input.
  func check(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let source = Source(name: "fuzz.yaml", text: text)
    let (file, diagnostics) = YAMLRuleParser.parse(source)
    let n = source.utf8.count
    func inside(_ s: Span) -> Bool { s.start >= 0 && s.start <= s.end && s.end <= n }
    for d in diagnostics {
      #expect(inside(d.span), "\(d) at \(d.span) in \(text.debugDescription)", sourceLocation: sourceLocation)
      _ = d.render(in: source)
    }
    guard let file else { return }
    for declaration in file.declarations {
      var expressions: [EmbeddedExpression] = []
      switch declaration {
      case .rule(let r): expressions += [r.when].compactMap { $0 }
      case .condition(let c): expressions.append(c.expression)
      case .list(let l): if case .inline(let xs) = l.contents { expressions += xs }
      case .schema(let s):
        expressions += s.fields.flatMap { ($0.allowedValues ?? []) + [$0.defaultValue].compactMap { $0 } }
      case .policy: break
      case .aggregate(let a): expressions += [a.key, a.of, a.filter].compactMap { $0 }
      }
      for e in expressions {
        #expect(inside(e.span), sourceLocation: sourceLocation)
        #expect(
          e.ast.spans.values.allSatisfy(inside), "\(e.text) in \(text.debugDescription)",
          sourceLocation: sourceLocation)
      }
    }
  }

  @Test func randomBytes() {
    var rng = SplitMix64(state: 0x5E17_1E1A)
    // Bytes YAML and CEL care about, weighted up, plus anything at all.
    let alphabet = Array(
      "rules:- id when conditions action in between [ ] { } , : ' \" | > & * ! # \n\n  \t\\ ? % @ ` é 😀".utf8)
    for _ in 0..<1500 {
      let length = Int.random(in: 0..<160, using: &rng)
      var bytes: [UInt8] = []
      for _ in 0..<length {
        bytes.append(
          Bool.random(using: &rng)
            ? alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            : UInt8.random(in: 0...255, using: &rng))
      }
      check(String(decoding: bytes, as: UTF8.self))
    }
  }

  @Test func mutatedRuleFiles() throws {
    var rng = SplitMix64(state: 0xC0FF_EE00)
    let seeds = try ["seed.yaml", "reference_subset.yaml", "equivalence.yaml"].map {
      try yamlFixture($0).text
    }
    let pieces = [
      "\n", " ", "  ", ":", "- ", "[", "]", "{", "}", ",", "'", "\"", "|", ">", "&a ", "*a", "!!int ", "<<: ",
      "#",
      "\t", "\\", "between: [1]", "in: x", "when: ", "id: ", "é", "---\n", "? ", "~", "0x", ".inf",
      "exists: 2",
    ]
    for _ in 0..<600 {
      var bytes = Array(seeds[Int.random(in: 0..<seeds.count, using: &rng)].utf8)
      for _ in 0..<Int.random(in: 1...6, using: &rng) {
        let at = Int.random(in: 0...bytes.count, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:  // insert a piece
          bytes.insert(contentsOf: Array(pieces[Int.random(in: 0..<pieces.count, using: &rng)].utf8), at: at)
        case 1:  // delete a run
          let end = min(bytes.count, at + Int.random(in: 1...12, using: &rng))
          bytes.removeSubrange(at..<end)
        case 2:  // replace a byte
          if at < bytes.count { bytes[at] = UInt8.random(in: 0x20...0x7E, using: &rng) }
        default:  // duplicate a run (repeats keys and lines)
          let end = min(bytes.count, at + Int.random(in: 1...80, using: &rng))
          bytes.insert(contentsOf: Array(bytes[at..<end]), at: at)
        }
      }
      check(String(decoding: bytes, as: UTF8.self))
    }
  }

  @Test func pathologicalInputs() {
    check(String(repeating: "[", count: 5000))
    check(String(repeating: "- ", count: 2000) + "x")
    check("a: " + String(repeating: "{a: ", count: 600) + String(repeating: "}", count: 600))
    check(String(repeating: "a: 1\n", count: 3000))  // 3,000 duplicates of one key
    check(
      "rules:\n  - id: r\n    when: " + String(repeating: "(", count: 400) + "x"
        + String(repeating: ")", count: 400))
    check("\u{FEFF}rules:\n  - id: r\n    when: '@'\n")
    check("rules:\r  - id: r\r    when: x ==\r")
    check("rules:\n  - id: r\n    when: \"a\u{2028}b @\"\n")
    check("\0")
  }
}
