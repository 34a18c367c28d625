// The golden fixtures as tests: the reference corpus and every per-rule boundary fixture pass
// in-process (this is what puts them in `make test`); a wrong expected line is reported and
// explained; `--update` round-trips; replay is deterministic; bad fixtures give precise errors.

import Foundation
import SentinelFixtures
import SentinelModel
import SentinelTestSupport
import Testing

/// Paths in the repository (SentinelTestSupport), and copies of fixture folders.
typealias Repo = TestRepository

extension TestRepository {
  /// Copies a fixture folder's events and decisions into a new temporary folder.
  static func copyFixture(_ name: String) throws -> String {
    let dir = try temporaryFolder()
    for f in ["events.jsonl", "decisions.jsonl"] {
      try FileManager.default.copyItem(atPath: ruleFixtures + "/\(name)/\(f)", toPath: dir + "/\(f)")
    }
    return dir
  }
}

@Suite struct FixtureTests {
  @Test func referenceCorpusPasses() throws {
    let folders = try FixtureDiscovery.find([Repo.corpus])
    #expect(folders.count == 1)
    let results = FixtureRunner(sharedRules: [Repo.rules]).run(folders)
    let ok = results.allSatisfy { $0.succeeded }
    #expect(ok, Comment(rawValue: FixtureReport.human(results)))
    #expect(results.first?.lines == 2975)
    #expect(results.first?.passed == 2975)
  }

  @Test func everyReferenceRuleHasPassingBoundaryFixtures() throws {
    let folders = try FixtureDiscovery.find([Repo.ruleFixtures])
    let rules = try FixtureRuleSet.load([Repo.rules])
    let names = Set(folders.map { ($0.path as NSString).lastPathComponent })
    #expect(names == Set(rules.bundle.bundle.rules.map(\.id)), "one folder per reference rule")
    let results = FixtureRunner(sharedRules: [Repo.rules]).run(folders)
    let ok = results.allSatisfy { $0.succeeded }
    #expect(ok, Comment(rawValue: FixtureReport.human(results)))
    #expect(results.allSatisfy { $0.lines > 0 })
  }

  @Test func wrongExpectedLineIsReportedWithExplanation() throws {
    let dir = try Repo.copyFixture("structuring")
    var lines = try Repo.read(dir + "/decisions.jsonl").split(separator: "\n").map(String.init)
    // st-a5, the third near-threshold transaction: really review 50 [structuring].
    #expect(lines[4].contains("st-a5"))
    lines[4] = #"{"event_id":"st-a5","action":"allow","score":0,"rules":[]}"#
    try Repo.write(lines.joined(separator: "\n") + "\n", to: dir + "/decisions.jsonl")
    let results = FixtureRunner(sharedRules: [Repo.rules]).run(try FixtureDiscovery.find([dir]))
    let r = try #require(results.first)
    #expect(!r.succeeded)
    #expect(r.failed == 1)
    #expect(r.passed == r.lines - 1)
    let m = try #require(r.mismatches.first)
    #expect(m.line == 5)
    #expect(m.eventLine == 5)
    #expect(m.event.contains("st-a5"))
    let d = try #require(m.rules.first)
    #expect(m.rules.count == 1)
    #expect(d.ruleID == "structuring")
    #expect(!d.expectedMatch && d.actualMatch)
    let condition = try #require(d.condition)
    #expect(condition.children.contains { $0.text.contains("near_threshold_transactions_24h >= 3") })
    let text = FixtureReport.human(results)
    #expect(text.contains("rule structuring: matched, not expected to"))
    #expect(text.contains("reads: event.amount = 9500.0, event.type = \"transaction\""))
    #expect(text.contains("near_threshold_transactions_24h = 3"))
    #expect(text.contains("action: expected allow, actual review"))
    let json = FixtureReport.json(results)
    #expect(json.contains(#""id":"structuring","expected_match":false,"actual_match":true"#))
  }

