// The documentation and the grammar files are kept in step with the parser: every `sentinel`
// example of docs/ and every rules/ file parses (and round-trips through the formatter), the
// EBNF and the TextMate grammar spell every word the parser knows, and the TextMate grammar is
// valid JSON with regular expressions that compile.

import Foundation
import SentinelModel
import SentinelSyntax
import Testing

/// The repository's root (this file is Tests/SentinelSyntaxTests/…).
let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The text of a file of the repository, or nil.
func repositoryFile(_ path: String) -> String? {
  guard let data = FileManager.default.contents(atPath: repositoryRoot.appendingPathComponent(path).path)
  else {
    return nil
  }
  return String(decoding: data, as: UTF8.self)
}

/// The ```sentinel blocks of a Markdown text, with the line each starts on.
func sentinelBlocks(_ markdown: String) -> [(line: Int, text: String)] {
  var blocks: [(Int, String)] = []
  var current: [String]? = nil
  var start = 0
  for (i, line) in markdown.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if var lines = current {
      if trimmed == "```" {
        blocks.append((start, lines.joined(separator: "\n") + "\n"))
        current = nil
      } else {
        lines.append(String(line))
        current = lines
      }
    } else if trimmed == "```sentinel" {
      current = []
      start = i + 2
    }
  }
  return blocks
}

@Suite("Rules docs and grammar")
struct RulesGrammarTests {
  @Test func languageReferenceExamplesParse() throws {
    let markdown = try #require(repositoryFile("docs/language.md"))
    let blocks = sentinelBlocks(markdown)
    #expect(blocks.count >= 15)
    for (line, text) in blocks {
      let source = Source(name: "docs/language.md:\(line)", text: text)
      let (file, diagnostics) = RuleParser.parse(source)
      #expect(
        !diagnostics.hasErrors,
        "example at docs/language.md:\(line):\n\(diagnostics.map { $0.render(in: source) }.joined())")
      #expect(file != nil)
      #expect(roundTripProblem(text) == nil, "example at docs/language.md:\(line)")
    }
  }

  @Test func everyDocsExampleAndRulesFileParses() throws {
    let fm = FileManager.default
    var checked = 0
    let docs = repositoryRoot.appendingPathComponent("docs")
    for name in (try? fm.contentsOfDirectory(atPath: docs.path)) ?? [] where name.hasSuffix(".md") {
      guard let markdown = repositoryFile("docs/" + name) else { continue }
      for (line, text) in sentinelBlocks(markdown) {
        checked += 1
        let source = Source(name: "docs/\(name):\(line)", text: text)
        let diagnostics = RuleParser.parse(source).1
        #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.render(in: source) }.joined())")
      }
    }
    let rules = repositoryRoot.appendingPathComponent("rules")
    if let walker = fm.enumerator(atPath: rules.path) {
      for case let path as String in walker where path.hasSuffix(".rules") {
        guard let text = repositoryFile("rules/" + path) else { continue }
        checked += 1
        let source = Source(name: "rules/" + path, text: text)
        let diagnostics = RuleParser.parse(source).1
        #expect(!diagnostics.hasErrors, "\(diagnostics.map { $0.render(in: source) }.joined())")
        #expect(roundTripProblem(text) == nil, "rules/\(path)")
      }
    }
    #expect(checked > 0)
  }

  @Test func ebnfSpellsEveryWord() throws {
    let ebnf = try #require(repositoryFile("grammar/sentinel-rules.ebnf"))
    let words =
      RuleKeywords.declarations + RuleKeywords.ruleFields + RuleKeywords.policyFields + RuleKeywords.modifiers
      + RuleKeywords.types + RuleAction.allCases.map(\.rawValue) + RuleKeywords.aggregateFields
      + AggregateKind.allCases.map(\.rawValue) + WindowDuration.units.map(\.name) + ["unbounded"]
    for word in words where !ebnf.contains("\"\(word)\"") {
      Issue.record("grammar/sentinel-rules.ebnf does not spell `\(word)`")
    }
  }

  @Test func textMateGrammarIsValidAndCoversTheWords() throws {
    let text = try #require(repositoryFile("grammar/sentinel-rules.tmLanguage.json"))
    let json = try JSONSerialization.jsonObject(with: Data(text.utf8))
    let grammar = try #require(json as? [String: Any])
    #expect(grammar["scopeName"] as? String == "source.sentinel-rules")
    var regexes: [String] = []
    func walk(_ value: Any) {
      if let d = value as? [String: Any] {
        for (k, v) in d {
          if ["match", "begin", "end"].contains(k), let s = v as? String {
            regexes.append(s)
          } else {
            walk(v)
          }
        }
      } else if let a = value as? [Any] {
        a.forEach(walk)
      }
    }
    walk(grammar)
    #expect(regexes.count > 20)
    for r in regexes {
      #expect((try? NSRegularExpression(pattern: r, options: [.anchorsMatchLines])) != nil, "bad regex \(r)")
    }
    let words =
      RuleKeywords.declarations + RuleKeywords.modifiers.filter { $0 != "in" } + RuleKeywords.types
      + RuleAction.allCases.map(\.rawValue) + AggregateKind.allCases.map(\.rawValue) + [
        "window", "unbounded",
      ]
    for word in words where !text.contains(word) {
      Issue.record("the TextMate grammar does not mention `\(word)`")
    }
  }

  @Test func languageReferenceListsEveryCode() throws {
    let markdown = try #require(repositoryFile("docs/language.md"))
    for code in RuleSyntaxCode.all where !markdown.contains("`\(code)`") {
      Issue.record("docs/language.md does not document \(code)")
    }
  }
}
