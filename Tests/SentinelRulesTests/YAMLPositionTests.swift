// Positions: CEL inside YAML scalars is reported at its place in the YAML file, whatever the
// scalar's style, with the caret under the offending text.

import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLPositionTests {
  /// The single diagnostic with `code`, checked to render at `line:column` with carets under
  /// `underlined`.
  func expectDiagnostic(
    _ yaml: String, code: String, line: Int, column: Int, underlined: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let parsed = parseYAML(yaml)
    guard let d = parsed.diagnostics.first(where: { $0.code == code }) else {
      Issue.record("no \(code) in \(parsed.rendered)", sourceLocation: sourceLocation)
      return
    }
    let rendered = d.render(in: parsed.source)
    let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(
      lines[0].hasPrefix("rules.yaml:\(line):\(column): error[\(code)]: "), "\(rendered)",
      sourceLocation: sourceLocation)
    #expect(parsed.text(d.span) == underlined, "\(rendered)", sourceLocation: sourceLocation)
    // The caret line: the gutter, then spaces up to the column, then one caret per character.
    guard lines.count > 3, let bar = lines[3].firstIndex(of: "|") else {
      Issue.record("unexpected rendering \(rendered)", sourceLocation: sourceLocation)
      return
    }
    let carets = String(lines[3][lines[3].index(bar, offsetBy: 2)...])
    let sourceLine = String(
      lines[2][lines[2].index(lines[2].firstIndex(of: "|") ?? lines[2].startIndex, offsetBy: 2)...])
    let prefix = carets.prefix { $0 == " " }
    #expect(prefix.count == column - 1, "\(rendered)", sourceLocation: sourceLocation)
    let under = String(sourceLine.dropFirst(prefix.count).prefix(carets.count - prefix.count))
    let expectedUnder = underlined.split(separator: "\n").first.map(String.init) ?? ""
    #expect(under == expectedUnder, "\(rendered)", sourceLocation: sourceLocation)
  }

  @Test func plainScalar() {
    expectDiagnostic(
      "rules:\n  - id: r\n    when: event.amount > > 5\n", code: "E0001", line: 3, column: 26, underlined: ">"
    )
  }

  @Test func singleQuotedScalar() {
    expectDiagnostic(
      "rules:\n  - id: r\n    when: 'event.type == \"login\" # x'\n", code: "E0002", line: 3, column: 34,
      underlined: "#")
  }

  @Test func doubleQuotedScalarWithEscapes() {
    expectDiagnostic(
      "rules:\n  - id: r\n    when: \"event.type == \\\"login\\\" && @\"\n", code: "E0002", line: 3,
      column: 39,
      underlined: "@")
  }

  @Test func literalBlockScalar() {
    let yaml = """
      rules:
        - id: r
          action: block
          when: |
            event.type == "login" &&
              event.x @ 3
      """
    expectDiagnostic(yaml, code: "E0002", line: 6, column: 17, underlined: "@")
  }

  @Test func foldedBlockScalar() {
    let yaml = """
      rules:
        - id: r
          when: >-
            event.type == "login"
            && event.x == `bad
      """
    expectDiagnostic(yaml, code: "E0009", line: 5, column: 21, underlined: "`bad")
  }

  @Test func nonASCIILine() {
    expectDiagnostic(
      "rules:\n  - id: r\n    name: Région\n    when: event.name == \"é日本😀\" && $\n", code: "E0002", line: 4,
      column: 35, underlined: "$")
  }

  @Test func crlfLineBreaks() {
    expectDiagnostic(
      "rules:\r\n  - id: r\r\n    when: event.a == 1 && ;\r\n", code: "E0002", line: 3, column: 27,
      underlined: ";")
  }

  @Test func unterminatedCELString() {
    let parsed = parseYAML("rules:\n  - id: r\n    when: 'event.a == \"abc'\n")
    let d = parsed.diagnostics.first { $0.code == "E0003" }
    #expect(d.map { parsed.text($0.span) } == "\"abc")
  }

  @Test func astSpansPointIntoTheFile() throws {
    let yaml = """
      rules:
        - id: r
          when: |
            event.amount > 1000.0 &&
              event.country_code in ["KP"]
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.errors.isEmpty, "\(parsed.rendered)")
    let when = try #require(parsed.rule("r")?.when)
    guard case .call(_, "_&&_", let args) = when.ast.root.kind, args.count == 2 else {
      Issue.record("unexpected \(when.ast.debugString)")
      return
    }
    #expect(parsed.text(when.ast.span(of: args[0].id)) == "event.amount > 1000.0")
    #expect(parsed.text(when.ast.span(of: args[1].id)) == #"event.country_code in ["KP"]"#)
    #expect(parsed.source.location(of: when.ast.span(of: args[1].id).start) == (5, 9))
    #expect(parsed.text(when.ast.span(of: when.ast.root.id)).hasPrefix("event.amount > 1000.0 &&\n"))
  }

  @Test func seedConditionPositions() {
    let yaml = """
      rules:
        - id: r
          conditions:
            amount: {between: [1]}
            country_code: {inn: [KP]}
      """
    expectDiagnostic(yaml, code: "E0309", line: 4, column: 25, underlined: "[1]")
    expectDiagnostic(yaml, code: "E0308", line: 5, column: 22, underlined: "inn")
  }

  @Test func seedTranslationSpans() throws {
    let yaml = """
      rules:
        - id: r
          conditions:
            amount:
              between: [1000.0, 5000.0]
          action: review
      """
    let parsed = parseYAML(yaml)
    let when = try #require(parsed.rule("r")?.when)
    // ((has(event.amount) && amount >= low) && amount <= high): the presence test comes first.
    guard case .call(_, "_&&_", let args) = when.ast.root.kind, args.count == 2,
      case .call(_, "_&&_", let guarded) = args[0].kind, guarded.count == 2,
      case .call(_, "_>=_", let low) = guarded[1].kind, case .call(_, "_<=_", let high) = args[1].kind
    else {
      Issue.record("unexpected \(when.ast.debugString)")
      return
    }
    #expect(parsed.text(when.ast.span(of: low[0].id)) == "amount")
    #expect(parsed.text(when.ast.span(of: low[1].id)) == "1000.0")
    #expect(parsed.text(when.ast.span(of: high[1].id)) == "5000.0")
    #expect(parsed.text(when.ast.span(of: guarded[0].id)) == "amount")
    #expect(parsed.text(when.ast.span(of: guarded[1].id)) == "amount:\n        between: [1000.0")
  }

  @Test func yamlSyntaxErrorsUseTheParsersMark() {
    expectDiagnostic("rules:\n  - id: r\n\twhen: x\n", code: "E0301", line: 3, column: 1, underlined: "\t")
    let parsed = parseYAML("rules:\n  - id: r\n    when: event.a: 1\n")
    #expect(parsed.codes == ["E0301"])
    #expect(parsed.diagnostics.first?.help?.contains("quoted") == true)
  }
}
