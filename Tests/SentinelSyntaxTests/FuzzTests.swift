// Bounded, deterministic fuzzing: random bytes, random token soups and mutated conformance
// expressions never crash the parser; an input without an AST always has an error diagnostic;
// an input with an AST has none, has sound ids and spans, and prints back to itself.

import SentinelModel
import SentinelSyntax
import Testing

/// Parses `text` and returns a description of any broken invariant.
func fuzzCheck(_ text: String, _ options: ParseOptions = .init()) -> String? {
  let (ast, diagnostics) = CELParser.parse(Source(text: text), options: options)
  guard let ast else {
    return diagnostics.hasErrors ? nil : "no AST and no error for \(text.debugDescription)"
  }
  if diagnostics.hasErrors { return "an AST and errors for \(text.debugDescription)" }
  if let problem = checkInvariants(ast) { return "\(problem) for \(text.debugDescription)" }
  for d in diagnostics where d.span.start < 0 || d.span.end > ast.source.utf8.count {
    return "diagnostic span \(d.span) outside the source for \(text.debugDescription)"
  }
  if !options.enableMacros {
    let printed = ast.debugString
    let again = CELParser.parse(Source(text: printed), options: options).0?.debugString
    if again != printed {
      return "\(text.debugDescription) prints as \(printed), which parses as \(again ?? "nothing")"
    }
  }
  return nil
}

let fuzzVocabulary: [String] = [
  "a", "b", "x", ".", ".?", "?", ":", ",", "(", ")", "[", "[?", "]", "{", "}", "+", "-", "*", "/", "%",
  "!", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in", "true", "false", "null", "1", "0x1f", "2u",
  "1.5", ".5", "1e3", "9223372036854775808", "'s'", "\"t\"", "'''u'''", "b'v'", "r'\\w'", "`f-g`",
  "has", "all", "exists", "exists_one", "map", "filter", "cel", "bind", "optMap", "transformMap",
  "if", "M", " ", "\n", "// c\n", "'\\x41'", "'\\uD800'", "#", "=", "'", "`", "\\", "é",
]

@Suite("Fuzz")
struct FuzzTests {
  @Test func randomBytes() {
    var rng = SplitMix64(seed: 0x5EED_0001)
    var problems: [String] = []
    for _ in 0..<4_000 {
      let length = Int.random(in: 0...48, using: &rng)
      var bytes: [UInt8] = []
      for _ in 0..<length {
        // Mostly printable ASCII, sometimes anything (invalid UTF-8 is repaired by `String`).
        bytes.append(
          Bool.random(using: &rng)
            ? UInt8.random(in: 0x20...0x7E, using: &rng) : UInt8.random(in: 0...255, using: &rng))
      }
      if let p = fuzzCheck(String(decoding: bytes, as: UTF8.self)) { problems.append(p) }
    }
    #expect(problems.isEmpty, "\(problems.prefix(10))")
  }

  @Test func randomTokenSoups() {
    var rng = SplitMix64(seed: 0x5EED_0002)
    var problems: [String] = []
    var parsed = 0
    for i in 0..<6_000 {
      let count = Int.random(in: 1...24, using: &rng)
      var text = ""
      for _ in 0..<count {
        text += fuzzVocabulary[Int.random(in: 0..<fuzzVocabulary.count, using: &rng)]
        if Bool.random(using: &rng) { text += " " }
      }
      let options = ParseOptions(enableMacros: i % 2 == 0, maxRecursionDepth: 8 + i % 50)
      if let p = fuzzCheck(text, options) { problems.append(p) }
      if CELParser.parse(Source(text: text), options: options).0 != nil { parsed += 1 }
    }
    #expect(problems.isEmpty, "\(problems.prefix(10))")
    #expect(parsed > 0)
  }

  @Test func mutatedConformanceExpressions() {
    var rng = SplitMix64(seed: 0x5EED_0003)
    var problems: [String] = []
    let pieces = fuzzVocabulary
    for c in conformanceExprs {
      for round in 0..<3 {
        var bytes = Array(c.expr.utf8)
        guard !bytes.isEmpty else { continue }
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: bytes.remove(at: at)
        case 1:
          bytes.insert(contentsOf: Array(pieces[Int.random(in: 0..<pieces.count, using: &rng)].utf8), at: at)
        default: bytes[at] = UInt8.random(in: 0x20...0x7E, using: &rng)
        }
        let options = ParseOptions(
          enableMacros: round != 0, enableBlockExtension: c.ext == "block")
        if let p = fuzzCheck(String(decoding: bytes, as: UTF8.self), options) { problems.append(p) }
      }
    }
    #expect(problems.isEmpty, "\(problems.prefix(10))")
  }

  @Test func knownInvalidInputsHaveDiagnostics() {
    for text in [
      "", " ", "(", ")", "[", "{", "'", "\"", "`", "''''", "\"\"\"\"", "a.", "a[", "f(", "?", ":",
      "1 +", "!", "-", "..", "M{", "M{a", "M{a:", "{1:", "[1,", "has(", "x.all(", "0x", "1e", "1.", "b", "r",
      "br",
    ] {
      let (ast, diagnostics) = CELParser.parse(Source(text: text))
      if text == "b" || text == "r" || text == "br" {
        #expect(ast != nil, "\(text.debugDescription) is an identifier expression")
        continue
      }
      #expect(ast == nil && diagnostics.hasErrors, "\(text.debugDescription)")
    }
  }
}
