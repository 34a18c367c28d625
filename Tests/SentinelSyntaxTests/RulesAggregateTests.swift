// Aggregate declarations in the rule DSL: every field and its AST, windows (the duration
// notation, its canonical text), the formatter's layout of aggregates. Their diagnostics are
// cases of RulesDiagnosticTests.

import SentinelModel
import SentinelSyntax
import Testing

/// The aggregates of a file, in order.
func aggregates(_ file: RuleFile?) -> [AggregateDecl] {
  file?.declarations.compactMap { if case .aggregate(let a) = $0 { return a } else { return nil } } ?? []
}

@Suite("Rules aggregates")
struct RulesAggregateTests {
  @Test func everyField() throws {
    let text = """
      aggregate spray_users {
        kind: distinct
        of: event.user_id
        key: event.ip
        where: event.type == "login" && !event.success
          && has(event.ip)
        window: 10m
        include_current: false
      }
      """
    let file = try #require(parseValid(text))
    let a = try #require(aggregates(file).first)
    #expect(a.name.value == "spray_users")
    #expect(a.kind?.value == .distinct)
    #expect(a.of?.ast.debugString == "event.user_id")
    #expect(a.key?.ast.debugString == "event.ip")
    #expect(
      a.filter?.ast.debugString == "(((event.type == \"login\") && !event.success) && has(event.ip))")
    #expect(a.filter?.text == "event.type == \"login\" && !event.success\n    && has(event.ip)")
    #expect(a.window?.value == 600_000_000_000)
    #expect(a.includeCurrent?.value == false)
    // Spans index the file.
    #expect(slice(file.source, a.name.span) == "spray_users")
    #expect(slice(file.source, try #require(a.kind).span) == "distinct")
    #expect(slice(file.source, try #require(a.window).span) == "10m")
    #expect(slice(file.source, try #require(a.includeCurrent).span) == "false")
    #expect(slice(file.source, try #require(a.key).span) == "event.ip")
    #expect(slice(file.source, a.span).hasPrefix("aggregate spray_users {"))
    #expect(slice(file.source, a.span).hasSuffix("}"))
    let key = try #require(a.key)
    #expect(slice(file.source, key.ast.span(of: key.ast.root.id)) == "event.ip")
    #expect(key.ast.source.text == text)
  }

  @Test func omittedFieldsStayNil() throws {
    // Missing `kind`/`key` and a missing or extra `of` are the compiler's to report.
    let file = try #require(parseValid("aggregate a {\n}\naggregate b { of: event.x, kind: count }\n"))
    let (a, b) = (aggregates(file)[0], aggregates(file)[1])
    #expect(a.kind == nil && a.key == nil && a.of == nil && a.filter == nil)
    #expect(a.window == nil && a.includeCurrent == nil)
    #expect(b.kind?.value == .count)
    #expect(b.of?.text == "event.x")
  }

  @Test(arguments: AggregateKind.allCases) func everyKind(_ kind: AggregateKind) throws {
    let file = try #require(parseValid("aggregate a {\n  kind: \(kind.rawValue)\n  key: event.user_id\n}\n"))
    #expect(aggregates(file).first?.kind?.value == kind)
  }

  @Test func theExamplesOfTheBrief() throws {
    let text = """
      aggregate failed_logins {
        kind: count
        key: event.user_id
        where: event.type == "login" && !event.success
        window: 60s
      }
      aggregate last_login {
        kind: last
        of: event.geo
        key: event.user_id
        where: event.type == "login" && event.success && has(event.geo)
      }
      aggregate amounts {
        kind: stats
        of: event.amount
        key: event.user_id
        where: event.type == "transaction"
        include_current: false
      }
      rule burst {
        when: failed_logins > 5 && has(last_login.ts) && amounts.count > 0
        action: review
      }
      """
    let file = try #require(parseValid(text))
    let all = aggregates(file)
    #expect(all.map(\.name.value) == ["failed_logins", "last_login", "amounts"])
    #expect(all.map { $0.window?.value } == [60_000_000_000, nil, nil])
    #expect(all.map { $0.includeCurrent?.value } == [nil, nil, false])
    #expect(file.declarations.count == 4)
  }

  @Test func keywordsAsFieldNamesAndInCEL() throws {
    // `where`, `of`, `key` and `kind` are field names only in an aggregate; CEL after them may
    // use any name, and `aggregate` as a CEL name does not start a declaration.
    let text = """
      aggregate a {
        key: event.key
        where: event.kind == "x"
          || aggregate_count > 0
      }
      rule r { when: event.where == 1 }
      """
    let file = try #require(parseValid(text))
    #expect(
      aggregates(file).first?.filter?.ast.debugString == "((event.kind == \"x\") || (aggregate_count > 0))")
    #expect(file.declarations.count == 2)
  }

  // MARK: - Windows

  @Test(
    arguments: [
      ("60s", 60_000_000_000), ("10m", 600_000_000_000), ("24h", 86_400_000_000_000),
      ("1h30m", 5_400_000_000_000), ("500ms", 500_000_000), ("1.5h", 5_400_000_000_000),
      ("7d", 604_800_000_000_000), ("\"60s\"", 60_000_000_000), ("'1d12h'", 129_600_000_000_000),
      ("250us", 250_000), ("1ns", 1), ("0.25s", 250_000_000), ("1.000000001s", 1_000_000_001),
      ("30m1h", 5_400_000_000_000), ("106751d", 9_223_286_400_000_000_000),
    ] as [(String, Int64)])
  func windows(_ written: String, _ nanos: Int64) throws {
    let file = try #require(parseValid("aggregate a {\n  window: \(written)\n}\n"))
    let w = try #require(aggregates(file).first?.window)
    #expect(w.value == nanos)
    #expect(slice(file.source, w.span) == written)
  }

  @Test func unboundedWindows() throws {
    let file = try #require(
      parseValid("aggregate a { window: unbounded }\naggregate b { window: \"unbounded\" }"))
    #expect(aggregates(file).map { $0.window == nil } == [true, true])
  }

  @Test(
    arguments: [
      (1, "1ns"), (60_000_000_000, "1m"), (600_000_000_000, "10m"), (86_400_000_000_000, "24h"),
      (5_400_000_000_000, "1h30m"), (604_800_000_000_000, "168h"), (1_500_000_000, "1s500ms"),
      (500_000_000, "500ms"), (3_723_004_005_006, "1h2m3s4ms5us6ns"),
      (Int64.max, "2562047h47m16s854ms775us807ns"),
    ] as [(Int64, String)])
  func canonicalWindows(_ nanos: Int64, _ text: String) {
    #expect(WindowDuration.format(nanos) == text)
    #expect(WindowDuration.parse(text) == .success(nanos))
  }

  @Test func windowFailures() {
    func failure(_ text: String) -> WindowDuration.Failure? {
      if case .failure(let f) = WindowDuration.parse(text) { return f }
      return nil
    }
    #expect(failure("")?.message == "the window is empty")
    #expect(failure("60")?.message == "invalid window `60`: `60` has no unit")
    #expect(failure("5x")?.range == 1..<2)
    #expect(failure("1h 30m")?.message == "invalid window `1h 30m`: unknown unit `h `")
    #expect(failure("-1s")?.message == "the window must be positive, found `-1s`")
    #expect(failure("+1s")?.help == "write `1s`")
    #expect(failure("0h0m")?.message == "the window must be positive, found `0h0m`")
    #expect(failure("0.5ns")?.message.contains("whole number of nanoseconds") == true)
    #expect(failure("0.0000000001s")?.message.contains("whole number of nanoseconds") == true)
    #expect(failure("106752d")?.message == "the window `106752d` is too long")
    #expect(failure("99999999999999999999s")?.message.contains("too long") == true)
    #expect(failure("106751d24h")?.message.contains("too long") == true)
    #expect(failure("h")?.message == "invalid window `h`: expected a number at `h`")
  }

  @Test func generatedWindowsRoundTrip() {
    var rng = SplitMix64(seed: 0x5EED_0A66)
    for _ in 0..<2_000 {
      let nanos = Int64.random(in: 1...Int64.max, using: &rng) >> Int64.random(in: 0...62, using: &rng)
      let text = WindowDuration.format(max(1, nanos))
      #expect(WindowDuration.parse(text) == .success(max(1, nanos)), "\(text)")
    }
  }

  // MARK: - Formatting

  @Test func canonicalLayout() {
    let text = """
      // Velocity.
      aggregate failed_logins { // per user
        window: 60s   // a minute
        include_current: true
        where: event.type == "login" &&
            !event.success
        // the user
        key: event.user_id
        kind: count
      }
      aggregate a { window: "1d12h", of: event.amount, kind: sum, key: event.user_id }
      aggregate b { window: unbounded }
      """
    #expect(
      formatted(text) == """
        // Velocity.
        aggregate failed_logins {  // per user
          kind: count
          // the user
          key: event.user_id
          where: event.type == "login" &&
            !event.success
          window: 1m  // a minute
          include_current: true
        }

        aggregate a {
          kind: sum
          of: event.amount
          key: event.user_id
          window: 36h
        }

        aggregate b {
        }

        """)
    #expect(roundTripProblem(text) == nil)
  }
}
