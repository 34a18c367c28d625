// Renderings of fixture results: human-readable (mismatches with explanations, a summary per
// fixture) and JSON (docs/testing.md gives the shape).

import SentinelModel
import SentinelReference

/// Renders fixture results.
public enum FixtureReport {
  /// Every mismatch and problem, then one summary line per fixture and a total.
  public static func human(_ results: [FixtureResult]) -> String {
    var out = ""
    for r in results {
      for p in r.problems { out += "error: \(p)\n" }
      for m in r.mismatches { out += mismatch(m, fixture: r.fixture.path) }
    }
    if !out.isEmpty { out += "\n" }
    for r in results {
      let status = r.succeeded ? "ok  " : "FAIL"
      out += "\(status) \(r.fixture.path): \(r.lines) lines, \(r.passed) passed, \(r.failed) failed"
      if !r.problems.isEmpty { out += ", \(r.problems.count) problem\(r.problems.count == 1 ? "" : "s")" }
      out += "\n"
    }
    let failedFixtures = results.filter { !$0.succeeded }.count
    let lines = results.reduce(0) { $0 + $1.lines }
    let passed = results.reduce(0) { $0 + $1.passed }
    out +=
      "\(results.count) fixture\(results.count == 1 ? "" : "s"), \(failedFixtures) failed; "
      + "\(lines) lines, \(passed) passed, \(lines - passed) failed\n"
    return out
  }

  /// One mismatch: where, the event, expected vs actual, what differs, and the differing rules'
  /// condition trees.
  public static func mismatch(_ m: Mismatch, fixture: String) -> String {
    var out = "mismatch: \(fixture) decisions.jsonl:\(m.line) (events.jsonl:\(m.eventLine))\n"
    out += "  event:    \(m.event)\n"
    out += "  expected: \(m.expected)\n"
    out += "  actual:   \(m.actual)\n"
    for n in m.notes { out += "  \(n)\n" }
    for d in m.rules {
      let what =
        d.expectedMatch
        ? "expected to match, did not" : "matched, not expected to"
      out += "  rule \(d.ruleID): \(what)\n"
      if !d.reads.isEmpty {
        out += "    reads: " + d.reads.map { "\($0.name) = \($0.value)" }.joined(separator: ", ") + "\n"
      }
      if let c = d.condition { out += tree(c, indent: "      ") }
    }
    return out
  }

  /// A condition tree, one part per line: `text  →  value`.
  public static func tree(_ c: ConditionExplanation, indent: String) -> String {
    var out = "\(indent)\(c.text)  →  \(c.value)\n"
    for child in c.children { out += tree(child, indent: indent + "  ") }
    return out
  }

  /// The results as one JSON object (docs/testing.md).
  public static func json(_ results: [FixtureResult]) -> String {
    let fixtures = results.map { r -> String in
      let mismatches = r.mismatches.map { m -> String in
        let rules = m.rules.map { d in
          "{\"id\":\(q(d.ruleID)),\"expected_match\":\(d.expectedMatch),\"actual_match\":\(d.actualMatch),"
            + "\"reads\":{\(d.reads.map { q($0.name) + ":" + q($0.value.description) }.joined(separator: ","))},"
            + "\"condition\":\(d.condition.map(conditionJSON) ?? "null")}"
        }
        return "{\"line\":\(m.line),\"event_line\":\(m.eventLine),\"event\":\(q(m.event)),"
          + "\"expected\":\(q(m.expected)),\"actual\":\(q(m.actual)),"
          + "\"notes\":[\(m.notes.map(q).joined(separator: ","))],\"rules\":[\(rules.joined(separator: ","))]}"
      }
      return "{\"fixture\":\(q(r.fixture.path)),\"rules\":\(r.fixture.ownRules.map(q) ?? "null"),"
        + "\"lines\":\(r.lines),\"passed\":\(r.passed),\"failed\":\(r.failed),"
        + "\"problems\":[\(r.problems.map { q($0.description) }.joined(separator: ","))],"
        + "\"mismatches\":[\(mismatches.joined(separator: ","))]}"
    }
    let ok = results.allSatisfy(\.succeeded)
    return "{\"passed\":\(ok),\"fixtures\":[\(fixtures.joined(separator: ","))]}"
  }

  static func conditionJSON(_ c: ConditionExplanation) -> String {
    "{\"text\":\(q(c.text)),\"value\":\(q(c.value.description)),"
      + "\"children\":[\(c.children.map(conditionJSON).joined(separator: ","))]}"
  }

  static func q(_ s: String) -> String { JSONWriter.quote(s) }
}
