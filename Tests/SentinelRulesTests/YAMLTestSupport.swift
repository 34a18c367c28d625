// Helpers shared by the YAML front end's tests.

import Foundation
import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

/// A parsed YAML text with its source.
struct ParsedYAML {
  var source: Source
  var file: RuleFile?
  var diagnostics: [Diagnostic]

  var rules: [RuleDecl] {
    file?.declarations.compactMap { if case .rule(let r) = $0 { return r } else { return nil } } ?? []
  }
  var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
  var codes: [String] { diagnostics.map(\.code) }
  var rendered: String { diagnostics.map { $0.render(in: source) }.joined() }

  /// The text of the file a span covers.
  func text(_ span: Span) -> String {
    let u = source.utf8
    guard span.start >= 0, span.start <= span.end, span.end <= u.count else { return "<bad span \(span)>" }
    return String(decoding: u[span.start..<span.end], as: UTF8.self)
  }

  /// The rule with id `id`.
  func rule(_ id: String) -> RuleDecl? { rules.first { $0.id.value == id } }
}

/// Parses YAML text as a rule file named `name`.
func parseYAML(_ text: String, name: String = "rules.yaml") -> ParsedYAML {
  let source = Source(name: name, text: text)
  let (file, diagnostics) = YAMLRuleParser.parse(source)
  return ParsedYAML(source: source, file: file, diagnostics: diagnostics)
}

/// The package root (fixtures are read relative to it).
let packageRoot: URL = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url
}()

/// Reads a fixture under `fixtures/yaml/`.
func yamlFixture(_ name: String) throws -> Source {
  let path = packageRoot.appendingPathComponent("fixtures/yaml/\(name)").path
  let text = try String(contentsOfFile: path, encoding: .utf8)
  return Source(name: path, text: text)
}

/// `RuleFileDump` without comment lines (YAML comments are not kept; DSL comments are).
func normalizedDump(_ file: RuleFile) -> String {
  RuleFileDump.dump(file).split(separator: "\n").filter { !$0.hasPrefix("comment ") }.joined(separator: "\n")
}
