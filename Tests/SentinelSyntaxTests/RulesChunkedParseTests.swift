// The rule parser parses large files in chunks on all cores. A chunked parse must give exactly
// what the one-piece parse gives — the same declarations with the same spans, warnings and
// comments — or give way to it (when a chunk boundary is not a declaration start, or the file
// has errors). These tests compare the two on files built to exercise both.

import SentinelModel
@testable import SentinelSyntax
import Testing

@Suite struct RulesChunkedParseTests {
  /// `n` rules of a few shapes, with comments, a list, a condition and warnings (W0203).
  static func ruleSet(_ n: Int) -> String {
    var text = "// generated\nlist sanctioned = [\"KP\", \"IR\", \"SY\"]\n"
    text += "condition big = event.amount > 1000.0\n"
    for k in 0..<n {
      text += "// rule \(k)\n"
      switch k % 4 {
      case 0:
        text += "rule r\(k) {\n  name: \"Rule \(k)\"\n  when: event.amount > \(k).0 && big\n  score: 5\n}\n"
      case 1:
        text +=
          "rule r\(k) {\n  tags: [\"a\", \"a\"]\n  when: has(event.country_code) &&\n    event.country_code in sanctioned\n  action: block\n}\n"
      case 2:
        text += "rule\tr\(k) { when: size(event.user_id) > \(k % 9), score: 1 }\n"
      default:
        text += "rule r\(k) {\n  when: '''multi\nline''' != event.user_id\n  action: review\n}\n"
      }
    }
    return text
  }

  /// Everything a parse gives, as text: declarations (with every span), diagnostics, comments.
  /// Sources are named, not dumped (every embedded expression holds the whole file), and
  /// dictionaries are listed in sorted order (their iteration order is not part of the value).
  static func dumped(_ parsed: (RuleFile?, [Diagnostic])) -> String {
    var out = ""
    describe(parsed.0?.declarations as Any, into: &out)
    describe(parsed.0?.comments as Any, into: &out)
    describe(parsed.1, into: &out)
    return out
  }

  static func describe(_ value: Any, into out: inout String) {
    if let source = value as? Source {
      out += "Source(\(source.name))"
      return
    }
    let mirror = Mirror(reflecting: value)
    if mirror.children.isEmpty {
      out += "\(value)"
      return
    }
    var parts: [String] = []
    for child in mirror.children {
      var part = (child.label ?? "") + ":"
      describe(child.value, into: &part)
      parts.append(part)
    }
    if mirror.displayStyle == .dictionary || mirror.displayStyle == .set { parts.sort() }
    out += "\(mirror.subjectType)(" + parts.joined(separator: ",") + ")"
  }

  @Test(arguments: [2, 3, 4, 7])
  func chunkedParseEqualsOnePieceParse(chunks: Int) throws {
    let source = Source(name: "big.rules", text: Self.ruleSet(400))
    let chunked = try #require(RuleParser.parseInChunks(source, chunks: chunks, minimumBytes: 0))
    let whole = RuleParser.parseInOnePiece(source)
    #expect(whole.0?.declarations.count == 402)
    #expect(whole.1.contains { $0.code == RuleSyntaxCode.duplicateEntry })
    #expect(Self.dumped(chunked) == Self.dumped(whole))
  }

  @Test func aBoundaryInsideAMultiLineStringFallsBack() throws {
    // The line `rule hidden {` sits inside a ''' string: the chunk before it ends inside the
    // string (an error), so the chunked parse gives way to the one-piece parse.
    var text = Self.ruleSet(50)
    text += "rule s {\n  when: event.user_id == '''\nrule hidden {\n'''\n  score: 1\n}\n"
    text += Self.ruleSet(50)
    let source = Source(name: "s.rules", text: text)
    let hiddenLine = try #require(Array(text.utf8).firstRange(of: Array("\nrule hidden".utf8))).lowerBound + 1
    #expect(RuleParser.declarationLine(in: source.utf8, after: hiddenLine - 1) == hiddenLine)
    #expect(RuleParser.parseInChunks(source, chunks: 2, minimumBytes: 0, splitAt: hiddenLine) == nil)
    let whole = RuleParser.parse(source)
    #expect(!whole.1.hasErrors)
    #expect(whole.0?.declarations.count == 2 * 52 + 1)
  }

  @Test func aFileWithErrorsIsParsedInOnePiece() {
    var text = Self.ruleSet(200)
    text += "rule broken {\n  when: event.amount >\n  score: x\n}\n"
    text += Self.ruleSet(200)
    let source = Source(name: "e.rules", text: text)
    #expect(RuleParser.parseInChunks(source, chunks: 2, minimumBytes: 0) == nil)
    #expect(Self.dumped(RuleParser.parse(source)) == Self.dumped(RuleParser.parseInOnePiece(source)))
  }

  @Test func aBoundaryInsideABracketedExpressionFallsBack() {
    // `rule x` at column 1 inside parentheses that span lines: the chunk before ends with an
    // unclosed `(`.
    var text = Self.ruleSet(20)
    text += "rule p {\n  when: (event.amount > 1.0 ||\nrule == 2)\n  score: 1\n}\n"
    text += Self.ruleSet(20)
    let source = Source(name: "p.rules", text: text)
    let at = Array(text.utf8).firstRange(of: Array("\nrule == 2".utf8)).map { $0.lowerBound + 1 }
    // `rule ==` is not `rule NAME`: never a boundary.
    #expect(RuleParser.declarationLine(in: source.utf8, after: (at ?? 1) - 1) != at)
    #expect(
      Self.dumped(RuleParser.parseInChunks(source, chunks: 3, minimumBytes: 0) ?? RuleParser.parse(source))
        == Self.dumped(RuleParser.parseInOnePiece(source)))
  }
}
