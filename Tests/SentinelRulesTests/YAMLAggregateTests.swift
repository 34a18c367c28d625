// Aggregates written in YAML: every key, `where:` as CEL or as seed conditions, windows, spans
// into the file; and that the YAML and the DSL forms give the same AST. Their diagnostics are
// cases of YAMLDiagnosticTests.

import Foundation
import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLAggregateTests {
  @Test func everyKey() throws {
    let yaml = """
      aggregates:
        failed_logins:
          kind: count
          key: event.user_id
          where: '!event.success && event.type == "login"'
          window: 60s
        spray_users: {kind: distinct, of: event.user_id, key: event.ip, window: "10m"}
        amounts:
          kind: stats
          of: event.amount
          key: event.user_id
          where:
            type: {eq: transaction}
          include_current: false
          description: earlier transactions only
        forever: {kind: seen, of: event.device_id, key: event.user_id, window: unbounded}
      """
    let parsed = parseYAML(yaml)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    let dump = try #require(parsed.file.map(RuleFileDump.dump))
    #expect(
      dump == """
        aggregate failed_logins
          kind=count
          key=event.user_id
          where=(!event.success && (event.type == "login"))
          window=60000000000ns
        aggregate spray_users
          kind=distinct
          of=event.user_id
          key=event.ip
          window=600000000000ns
        aggregate amounts
          kind=stats
          of=event.amount
          key=event.user_id
          where=(has(event.type) && (event.type == "transaction"))
          include_current=false
        aggregate forever
          kind=seen
          of=event.device_id
          key=event.user_id

        """)
    guard case .aggregate(let a)? = parsed.file?.declarations.first else {
      Issue.record("no aggregate")
      return
    }
    #expect(parsed.text(a.name.span) == "failed_logins")
    #expect(parsed.text(try #require(a.kind).span) == "count")
    #expect(parsed.text(try #require(a.window).span) == "60s")
    let filter = try #require(a.filter)
    #expect(parsed.text(filter.span) == "'!event.success && event.type == \"login\"'")
    let success = try #require(
      filter.ast.spans.values.first { parsed.text($0) == "event.success" }, "no span of event.success")
    #expect(parsed.source.location(of: success.start) == (5, 14))
  }

  @Test func celErrorsPointIntoTheFile() throws {
    let parsed = parseYAML("aggregates:\n  a:\n    key: event.user_id +\n")
    let d = try #require(parsed.errors.first)
    #expect(d.code == SyntaxCode.unexpectedToken, "\(parsed.rendered)")
    #expect(parsed.source.location(of: d.span.start).line == 3)
  }

  @Test func anAggregateWithAnErrorIsKeptWithoutTheKey() throws {
    let parsed = parseYAML("aggregates:\n  a: {kind: count, key: event.user_id, window: 60}\n")
    #expect(parsed.codes == [YAMLCode.invalidWindow])
    guard case .aggregate(let a)? = parsed.file?.declarations.first else {
      Issue.record("no aggregate")
      return
    }
    #expect(a.kind?.value == .count)
    #expect(a.window == nil)
  }

  @Test func theDocsExampleAndItsDSLTwinAgree() throws {
    let path = packageRoot.appendingPathComponent("docs/yaml.md").path
    let markdown = try String(contentsOfFile: path, encoding: .utf8)
    let section = try #require(markdown.range(of: "## Aggregates\n")).upperBound
    func block(_ fence: String, after start: String.Index) throws -> (String, String.Index) {
      let open = try #require(markdown.range(of: "```" + fence + "\n", range: start..<markdown.endIndex))
      let close = try #require(markdown.range(of: "```", range: open.upperBound..<markdown.endIndex))
      return (String(markdown[open.upperBound..<close.lowerBound]), close.upperBound)
    }
    let (yamlText, next) = try block("yaml", after: section)
    let (dslText, _) = try block("sentinel", after: next)
    let yaml = parseYAML(yamlText)
    let (dsl, diagnostics) = RuleParser.parse(Source(text: dslText))
    #expect(yaml.diagnostics.isEmpty && diagnostics.isEmpty, "\(yaml.rendered) \(diagnostics)")
    #expect(yaml.file?.declarations.count == 4)
    #expect(try normalizedDump(#require(yaml.file)) == normalizedDump(#require(dsl)))
  }

  @Test func theSameAggregatesInTheDSL() throws {
    let yaml = parseYAML(
      """
      aggregates:
        last_login:
          kind: last
          of: event.geo
          key: event.user_id
          where: event.type == "login" && event.success && has(event.geo)
          window: 1.5h
          include_current: true
      """)
    let (dsl, diagnostics) = RuleParser.parse(
      Source(
        text: """
          aggregate last_login {
            kind: last
            of: event.geo
            key: event.user_id
            where: event.type == "login" && event.success && has(event.geo)
            window: 1h30m
            include_current: true
          }
          """))
    #expect(diagnostics.isEmpty && yaml.diagnostics.isEmpty, "\(yaml.rendered)")
    #expect(try normalizedDump(#require(yaml.file)) == normalizedDump(#require(dsl)))
  }
}
