// The decision engine: runs a verified rule-set program on one event's slots, and combines the
// rules that matched into a decision under the bundle's policy.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier

/// The action a decision takes, in increasing severity.
public enum DecisionAction: String, Sendable, Hashable, Comparable, CaseIterable {
  case allow
  case challenge
  case review
  case block

  var rank: Int {
    switch self {
    case .allow: return 0
    case .challenge: return 1
    case .review: return 2
    case .block: return 3
    }
  }

  public static func < (a: DecisionAction, b: DecisionAction) -> Bool { a.rank < b.rank }
}

/// A rule that matched, with what it contributed.
public struct MatchedRule: Sendable, Hashable {
  public var id: String
  public var outcome: RuleOutcome
  public var score: Int
  public var reason: String
}

/// The decision for one event.
public struct Decision: Sendable {
  public var eventID: String
  public var action: DecisionAction
  public var score: Int
  /// Matched rules, sorted by id in byte order.
  public var matched: [MatchedRule]
  /// Rules whose condition evaluated to an error (they did not match), with the error.
  public var errors: [(rule: String, message: String)]

  /// The matched rule ids, sorted by byte order.
  public var ruleIDs: [String] { matched.map(\.id) }

  /// The decision line of REFERENCE_RULES.md: `{"event_id":…,"action":…,"score":N,"rules":[…]}`.
  public var jsonLine: String {
    "{\"event_id\":\(JSONWriter.quote(eventID)),\"action\":\"\(action.rawValue)\",\"score\":\(score),\"rules\":["
      + matched.map { JSONWriter.quote($0.id) }.joined(separator: ",") + "]}"
  }
}

/// Decides events with one verified rule-set program.
public struct DecisionEngine: Sendable {
  public let program: VerifiedProgram
  public let rules: [RuleEntry]
  public let policy: DecisionPolicy
  /// Each rule's reason template, where its placeholders' results start, and, for a reason
  /// without placeholders, its text (`{{` and `}}` already read as braces).
  let reasons: [(parts: [ReasonTemplate.Part], first: Int, count: Int, text: String)]

  /// An engine for a verified program whose `rule` results follow `rules` (then the results of
  /// the rules' reason placeholders, rule after rule).
  public init(program: VerifiedProgram, rules: [RuleEntry], policy: DecisionPolicy) {
    self.program = program
    self.rules = rules
    self.policy = policy
    var next = rules.count
    reasons = rules.map { r in
      let parts = ReasonTemplate.parse(r.reason).parts
      let count = parts.reduce(0) {
        if case .expression = $1 { return $0 + 1 }
        return $0
      }
      defer { next += count }
      return (parts, next, count, count == 0 ? ReasonTemplate.render(parts, values: []) : r.reason)
    }
  }

  /// The raw value of each rule's condition (true = matched) for one event's slots.
  public func evaluate(_ slots: [Value?]) -> [Value] {
    var results: [Value] = []
    _ = VM().run(program, variables: slots, results: &results)
    return results
  }

  /// Decides one event.
  public func decide(eventID: String, slots: [Value?]) -> Decision {
    let results = evaluate(slots)
    return combine(eventID: eventID, results: results)
  }

  /// Combines rule results into a decision: the most severe matched outcome; the total score
  /// raises it to review (≥ review threshold) or block (≥ block threshold).
  public func combine(eventID: String, results: [Value]) -> Decision {
    var matched: [MatchedRule] = []
    var errors: [(String, String)] = []
    var score = 0
    var action = DecisionAction.allow
    for (i, rule) in rules.enumerated() where i < results.count {
      switch results[i] {
      case .bool(true):
        let template = reasons[i]
        var reason = template.text
        if template.count > 0 {
          let end = min(results.count, template.first + template.count)
          reason = ReasonTemplate.render(template.parts, values: results[min(end, template.first)..<end])
        }
        matched.append(MatchedRule(id: rule.id, outcome: rule.outcome, score: rule.score, reason: reason))
        score += rule.score
        switch rule.outcome {
        case .block: action = max(action, .block)
        case .review: action = max(action, .review)
        case .challenge: action = max(action, .challenge)
        case .score: break
        }
      case .error(let e): errors.append((rule.id, e.message))
      default: break
      }
    }
    if score >= policy.reviewThreshold { action = max(action, .review) }
    if let b = policy.blockThreshold, score >= b { action = .block }
    matched.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    return Decision(eventID: eventID, action: action, score: score, matched: matched, errors: errors)
  }
}
