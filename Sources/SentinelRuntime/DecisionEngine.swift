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
    // Runs once per decided event: the bytes are written straight into the string's storage,
    // each id tested for escaping as it is copied (the common case: none needs it); when one
    // does, the line is built again by appending.
    // The fixed text (47 bytes), the action at its longest (9 bytes: "challenge"), the score at
    // its longest (20 bytes: Int.min), the event id, and each rule id with its quotes and comma.
    var capacity = 47 + 9 + 20 + eventID.utf8.count
    for m in matched { capacity += m.id.utf8.count + 3 }
    var plain = true
    let line = String(unsafeUninitializedCapacity: capacity) { buffer in
      var w = LineWriter(buffer: buffer)
      w.write("{\"event_id\":\"")
      guard w.writeUnescaped(eventID) else {
        plain = false
        return 0
      }
      switch action {
      case .allow: w.write("\",\"action\":\"allow\",\"score\":")
      case .challenge: w.write("\",\"action\":\"challenge\",\"score\":")
      case .review: w.write("\",\"action\":\"review\",\"score\":")
      case .block: w.write("\",\"action\":\"block\",\"score\":")
      }
      w.write(score)
      w.write(",\"rules\":[")
      for (k, m) in matched.enumerated() {
        w.write(k > 0 ? ",\"" : "\"")
        guard w.writeUnescaped(m.id) else {
          plain = false
          return 0
        }
        w.write("\"")
      }
      w.write("]}")
      return w.count
    }
    return plain ? line : escapedJSONLine
  }

  /// `jsonLine` for ids that need escaping.
  var escapedJSONLine: String {
    var out = "{\"event_id\":"
    Self.appendQuoted(eventID, to: &out)
    out += ",\"action\":\""
    out += action.rawValue
    out += "\",\"score\":"
    out += String(score)
    out += ",\"rules\":["
    for (k, m) in matched.enumerated() {
      if k > 0 { out += "," }
      Self.appendQuoted(m.id, to: &out)
    }
    out += "]}"
    return out
  }

  /// Whether `s` needs escaping in a JSON string literal.
  static func needsEscaping(_ s: String) -> Bool {
    // Over the contiguous bytes when the string has them (native strings do): the `utf8` view's
    // iterator was ~1.5 % of replay's deciding thread for the event ids (docs/performance.md,
    // "s16-decide").
    var s = s
    return s.withUTF8 { needsEscaping(bytes: $0) }
  }

  /// Whether UTF-8 `bytes` need escaping in a JSON string literal: a control character, a quote
  /// or a backslash (no early exit: ids are short, and the loop stays branch-free).
  @inline(__always)
  static func needsEscaping(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var bad = false
    for b in bytes { bad = bad || b < 0x20 || b == 0x22 || b == 0x5C }
    return bad
  }

  /// Appends `s` as a JSON string literal.
  static func appendQuoted(_ s: String, to out: inout String) {
    if needsEscaping(s) {
      out += JSONWriter.quote(s)
    } else {
      out += "\""
      out += s
      out += "\""
    }
  }
}

/// Writes the bytes of a decision line into a string's uninitialized storage, whose capacity the
/// caller computed (`Decision.jsonLine`).
private struct LineWriter {
  let buffer: UnsafeMutableBufferPointer<UInt8>
  private(set) var count = 0

  init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

  /// Copies `s` unless it needs escaping in a JSON string literal (`Decision.needsEscaping`):
  /// false then, with what was copied left behind (the caller drops the line). Over the string's
  /// contiguous bytes, read in place: `withUTF8` on a copy retained and released it per id.
  mutating func writeUnescaped(_ s: String) -> Bool {
    let done = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
      // INVARIANT: the capacity counts every byte written (`jsonLine`).
      guard let from = bytes.baseAddress, let to = buffer.baseAddress else { return bytes.isEmpty }
      if Decision.needsEscaping(bytes: bytes) { return false }
      (to + count).initialize(from: from, count: bytes.count)
      count += bytes.count
      return true
    }
    if let done { return done }
    if Decision.needsEscaping(s) { return false }
    for b in s.utf8 {
      buffer[count] = b
      count += 1
    }
    return true
  }

  mutating func write(_ s: StaticString) {
    s.withUTF8Buffer { bytes in
      for b in bytes {
        buffer[count] = b
        count += 1
      }
    }
  }

  mutating func write(_ n: Int) {
    // INVARIANT: the capacity counts the score's 20 bytes at most (`jsonLine`).
    count = DecimalText.write(Int64(n), into: buffer, at: count)
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
      let rule = rules[i]
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
        action = max(action, Self.action(of: rule.outcome))
      case .error(let e): errors.append((i, rule.id, e.message))
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
