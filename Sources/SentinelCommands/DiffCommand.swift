// `sentinel diff OLD NEW --corpus EVENTS.jsonl [--json]`: what changed between two versions of a
// rule set — structurally, and in the decisions on a corpus (docs/testing.md). The work is in
// SentinelFixtures; this file only parses arguments and prints.

import ArgumentParser
import SentinelFixtures

/// Compares two versions of a rule set.
public struct DiffCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Compare two rule sets: structure, and decisions on a corpus.",
    discussion: """
      OLD and NEW are rule files or directories, or compiled bundles (.sbc). The structural diff
      lists rules, named conditions, aggregates and lists added, removed and changed (each
      changed field old → new), and policy changes; from sources it covers every declaration,
      from a bundle its rule table, aggregates and policy (a bundle records no conditions or
      lists). With --corpus, the events are replayed through both (each from empty in-memory
      state): a transition matrix of actions (error for rejected lines), up to 3 example events
      per change of action, and per-rule hit counts before and after.

      Example:
        sentinel diff rules/ rules-v2/ --corpus fixtures/reference-corpus/events.jsonl
      """)

  @Argument(help: "The old rule set: a file, a directory, or a bundle (.sbc).")
  var old: String

  @Argument(help: "The new rule set: a file, a directory, or a bundle (.sbc).")
  var new: String

  @Option(help: "Events to replay through both, one JSON object per line.")
  var corpus: String?

  @Flag(help: "Write the diff as JSON (docs/testing.md).")
  var json = false

  public init() {}

  public func run() throws {
    let before: FixtureRuleSet
    let after: FixtureRuleSet
    var decisions: DecisionDiff?
    do {
      before = try FixtureRuleSet.load([old])
      after = try FixtureRuleSet.load([new])
      if let corpus {
        let text = String(decoding: try readFileBytes(corpus), as: UTF8.self)
        decisions = try DecisionDiff(corpus: text, old: before.bundle, new: after.bundle)
      }
    } catch let e as FixtureError {
      printError("error: \(e)")
      throw ExitCode(1)
    }
    let structure = StructuralDiff(old: before.summary, new: after.summary)
    if json {
      print(DiffReport.json(structure: structure, decisions: decisions, old: old, new: new, corpus: corpus))
    } else {
      print(
        DiffReport.human(structure: structure, decisions: decisions, old: old, new: new, corpus: corpus),
        terminator: "")
    }
  }
}
