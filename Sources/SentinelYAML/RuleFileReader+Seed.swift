// The seed format's field-operator conditions, translated to CEL text:
//
//     country_code: {in: ["KP", "IR"]}     →  event.country_code in ["KP", "IR"]
//     country_code: {not_in: ["KP"]}       →  !(event.country_code in ["KP"])
//     amount: {between: [1000, 5000.5]}    →  event.amount >= 1000 && event.amount <= 5000.5
//     email: {matches: "@example\\.com$"}  →  event.email.matches("@example\\.com$")
//     device_id: {exists: false}           →  !has(event.device_id)
//
// Each field is guarded as the seed evaluated it: a condition on an absent field is false, so
// `country_code: {in: [...]}` is `has(event.country_code) && event.country_code in [...]`
// (`geo.lat` tests `has(event.geo) && has(event.geo.lat)`); a field with an `exists` operator
// is left as written. Fields are ANDed in the order written, and so are several operators on one
// field. Each piece
// of generated text maps back to the YAML that produced it (the field's key, the operator's key,
// the value), so CEL diagnostics and spans point into the YAML file.

import SentinelModel
import SentinelSyntax

extension RuleFileReader {
  /// The seed operators and the CEL comparison each stands for (nil: not a plain comparison).
  static let seedOperators: [(name: String, symbol: String?)] = [
    ("in", nil), ("not_in", nil), ("eq", "=="), ("ne", "!="), ("gt", ">"), ("gte", ">="), ("lt", "<"),
    ("lte", "<="), ("between", nil), ("matches", nil), ("exists", nil),
  ]

  /// Translates a seed `conditions:` mapping; nil after errors (reported), empty text for an
  /// empty mapping.
  mutating func translate(conditions node: YNode) -> CELText? {
    guard
      let pairs = mapping(
        node, "`conditions`", emptyAllowed: true, help: "write one `field: {operator: value}` per line")
    else { return nil }
    var out = CELText()
    var ok = true
    for pair in pairs {
      guard let field = key(pair), let prefixes = fieldPrefixes(field), let path = prefixes.last else {
        ok = false
        continue
      }
      var operations: [(op: Located<String>, operand: YNode)] = []
      switch pair.value.kind {
      case .mapping(let ops):
        if ops.isEmpty {
          error(
            YAMLCode.missingKey, "condition on `\(field.value)` has no operator", pair.value.span,
            help: "e.g. `\(field.value): {eq: value}`")
          ok = false
        }
        for op in ops {
          guard let name = key(op) else {
            ok = false
            continue
          }
          operations.append((name, op.value))
        }
      case .sequence:
        operations.append((Located("in", field.span), pair.value))  // `field: [a, b]` means `in`
      case .scalar:
        guard !pair.value.isNull else {
          error(
            YAMLCode.missingKey, "condition on `\(field.value)` has no operator", field.span,
            help: "e.g. `\(field.value): {eq: value}`")
          ok = false
          continue
        }
        operations.append((Located("eq", field.span), pair.value))  // `field: value` means `eq`
      }
      // The seed's rule: a condition on an absent field is false. Each operator reads the field,
      // so the field (and each optional level above it) is tested first — unless the author
      // tests presence with `exists`, which then says all there is to say about absence.
      if !operations.isEmpty && !operations.contains(where: { $0.op.value == "exists" }) {
        for prefix in prefixes {
          if !out.isEmpty { out.append(" && ", at: field.span) }
          out.append("has(", at: field.span)
          out.append(prefix, at: field.span)
          out.append(")", at: field.span)
        }
      }
      for (op, operand) in operations {
        var term = CELText()
        guard emit(op, operand, field: path, fieldSpan: field.span, into: &term) else {
          ok = false
          continue
        }
        if !out.isEmpty { out.append(" && ", at: op.span) }
        out.append(term)
      }
    }
    return ok ? out : nil
  }

  /// The CEL for a field path: `geo.lat` → `event.geo.lat`; a segment that is not a plain name
  /// is backquoted (`` event.`user-agent` ``).
  mutating func fieldPath(_ field: Located<String>) -> String? { fieldPrefixes(field)?.last }

