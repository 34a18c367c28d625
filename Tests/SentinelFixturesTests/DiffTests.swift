// `sentinel diff` on two versions of the reference rules: `structuring` at ≥ 2 instead of ≥ 3
// near-threshold transactions, scoring 40 instead of 50, replayed on the structuring boundary
// fixture. The expected counts are derived from that fixture's README, not from the engine:
//
//   ≥ 2 adds a match on each user's 2nd near-threshold transaction in 24 h: st-a3, st-b4, st-c2,
//   st-d2, st-e3 and st-c3 (c1 has left the window, c2 + c3 = 2) — 6 lines allow → review.
//   st-a5, st-a6, st-b5, st-c4, st-d3 were already reviewed: same action, score 50 → 40.
//   22 lines: 16 allow + 5 review + 1 error before; 10 allow + 11 review + 1 error after.

import Foundation
import SentinelFixtures
import SentinelTestSupport
import Testing

@Suite struct DiffTests {
  static func versions() throws -> (old: String, new: String) {
    let dir = try Repo.temporaryFolder()
    try FileManager.default.createDirectory(atPath: dir + "/new", withIntermediateDirectories: true)
    for f in ["reference.rules", "seed.yaml"] {
      var text = try Repo.read(Repo.rules + "/" + f)
      if f == "reference.rules" {
        #expect(text.contains("near_threshold_transactions_24h >= 3"))
        text = text.replacingOccurrences(
          of: "near_threshold_transactions_24h >= 3", with: "near_threshold_transactions_24h >= 2")
        text = text.replacingOccurrences(of: "score: 50", with: "score: 40")
        // The copy lives elsewhere: its screening list is the repository's, by absolute path.
        text = text.replacingOccurrences(
          of: "\"../fixtures/sanctions/sdn.csv\"",
          with: "\"" + Repo.rules + "/../fixtures/sanctions/sdn.csv\"")
      }
      try Repo.write(text, to: dir + "/new/" + f)
    }
    return (Repo.rules, dir + "/new")
  }

  @Test func structureAndDecisions() throws {
    let (oldPath, newPath) = try Self.versions()
    let old = try FixtureRuleSet.load([oldPath])
    let new = try FixtureRuleSet.load([newPath])
    let structure = StructuralDiff(old: old.summary, new: new.summary)
    let rules = try #require(structure.sections.first { $0.section == "rules" })
    #expect(rules.added.isEmpty && rules.removed.isEmpty)
    #expect(rules.changed.map(\.name) == ["structuring"])
    #expect(rules.changed.first?.fields.map(\.field) == ["condition", "score"])
    #expect(rules.changed.first?.fields.last?.old == "50")
    #expect(rules.changed.first?.fields.last?.new == "40")
    #expect(rules.changed.first?.fields.first?.new.hasSuffix("near_threshold_transactions_24h >= 2") == true)
    // The copy names the same screening list by another path: only that list may differ.
    for section in structure.sections where section.section != "rules" {
      #expect(section.compared)
      #expect(
        section.isEmpty
          || (section.added.isEmpty && section.removed.isEmpty && section.changed.map(\.name) == ["sdn"]),
        "\(section.section): \(section.changed.map(\.name))")
    }

    let corpus = try Repo.read(Repo.ruleFixtures + "/structuring/events.jsonl")
    let d = try DecisionDiff(corpus: corpus, old: old.bundle, new: new.bundle)
    #expect(d.lines == 22)
    #expect(d.changedLines == 11)
    #expect(d.sameActionChanged == 5)
    let cells = Dictionary(uniqueKeysWithValues: d.matrix.map { ("\($0.from)→\($0.to)", $0.count) })
    #expect(cells == ["allow→allow": 10, "allow→review": 6, "review→review": 5, "error→error": 1])
    let t = try #require(d.transitions.first)
    #expect(d.transitions.count == 1)
    #expect(t.examples.map(\.eventID) == ["st-a3", "st-b4", "st-c2"])
    #expect(t.examples.first?.rulesBefore == [])
    #expect(t.examples.first?.rulesAfter == ["structuring"])
    let hits = try #require(d.rules.first { $0.ruleID == "structuring" })
    #expect(hits.before == 5 && hits.after == 11 && hits.delta == 6)
    #expect(d.rules.filter { $0.ruleID != "structuring" }.allSatisfy { $0.delta == 0 })

    let json = DiffReport.json(structure: structure, decisions: d, old: "a", new: "b", corpus: "c")
    #expect(json.contains(#"{"from":"allow","to":"review","count":6,"examples":[{"event_id":"st-a3""#))
    #expect(json.contains(#"{"id":"structuring","before":5,"after":11,"delta":6}"#))
    let human = DiffReport.human(structure: structure, decisions: d, old: "a", new: "b", corpus: "c")
    #expect(human.contains("~ structuring"))
    #expect(human.contains("score: 50 → 40"))
  }

  @Test func bundleRuleTablesDiffToo() throws {
    let (oldPath, newPath) = try Self.versions()
    let old = try FixtureRuleSet.load([oldPath])
    let new = try FixtureRuleSet.load([newPath])
    let structure = StructuralDiff(
      old: .fromBundle(old.bundle.bundle), new: .fromBundle(new.bundle.bundle))
    let rules = try #require(structure.sections.first { $0.section == "rules" })
    #expect(rules.changed.map(\.name) == ["structuring"])
    #expect(rules.changed.first?.fields.map(\.field) == ["condition", "score"])
    #expect(structure.sections.first { $0.section == "lists" }?.compared == false)
  }

  @Test func disabledRuleAndAddedAggregate() throws {
    let dir = try Repo.temporaryFolder()
    try Repo.write(
      "rule a {\n  when: event.type == \"login\"\n  score: 10\n}\n", to: dir + "/old.rules")
    try Repo.write(
      "aggregate logins {\n  kind: count\n  key: event.user_id\n  window: 1h\n}\n"
        + "rule a {\n  enabled: false\n  when: event.type == \"login\"\n  score: 10\n}\n"
        + "rule b {\n  when: logins > 1\n  action: review\n}\n", to: dir + "/new.rules")
    let old = try FixtureRuleSet.load([dir + "/old.rules"])
    let new = try FixtureRuleSet.load([dir + "/new.rules"])
    let s = StructuralDiff(old: old.summary, new: new.summary)
    let rules = try #require(s.sections.first { $0.section == "rules" })
    #expect(rules.added == ["b"])
    #expect(rules.changed.first?.fields == [FieldChange(field: "enabled", old: "true", new: "false")])
    #expect(s.sections.first { $0.section == "aggregates" }?.added == ["logins"])
    let events =
      #"{"event_id":"1","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u"}"# + "\n"
      + #"{"event_id":"2","type":"login","ts":"2026-11-25T10:01:00Z","user_id":"u"}"# + "\n"
    let d = try DecisionDiff(corpus: events, old: old.bundle, new: new.bundle)
    // Old: both allow 10 [a]. New: a is disabled; b matches the 2nd login (2 logins > 1).
    #expect(d.matrix.map { "\($0.from)→\($0.to):\($0.count)" } == ["allow→allow:1", "allow→review:1"])
    #expect(d.rules.map { "\($0.ruleID):\($0.before)/\($0.after)" } == ["a:2/0", "b:0/1"])
  }
}