  @Test func updateRoundTrip() throws {
    let dir = try Repo.copyFixture("login_failures_warning")
    let original = try Repo.read(dir + "/decisions.jsonl")
    try Repo.write(
      #"{"event_id":"x","action":"block","score":1,"rules":[]}"# + "\n", to: dir + "/decisions.jsonl")
    let runner = FixtureRunner(sharedRules: [Repo.rules])
    let before = runner.run(try FixtureDiscovery.find([dir]))
    #expect(!before[0].succeeded)
    #expect(try FixtureUpdate.write(before[0]))
    // This fixture has no error lines, so the hand-written file is byte-for-byte the output.
    #expect(try Repo.read(dir + "/decisions.jsonl") == original)
    let after = runner.run(try FixtureDiscovery.find([dir]))
    #expect(after[0].succeeded)
    #expect(try FixtureUpdate.write(after[0]) == false, "unchanged files are not rewritten")
  }

  @Test func replayIsDeterministic() throws {
    let rules = try FixtureRuleSet.load([Repo.rules])
    let text = try Repo.read(Repo.corpus + "/events.jsonl")
    let first = try CorpusReplay.outputs(text, bundle: rules.bundle).map(\.output)
    let second = try CorpusReplay.outputs(text, bundle: rules.bundle).map(\.output)
    #expect(first.count == 2975)
    #expect(first == second)
  }

  @Test func badFixturesGivePreciseProblems() throws {
    let runner = FixtureRunner(sharedRules: [Repo.rules])
    // Malformed JSON on line 2 of the expected lines.
    let malformed = try Repo.copyFixture("login_failures_warning")
    var lines = try Repo.read(malformed + "/decisions.jsonl").split(separator: "\n").map(String.init)
    lines[1] = "{\"event_id\": "
    try Repo.write(lines.joined(separator: "\n") + "\n", to: malformed + "/decisions.jsonl")
    let m = runner.run(try FixtureDiscovery.find([malformed]))[0]
    #expect(
      m.problems.contains { $0.path.hasSuffix("decisions.jsonl:2") && $0.message.contains("invalid JSON") })
    // One expected line too few.
    let short = try Repo.copyFixture("login_failures_warning")
    try Repo.write(
      lines.dropLast().dropFirst(2).joined(separator: "\n") + "\n", to: short + "/decisions.jsonl")
    let s = runner.run(try FixtureDiscovery.find([short]))[0]
    #expect(
      s.problems.contains { $0.message.contains("gives 15 output lines") && $0.message.contains("has 12") })
    // No decisions.jsonl.
    let missing = try Repo.copyFixture("login_failures_warning")
    try FileManager.default.removeItem(atPath: missing + "/decisions.jsonl")
    let x = runner.run(try FixtureDiscovery.find([missing]))[0]
    #expect(x.problems.contains { $0.path.hasSuffix("decisions.jsonl") })
    #expect(x.replayed, "the events still replay, so --update can create the file")
    // No rules at all.
    let bare = FixtureRunner().run(try FixtureDiscovery.find([short]))[0]
    #expect(bare.problems.contains { $0.path == short && $0.message.contains("no rules") })
    // Paths that are not fixtures.
    #expect(throws: FixtureError.self) { try FixtureDiscovery.find([short + "/nope"]) }
    #expect(throws: FixtureError.self) { try FixtureDiscovery.find([Repo.rules]) }
  }

  @Test func folderRulesTakePrecedence() throws {
    let dir = try Repo.copyFixture("sanctioned_region")
    try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
    try Repo.write(
      "rule only_kp {\n  when: has(event.country_code) && event.country_code == \"KP\"\n  action: block\n"
        + "  score: 100\n}\n", to: dir + "/rules/only.rules")
    let folders = try FixtureDiscovery.find([dir])
    #expect(folders[0].ownRules == dir + "/rules")
    let r = FixtureRunner(sharedRules: [Repo.rules]).run(folders)[0]
    // sr-01 (KP): expected `sanctioned_region`, which the folder's rules do not have; `only_kp`
    // matched instead, and is explained.
    #expect(!r.succeeded)
    let first = try #require(r.mismatches.first)
    #expect(first.event.contains("sr-01"))
    #expect(first.rules.map(\.ruleID) == ["only_kp", "sanctioned_region"])
    #expect(first.rules[0].condition != nil && first.rules[1].condition == nil)
    #expect(first.notes.contains("no rule `sanctioned_region` in the rule set"))
  }

  @Test func outputLinesCompareAsJSON() throws {
    let a = try OutputLine.parse(#"{"event_id":"e","action":"review","score":70,"rules":["x"]}"#)
    let b = try OutputLine.parse(#"{"rules":["x"],"score":70.0,"action":"review","event_id":"e"}"#)
    #expect(a.accepts(b))
    let c = try OutputLine.parse(#"{"event_id":"e","action":"review","score":70,"rules":["y"]}"#)
    #expect(!a.accepts(c))
    let e1 = try OutputLine.parse(#"{"event_id":"e","error":"missing `ts`"}"#)
    let e2 = try OutputLine.parse(#"{"event_id":"e","error":"something else"}"#)
    let e3 = try OutputLine.parse(#"{"error":"not JSON"}"#)
    #expect(e1.accepts(e2))
    #expect(!e1.accepts(e3))
    #expect(!e1.accepts(a))
    #expect(throws: FixtureError.self) { try OutputLine.parse(#"{"event_id":"e","action":"allow"}"#) }
    #expect(throws: FixtureError.self) { try OutputLine.parse("[1]") }
  }
}
