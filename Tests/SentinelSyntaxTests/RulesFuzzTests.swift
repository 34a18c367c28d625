// Bounded, deterministic fuzzing of the rule DSL front end: random bytes, random token soups and
// mutations of valid files never crash the parser or the formatter; every parse keeps its
// invariants (`ruleInvariantProblem`); and any mutant that parses without errors round-trips
// through the formatter.

import SentinelModel
import SentinelSyntax
import Testing

let ruleFuzzVocabulary: [String] = [
  "schema", "list", "condition", "rule", "policy", "aggregate", "import", "event", "from", "format", "in",
  "required_for", "name", "category", "tags", "enabled", "when", "action", "score", "reason", "block",
  "review", "true", "false", "review_threshold", "string", "list(", "map(", "{", "}", "[", "]", "(", ")",
  ":", "?", ",", "=", "==", "&&", "||", ".", "-", "+", "1", "1.5", "\"s\"", "'t'", "'''u\n'''", "r'\\d'",
  "b'x'", "\"unterminated", "`a-b`", "// c\n", "\n", " ", "  ", "\t", "#", ";", "é", "\\", "kind", "of",
  "key", "where", "window", "include_current", "count", "stats", "60s", "1h30m", "1.5h", "0s", "unbounded",
]

/// Parses and, when there are no errors, formats `text`; returns a problem, or nil.
func ruleFuzzCheck(_ text: String) -> String? {
  let source = Source(name: "fuzz.rules", text: text)
  let (file, diagnostics) = RuleParser.parse(source)
  if let p = ruleInvariantProblem(source, file, diagnostics) { return "\(p) for \(text.debugDescription)" }
  if let file { _ = RuleFormatter.format(file) }
  return roundTripProblem(text)
}

@Suite("Rules fuzz")
struct RulesFuzzTests {
  @Test func randomBytes() {
    var rng = SplitMix64(seed: 0x5EED_0201)
    var problems: [String] = []
    for _ in 0..<2_000 {
      var bytes: [UInt8] = []
      for _ in 0..<Int.random(in: 0...64, using: &rng) {
        bytes.append(
          Bool.random(using: &rng)
            ? UInt8.random(in: 0x20...0x7E, using: &rng) : UInt8.random(in: 0...255, using: &rng))
      }
      if let p = ruleFuzzCheck(String(decoding: bytes, as: UTF8.self)) { problems.append(p) }
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }

  @Test func randomTokenSoups() {
    var rng = SplitMix64(seed: 0x5EED_0202)
    var problems: [String] = []
    for _ in 0..<2_000 {
      var text = ""
      for _ in 0..<Int.random(in: 0...40, using: &rng) {
        text += ruleFuzzVocabulary[Int.random(in: 0..<ruleFuzzVocabulary.count, using: &rng)]
        if Bool.random(using: &rng) { text += " " }
      }
      if let p = ruleFuzzCheck(text) { problems.append(p) }
    }
    #expect(problems.isEmpty, "\(problems.prefix(5))")
  }

  @Test func mutatedValidFiles() {
    var generator = RuleFileGenerator(seed: 0x5EED_0203)
    var rng = SplitMix64(seed: 0x5EED_0204)
    var problems: [String] = []
    var clean = 0
    for _ in 0..<150 {
      let valid = Array(generator.file().utf8)
      for _ in 0..<8 {
        var bytes = valid
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
          guard !bytes.isEmpty else { break }
          let at = Int.random(in: 0..<bytes.count, using: &rng)
          let length = min(Int.random(in: 1...12, using: &rng), bytes.count - at)
          switch Int.random(in: 0..<4, using: &rng) {
          case 0: bytes.removeSubrange(at..<(at + length))
          case 1:
            bytes.insert(
              contentsOf: bytes[at..<(at + length)], at: Int.random(in: 0...bytes.count, using: &rng))
          case 2:
            let piece = ruleFuzzVocabulary[Int.random(in: 0..<ruleFuzzVocabulary.count, using: &rng)]
            bytes.insert(contentsOf: Array(piece.utf8), at: at)
          default: bytes[at] = UInt8.random(in: 0...255, using: &rng)
          }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if !parseRules(text).1.hasErrors { clean += 1 }
        if let p = ruleFuzzCheck(text) { problems.append(p) }
        if problems.count >= 5 { break }
      }
    }
    #expect(problems.isEmpty, "\(problems.prefix(5).joined(separator: "\n=====\n"))")
    #expect(clean > 50, "too few mutants parse cleanly (\(clean)) to exercise the formatter")
  }

  @Test func deepNestingAndLongInputs() {
    let deep =
      "schema event {\n  a: " + String(repeating: "{ b: ", count: 200) + "int"
      + String(repeating: " }", count: 200) + "\n}"
    #expect(ruleFuzzCheck(deep) == nil)
    let brackets = "rule r {\n  when: " + String(repeating: "[", count: 5_000) + "\n}"
    #expect(ruleFuzzCheck(brackets) == nil)
    let many = String(repeating: "rule r { when: true }\n", count: 2_000)
    #expect(ruleFuzzCheck(many) == nil)
    #expect(ruleFuzzCheck(String(repeating: "}", count: 3_000)) == nil)
  }
}
