// Rules: `rule id { name: … category: … tags: […] enabled: … when: <CEL> action: … score: …
// reason: … }`.

import SentinelModel

extension RuleParserState {
  static let ruleFields = RuleKeywords.ruleFields

  /// `rule id { field… }`.
  mutating func parseRule() -> RuleDecl? {
    let keyword = advance()
    guard let id = expectName("a rule id", help: "rule ids are names such as `sanctioned_region`") else {
      skipToDeclaration()
      return nil
    }
    guard let open = expectPunct(Byte.leftBrace, "`{` after the rule id") else {
      skipToDeclaration()
      return nil
    }
    var rule = RuleDecl(id: id, span: keyword.span)
    var seen: [String: Span] = [:]
    var whenGiven = false
    let end = parseBlock(open: open.span, "rule block") { p in
      guard let (key, name) = p.memberKey("a rule field such as `when:`") else { return }
      guard Self.ruleFields.contains(name) else {
        p.error(
          RuleSyntaxCode.unknownField, "unknown rule field `\(name)`", key.span,
          help: p.suggestion(name, Self.ruleFields)
            ?? "rule fields are \(Self.ruleFields.map { "`\($0)`" }.joined(separator: ", "))")
        p.skipMember(value: true)
        return
      }
      if name == "when" { whenGiven = true }
      if p.checkDuplicate(name, key.span, &seen, in: "rule `\(id.value)`") {
        var scratch = rule
        p.parseRuleField(name, key, into: &scratch)
      } else {
        p.parseRuleField(name, key, into: &rule)
      }
    }
    rule.span = Span(keyword.span.start, end)
    if !whenGiven {
      error(
        RuleSyntaxCode.missingWhen, "rule `\(id.value)` has no `when:` condition", id.span,
        help: "add a condition, e.g. `when: event.amount > 1000.0`")
    }
    return rule
  }

  /// The value of rule field `name` (its `key:` consumed).
  mutating func parseRuleField(_ name: String, _ key: RuleToken, into rule: inout RuleDecl) {
    switch name {
    case "name":
      if let s = parseStringValue(name, example: "\"Sanctioned Region Access\"") { rule.name = s }
    case "reason":
      if let s = parseStringValue(name, example: "\"Access from a sanctioned region\"") { rule.reason = s }
    case "category":
      let t = current
      guard t.kind == .identifier else {
        invalidValue(t, "`category` must be a name such as `fraud` or `compliance`")
        return
      }
      advance()
      rule.category = Located(text(t), t.span)
    case "tags":
      if let tags = parseNameList("tags", "tags") { rule.tags = tags }
    case "enabled":
      let t = current
      guard isWord(t, "true") || isWord(t, "false") else {
        invalidValue(t, "`enabled` must be `true` or `false`")
        return
      }
      advance()
      rule.enabled = Located(isWord(t, "true"), t.span)
    case "when":
      rule.when = embeddedExpression(after: key.span, "`when:`")
    case "action":
      let t = current
      let actions = RuleAction.allCases.map(\.rawValue)
      guard t.kind == .identifier else {
        invalidValue(t, "`action` must be one of \(actions.map { "`\($0)`" }.joined(separator: ", "))")
        return
      }
      advance()
      let word = text(t)
      guard let action = RuleAction(rawValue: word) else {
        let help =
          word == "allow"
          ? "rules cannot allow; a rule that only adds to the score has `action: score` (or no action)"
          : suggestion(word, actions) ?? "actions are \(actions.map { "`\($0)`" }.joined(separator: ", "))"
        error(RuleSyntaxCode.unknownAction, "unknown action `\(word)`", t.span, help: help)
        return
      }
      rule.action = Located(action, t.span)
    default:
      if let score = parseInteger(name) { rule.score = score }
    }
  }

  /// A string-literal field value.
  mutating func parseStringValue(_ name: String, example: String) -> Located<String>? {
    let t = current
    guard t.kind == .string else {
      if t.kind == .unterminatedString {
        reportLexical(t)
        skipMember()
      } else {
        invalidValue(t, "`\(name)` must be a string", help: "write `\(name): \(example)`")
      }
      return nil
    }
    advance()
    guard let s = decodeString(t) else { return nil }
    return Located(s, t.span)
  }

  /// Reports a field value of the wrong kind and skips the rest of the field.
  mutating func invalidValue(_ t: RuleToken, _ message: String, help: String? = nil) {
    if t.kind == .invalid || t.kind == .unterminatedString {
      reportLexical(t)
    } else if t.kind == .endOfInput || (t.atLineStart && t.span.start > lastEnd) {
      error(RuleSyntaxCode.invalidValue, "\(message), found nothing", Span(lastEnd, lastEnd), help: help)
      return
    } else {
      error(RuleSyntaxCode.invalidValue, "\(message), found \(describe(t))", t.span, help: help)
    }
    skipMember(value: true)
  }
}