  /// The CEL for each prefix of a field path, the whole path last: `geo.lat` →
  /// `[event.geo, event.geo.lat]`.
  mutating func fieldPrefixes(_ field: Located<String>) -> [String]? {
    let segments = field.value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    var out = variable
    var prefixes: [String] = []
    for segment in segments {
      defer { prefixes.append(out) }
      if CELWords.isPlainSelector(segment) {
        out += "." + segment
        continue
      }
      // Backquoted identifiers may hold letters, digits, `_`, `-`, `/` and spaces.
      let quotable = segment.utf8.allSatisfy { b in
        (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
          || b == 0x2F
          || b == 0x20
      }
      guard !segment.isEmpty, quotable, segment.first != " ", segment.last != " " else {
        error(
          YAMLCode.invalidName, "invalid field path `\(field.value)`", field.span,
          help: "a field path is names separated by `.`, such as `geo.lat`")
        return nil
      }
      out += ".`" + segment + "`"
    }
    return prefixes
  }

  /// Emits the CEL for one operator applied to a field.
  mutating func emit(
    _ op: Located<String>, _ operand: YNode, field: String, fieldSpan: Span, into t: inout CELText
  ) -> Bool {
    let operandSpan = operand.span == .none ? op.span : operand.span
    if case .scalar(let s) = operand.kind, s.value.isEmpty, s.style == .plain, op.value != "exists" {
      error(
        YAMLCode.invalidValue, "`\(op.value)` has no value", op.span,
        help: "write the value after `\(op.value):`")
      return false
    }
    switch op.value {
    case "in", "not_in":
      let negated = op.value == "not_in"
      if negated { t.append("!(", at: op.span) }
      t.append(field, at: fieldSpan)
      t.append(" in ", at: op.span)
      switch operand.kind {
      case .sequence:
        guard appendLiteral(operand, to: &t) else { return false }
      case .scalar(let s) where s.style == .plain && Self.isIdentifier(s.value):
        t.append(s.value, at: operandSpan)  // the name of a declared list
      default:
        error(
          YAMLCode.invalidOperand,
          "`\(op.value)` needs a list of values or the name of a list, found \(operand.kindDescription)",
          operandSpan, help: "write `\(op.value): [value, …]`, or `eq:` to compare with one value")
        return false
      }
      if negated { t.append(")", at: operandSpan) }
      return true
    case "between":
      guard case .sequence(let bounds) = operand.kind, bounds.count == 2 else {
        var found = operand.kindDescription
        if case .sequence(let xs) = operand.kind { found = "\(xs.count) value\(xs.count == 1 ? "" : "s")" }
        error(
          YAMLCode.invalidOperand, "`between` needs two values, found \(found)", operandSpan,
          help: "write `between: [low, high]` (both included)")
        return false
      }
      t.append(field, at: fieldSpan)
      t.append(" >= ", at: op.span)
      guard appendLiteral(bounds[0], to: &t) else { return false }
      t.append(" && ", at: op.span)
      t.append(field, at: fieldSpan)
      t.append(" <= ", at: op.span)
      return appendLiteral(bounds[1], to: &t)
    case "matches":
      guard let s = operand.scalar, !operand.isNull else {
        error(
          YAMLCode.invalidOperand, "`matches` needs a regular expression, found \(operand.kindDescription)",
          operandSpan, help: "write the pattern as a string: matches: '^[0-9]+$'")
        return false
      }
      t.append(field, at: fieldSpan)
      t.append(".matches(", at: op.span)
      t.append(CELLiteral.string(s.value), at: operandSpan)
      t.append(")", at: operandSpan)
      return true
    case "exists":
      guard let s = operand.scalar, case .bool(let present) = s.typed else {
        error(
          YAMLCode.invalidOperand, "`exists` needs `true` or `false`, found \(operand.kindDescription)",
          operandSpan,
          help: "`exists: true` matches when the field is present, `exists: false` when it is absent")
        return false
      }
      t.append(present ? "has(" : "!has(", at: op.span)
      t.append(field, at: fieldSpan)
      t.append(")", at: operandSpan)
      return true
    default:
      guard let symbol = Self.seedOperators.first(where: { $0.name == op.value })?.symbol else {
        let names = Self.seedOperators.map(\.name)
        error(
          YAMLCode.unknownOperator, "unknown operator `\(op.value)`", op.span,
          help: Suggestions.closest(to: op.value, among: names).map { "did you mean `\($0)`?" }
            ?? "operators: \(names.joined(separator: ", ")); or write the condition in CEL with `when:`")
        return false
      }
      t.append(field, at: fieldSpan)
      t.append(" \(symbol) ", at: op.span)
      return appendLiteral(operand, to: &t)
    }
  }
}
