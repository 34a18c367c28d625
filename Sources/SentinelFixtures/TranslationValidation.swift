// Translation validation: the same rule set compiled two ways (optimized and not, or with one
// pass alone) must decide every event the same way — the same action, score and matched rules,
// and, rule by rule, the same outcome: matched, not matched, or an error. Each bundle replays
// the events through its own `EventProcessor` (fresh in-memory state, so stateful rules are
// compared too); the first divergences are reported with the event and the rule.

import SentinelRuntime
import SentinelState

/// A place where two compilations of one rule set decide differently.
public struct Divergence: Sendable, CustomStringConvertible {
  /// The 1-based line of the event in the replayed events.
  public var lineNumber: Int
  /// The event (its JSON line).
  public var event: String
  /// The rule whose outcome differs, or nil when only the decision line differs.
  public var rule: String?
  /// What the baseline gave (a rule outcome, or the decision line).
  public var expected: String
  /// What the candidate gave.
  public var got: String

  public var description: String {
    "line \(lineNumber)\(rule.map { ", rule `\($0)`" } ?? ""): expected \(expected), got \(got) — event \(event)"
  }
}

/// Compares the decisions of two bundles of one rule set.
public enum TranslationValidation {
  /// The outcome of each rule of a decision: `matched`, `error`, or absent (not matched).
  static func outcomes(_ d: Decision) -> [String: String] {
    var out: [String: String] = [:]
    for m in d.matched { out[m.id] = "matched" }
    for e in d.errors { out[e.rule] = "error" }
    return out
  }

  /// Replays `events` (JSON lines) through both bundles and returns the divergences, at most
  /// `limit` of them. The rule tables must list the same rules.
  public static func compare(
    baseline: LoadedBundle, candidate: LoadedBundle, events: [Substring], limit: Int = 20
  ) throws -> [Divergence] {
    let a = EventProcessor(bundle: baseline, store: InMemoryStateStore(tenant: "baseline"))
    let b = EventProcessor(bundle: candidate, store: InMemoryStateStore(tenant: "candidate"))
    var out: [Divergence] = []
    for (i, line) in events.enumerated() where out.count < limit {
      let x = try a.process(line)
      let y = try b.process(line)
      if a.pendingCount >= 1024 { try a.commit() }
      if b.pendingCount >= 1024 { try b.commit() }
      let event = String(line)
      if case .decided(let dx, _) = x, case .decided(let dy, _) = y {
        let ox = outcomes(dx)
        let oy = outcomes(dy)
        for rule in Set(ox.keys).union(oy.keys).sorted() where ox[rule] != oy[rule] && out.count < limit {
          out.append(
            Divergence(
              lineNumber: i + 1, event: event, rule: rule, expected: ox[rule] ?? "not matched",
              got: oy[rule] ?? "not matched"))
        }
      }
      if x.line != y.line && out.count < limit {
        out.append(
          Divergence(
            lineNumber: i + 1, event: event, rule: nil, expected: x.line ?? "no line",
            got: y.line ?? "no line"))
      }
    }
    return out
  }
}
