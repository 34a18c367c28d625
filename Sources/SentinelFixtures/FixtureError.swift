// Golden fixtures and rule-set diffs, the tooling side of replay. The pipeline of `sentinel test`:
//
//   FixtureDiscovery   PATH… → fixture folders (a folder holding `events.jsonl`)
//   FixtureRuleSet     the folder's `rules/` (or `rules.sbc`), else `--rules` → compilation + bundle
//   CorpusReplay       events → output lines, each event from empty in-memory state
//   OutputLine         expected and actual lines parsed and compared (decisions as JSON, errors
//                      by the presence of `error` and the `event_id`)
//   FixtureRunner      → FixtureResult: mismatches explained with the reference evaluator
//   FixtureReport      human and JSON renderings
//
// and of `sentinel diff`: RuleSetSummary (structure) → StructuralDiff, DecisionDiff (a corpus
// replayed through both rule sets), DiffReport.

/// A problem that keeps a fixture (or a rule set) from being checked: reported precisely,
/// never a crash.
public struct FixtureError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The file or folder concerned.
  public var path: String
  /// A lowercase, one-line message.
  public var message: String

  /// An error about `path`.
  public init(_ path: String, _ message: String) {
    self.path = path
    self.message = message
  }

  /// `path: message`.
  public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
