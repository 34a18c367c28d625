// Rules, in both shapes `rules:` takes:
//
//     rules:                          rules:
//       hard_rules:                     - id: credential_stuffing
//         - id: sanctioned_region          when: is_login && !event.success
//           conditions: {…}                action: block
//           action: block
//
// A section's name gives its rules' category (`hard_rules` → `hard`) unless a rule sets
// `category:`. A rule's condition is its `when:` (CEL), its seed `conditions:`, or both ANDed.

import SentinelModel
import SentinelSyntax

extension RuleFileReader {
  static let ruleKeys = [
    "id", "name", "category", "tags", "enabled", "when", "conditions", "action", "score", "reason",
    "description",
  ]

  /// What to write instead of an action the engine does not have.
  static let actionHelp = [
    "allow":
      "an event is allowed when no rule blocks or reviews it; use `action: score` for a score-only rule",
    "deny": "did you mean `block`?", "reject": "did you mean `block`?", "decline": "did you mean `block`?",
    "flag": "did you mean `review`?", "alert": "did you mean `review`?",
    "manual_review": "did you mean `review`?",
    "step_up": "did you mean `challenge`?", "mfa": "did you mean `challenge`?",
  ]

  /// `rules:`: a list of rules, or a mapping of category sections to lists of rules.
  mutating func readRules(_ node: YNode) -> [Declaration] {
    switch node.kind {
    case .sequence(let items):
      return items.compactMap { readRule($0, section: nil).map { .rule($0) } }
    case .mapping(let sections):
      var out: [Declaration] = []
      for section in sections {
        guard let name = key(section) else { continue }
        guard
          let items = sequence(
            section.value, "section `\(name.value)`", emptyAllowed: true,
            help: "under `rules:`, write a list of rules (`- id: …`) or sections of lists (`hard_rules:`)")
        else { continue }
        let category = Located(YAMLRuleParser.category(forSection: name.value), name.span)
        out += items.compactMap { readRule($0, section: category).map { .rule($0) } }
      }
      return out
    case .scalar:
      if node.isNull { return [] }
      wrongKind(node, "`rules`", expected: "a list of rules or a mapping of sections")
      return []
    }
  }

  /// One rule. As in the DSL, a rule with an id is kept even when some of its keys are in error
  /// (without them); the errors are reported.
  mutating func readRule(_ node: YNode, section: Located<String>?) -> RuleDecl? {
    guard
      let pairs = mapping(
        node, "a rule", help: "a rule is a mapping with `id:`, `when:` or `conditions:`, `action:`")
    else { return nil }
    var rule = RuleDecl(id: Located("", .none), span: node.span)
    var id: Located<String>?
    var description: Located<String>?
    var whenNode: YNode?
    var conditionsNode: YNode?
    for pair in pairs {
      guard let key = key(pair) else { continue }
      let value = pair.value
      switch key.value {
      case "id":
        guard let s = string(value, "`id`") else { continue }
        if s.value.isEmpty
          || s.value.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true })
        {
          error(
            YAMLCode.invalidName, "invalid rule id `\(s.value)`", s.span,
            help: "a rule id is one word, such as `sanctioned_region`")
        }
        id = s
      case "name": rule.name = string(value, "`name`")
      case "category": rule.category = string(value, "`category`")
      case "tags":
        if let tags = strings(value, "`tags`") { rule.tags = tags }
      case "enabled": rule.enabled = boolean(value, "`enabled`")
      case "when": whenNode = value
      case "conditions": conditionsNode = value
      case "action":
        guard let s = string(value, "`action`") else { continue }
        if let action = RuleAction(rawValue: s.value) {
          rule.action = Located(action, s.span)
        } else {
          let known = RuleAction.allCases.map(\.rawValue)
          error(
            YAMLCode.unknownAction, "unknown action `\(s.value)`", s.span,
            help: Self.actionHelp[s.value.lowercased()]
              ?? Suggestions.closest(to: s.value, among: known).map { "did you mean `\($0)`?" }
              ?? "actions: \(known.joined(separator: ", "))")
        }
      case "score": rule.score = integer(value, "`score`")
      case "reason": rule.reason = string(value, "`reason`")
      case "description": description = string(value, "`description`")
      default:
        unknownKey(key, known: Self.ruleKeys, in: "a rule")
      }
    }
    rule.reason = rule.reason ?? description
    rule.category = rule.category ?? section
    rule.when = condition(whenNode, conditionsNode)
    guard let id else {
      let first = source.location(of: node.span.start).line
      let lineEnd = first < source.lineStarts.count ? source.lineStarts[first] - 1 : source.utf8.count
      error(
        YAMLCode.missingKey, "rule has no `id`", Span(node.span.start, max(node.span.start, lineEnd)),
        help: "add `id: <name>`; decisions list matched rules by id")
      return nil
    }
    rule.id = id
    if whenNode == nil && conditionsNode == nil {
      error(
        YAMLCode.missingKey, "rule `\(id.value)` has no condition", id.span,
        help: "add `when: <CEL>` or seed `conditions:`, e.g. `when: event.amount > 1000.0`")
    }
    return rule
  }

  /// The rule's condition: `when:`, the seed `conditions:`, or both ANDed (`conditions` first).
  mutating func condition(_ whenNode: YNode?, _ conditionsNode: YNode?) -> EmbeddedExpression? {
    var when: (node: YNode, text: CELText, expression: EmbeddedExpression)?
    var seed: (node: YNode, text: CELText, expression: EmbeddedExpression)?
    var failed = false
    if let node = whenNode {
      if let t = expressionText(node, "`when`"), let e = parse(t, whole: node.span) {
        when = (node, t, e)
      } else {
        failed = true
      }
    }
    if let node = conditionsNode {
      if let t = translate(conditions: node) {
        // Seed translations are valid CEL by construction; a literal out of CEL's range is not.
        if !t.isEmpty {
          if let e = parse(t, whole: node.span) { seed = (node, t, e) } else { failed = true }
        }
      } else {
        failed = true
      }
    }
    guard !failed else { return nil }
    guard let seed else { return when?.expression }
    guard let when else { return seed.expression }
    var both = CELText()
    both.append("(", at: seed.node.span)
    both.append(seed.text)
    both.append(") && (", at: when.node.span)
    both.append(when.text)
    both.append(")", at: when.node.span)
    return parse(both, whole: seed.node.span.union(when.node.span))
  }
}
