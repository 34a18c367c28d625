// The decision engine: runs a verified rule-set program on one event's slots, and combines the
// rules that matched into a decision under the bundle's policy.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelState
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
  public var matched: [MatchedRule] {
    didSet { ruleIDs = matched.map(\.id) }
  }
  /// Rules whose condition evaluated to an error (they did not match), with the error.
  public var errors: [(rule: String, message: String)]

  /// The matched rule ids, sorted by byte order.
  /// NOTE: kept, not computed per use: `replay` asked for them twice per matching event (the
  /// decision record and the output line), an array allocated each time (12,390 per replay of
  /// the scaled reference corpus; docs/performance.md, "s19-agg: the states changed in place").
  public private(set) var ruleIDs: [String]

  /// A decision; `ruleIDs` are `matched`'s.
  public init(
    eventID: String, action: DecisionAction, score: Int, matched: [MatchedRule],
    errors: [(rule: String, message: String)]
  ) {
    self.eventID = eventID
    self.action = action
    self.score = score
    self.matched = matched
    self.errors = errors
    ruleIDs = matched.map(\.id)
  }

  /// The decision line of REFERENCE_RULES.md: `{"event_id":…,"action":…,"score":N,"rules":[…]}`
  /// (`DecisionLine`, shared with decision records and replay's output).
  public var jsonLine: String {
    DecisionLine.string(eventID: eventID, action: action.rawValue, score: score, rules: ruleIDs)
  }
}

/// Decides events with one verified rule-set program.
public struct DecisionEngine: Sendable {
  public let program: VerifiedProgram
  public let rules: [RuleEntry]
  public let policy: DecisionPolicy
  /// The rule indices sorted by rule id in byte order: matched rules are collected in output
  /// order, with no sort per event.
  let outputOrder: [Int]
  /// Each rule's reason template, where its placeholders' results start, and, for a reason
  /// without placeholders, its text (`{{` and `}}` already read as braces).
  let reasons: [(parts: [ReasonTemplate.Part], first: Int, count: Int, text: String)]

  /// An engine for a verified program whose `rule` results follow `rules` (then the results of
  /// the rules' reason placeholders, rule after rule).
  public init(program: VerifiedProgram, rules: [RuleEntry], policy: DecisionPolicy) {
    self.program = program
    self.rules = rules
    self.policy = policy
    outputOrder = rules.indices.sorted { rules[$0].id.utf8.lexicographicallyPrecedes(rules[$1].id.utf8) }
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
    var errors: [(index: Int, rule: String, message: String)] = []
    var score = 0
    var action = DecisionAction.allow
    for i in outputOrder where i < results.count {
      // NOTE: the rule's entry is read only for a rule that matched or failed: read before the
      // result, it was copied (112 bytes) for every rule of every event, ~70 % of this method's
      // time in an in-memory replay, where most events match nothing.
      switch results[i] {
      case .bool(true):
        let rule = rules[i]
        let template = reasons[i]
        var reason = template.text
        if template.count > 0 {
          let end = min(results.count, template.first + template.count)
          reason = ReasonTemplate.render(template.parts, values: results[min(end, template.first)..<end])
        }
        matched.append(MatchedRule(id: rule.id, outcome: rule.outcome, score: rule.score, reason: reason))
        score += rule.score
        action = max(action, Self.action(of: rule.outcome))
      case .error(let e): errors.append((i, rules[i].id, e.message))
      default: break
      }
    }
    action = applyThresholds(action, score: score)
    // Errors are reported in rule order (rare: sorted only when there are several).
    if errors.count > 1 { errors.sort { $0.index < $1.index } }
    return Decision(
      eventID: eventID, action: action, score: score, matched: matched,
      errors: errors.map { ($0.rule, $0.message) })
  }

  /// The action and score `combine` decides for rule results, with the indices of the matched
  /// rules (in rule-table order) written to `matched` (emptied first, its capacity kept): the same
  /// policy without building a `Decision`, so that deciding allocates nothing (`sentinel bench`).
  public func summarize(_ results: [Value], matched: inout [Int]) -> DecisionSummary {
    matched.removeAll(keepingCapacity: true)
    var score = 0
    var action = DecisionAction.allow
    for i in 0..<min(rules.count, results.count) {
      guard case .bool(true) = results[i] else { continue }
      matched.append(i)
      score += rules[i].score
      action = max(action, Self.action(of: rules[i].outcome))
    }
    return DecisionSummary(action: applyThresholds(action, score: score), score: score)
  }

  /// The action a matched rule's outcome asks for (a score-only rule asks for none).
  static func action(of outcome: RuleOutcome) -> DecisionAction {
    switch outcome {
    case .block: return .block
    case .review: return .review
    case .challenge: return .challenge
    case .score: return .allow
    }
  }

  /// The policy's thresholds: the total score raises the action to review or block.
  func applyThresholds(_ action: DecisionAction, score: Int) -> DecisionAction {
    var action = action
    if score >= policy.reviewThreshold { action = max(action, .review) }
    if let b = policy.blockThreshold, score >= b { action = .block }
    return action
  }
}

/// A decision's action and score, without its rules (see `DecisionEngine.summarize`).
public struct DecisionSummary: Sendable, Hashable {
  /// The decided action.
  public var action: DecisionAction
  /// The total score of the matched rules.
  public var score: Int

  /// A summary.
  public init(action: DecisionAction, score: Int) {
    self.action = action
    self.score = score
  }
}
