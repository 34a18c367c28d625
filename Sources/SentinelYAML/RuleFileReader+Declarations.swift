// Schema, lists, named conditions and the policy, as YAML:
//
//     schema:
//       amount: {type: double, optional: true, required_for: [transaction, withdrawal]}
//       geo: {optional: true, fields: {lat: double, lon: double}}
//     lists:
//       sanctioned: ["KP", "IR"]
//       sdn: {file: ../lists/sdn.csv, format: sdn}
//     conditions:
//       is_login: event.type == "login"
//     policy: {review_threshold: 70, block_threshold: 150}

import SentinelModel
import SentinelSyntax

extension RuleFileReader {
  static let fieldKeys = ["type", "optional", "default", "in", "required_for", "fields", "description"]
  static let listKeys = ["type", "values", "file", "format", "runtime", "description"]
  static let policyKeys = ["review_threshold", "block_threshold"]

  // MARK: - Schema

  /// A schema: a mapping of field name → type, or field name → field mapping.
  mutating func readSchema(name: Located<String>, _ node: YNode, span: Span) -> SchemaDecl? {
    guard let pairs = mapping(node, "a schema", emptyAllowed: true, help: "write one `field: type` per line")
    else { return nil }
    let fields = readFields(pairs)
    return SchemaDecl(name: name, fields: fields, span: span)
  }

  mutating func readFields(_ pairs: [YPair]) -> [FieldDecl] {
    var fields: [FieldDecl] = []
    for pair in pairs {
      guard let f = readField(pair) else { continue }
      if let first = fields.first(where: { $0.name.value == f.name.value }) {
        error(
          YAMLCode.duplicateKey, "duplicate field `\(f.name.value)`", f.name.span,
          help:
            "`\(f.name.value)` is already declared at line \(source.location(of: first.name.span.start).line)"
        )
        continue
      }
      fields.append(f)
    }
    return fields
  }

  /// One field: `name: type`, `name?: type`, `name: type?`, or `name: {type: …, optional: …}`.
  mutating func readField(_ pair: YPair) -> FieldDecl? {
    guard let key = key(pair) else { return nil }
    var optional = false
    var name = key.value
    if name.hasSuffix("?") {
      optional = true
      name.removeLast()
    }
    guard CELWords.isPlainSelector(name) else {
      error(
        YAMLCode.invalidName, "invalid field name `\(name)`", key.span,
        help: "field names start with a letter or `_` and continue with letters, digits or `_`")
      return nil
    }
    let located = Located(name, key.span)
    let span = Self.span(of: pair)
    switch pair.value.kind {
    case .scalar:
      guard let (type, questioned) = typeRef(pair.value) else { return nil }
      return FieldDecl(name: located, type: type, optional: optional || questioned, span: span)
    case .mapping(let spec):
      return readFieldSpec(located, spec, optional: optional, node: pair.value, span: span)
    case .sequence:
      wrongKind(
        pair.value, "field `\(name)`", expected: "a type or a mapping", help: "e.g. `\(name): string`")
      return nil
    }
  }

  mutating func readFieldSpec(
    _ name: Located<String>, _ spec: [YPair], optional: Bool, node: YNode, span: Span
  ) -> FieldDecl? {
    var type: TypeRef?
    var typeKey: Located<String>?
    var fieldsKey: Located<String>?
    var isOptional = optional
    var defaultValue: EmbeddedExpression?
    var allowed: [EmbeddedExpression]?
    var requiredFor: [Located<String>]?
    var requiredForKey: Span?
    var ok = true
    for pair in spec {
      guard let key = key(pair) else {
        ok = false
        continue
      }
      switch key.value {
      case "type":
        typeKey = key
        if let (t, questioned) = typeRef(pair.value) {
          type = t
          isOptional = isOptional || questioned
        } else {
          ok = false
        }
      case "fields":
        fieldsKey = key
        guard let pairs = mapping(pair.value, "`fields`") else {
          ok = false
          continue
        }
        type = .object(readFields(pairs), pair.value.span)
      case "optional":
        if let b = boolean(pair.value, "`optional`") {
          isOptional = isOptional || b.value
        } else {
          ok = false
        }
      case "default":
        if let e = literal(pair.value) { defaultValue = e } else { ok = false }
      case "in":
        guard let items = sequence(pair.value, "`in`", help: "list the allowed values: `in: [a, b]`") else {
          ok = false
          continue
        }
        let values = items.compactMap { literal($0) }
        if values.count != items.count { ok = false }
        allowed = values
      case "required_for":
        requiredForKey = key.span
        if let xs = strings(pair.value, "`required_for`", single: true) {
          requiredFor = xs
        } else {
          ok = false
        }
      case "description":
        if pair.value.scalar == nil { wrongKind(pair.value, "`description`", expected: "a string") }
      default:
        unknownKey(
          key, known: Self.fieldKeys, in: "field `\(name.value)`", help: "nested fields go under `fields:`")
        ok = false
      }
    }
    if let typeKey, let fieldsKey {
      error(
        YAMLCode.conflictingKeys, "field `\(name.value)` has both `type` and `fields`", fieldsKey.span,
        help:
          "a field with `fields` is an object; remove `type` (at line \(source.location(of: typeKey.span.start).line))"
      )
      return nil
    }
    guard let type else {
      if ok {
        error(
          YAMLCode.missingKey, "field `\(name.value)` has no `type`", name.span,
          help: "add `type: string` (or `fields:` for an object)")
      }
      return nil
    }
    guard ok else { return nil }
    if !isOptional, let r = requiredFor, !r.isEmpty {
      warning(
        YAMLCode.requiredForOnRequired,
        "`required_for` has no effect on `\(name.value)`, which is required for every event",
        requiredForKey ?? name.span, help: "make the field optional: `optional: true`")
    }
    if !isOptional, let d = defaultValue {
      warning(
        YAMLCode.defaultOnRequired, "the default of `\(name.value)` is never used: the field is required",
        d.span, help: "make the field optional: `optional: true`")
    }
    return FieldDecl(
      name: name, type: type, optional: isOptional, defaultValue: defaultValue, allowedValues: allowed,
      requiredFor: requiredFor, span: span)
  }

  /// A type written as a scalar (`double`, `list(string)`, `string?` for optional).
  mutating func typeRef(_ node: YNode) -> (TypeRef, optional: Bool)? {
    guard let s = node.scalar, !node.isNull else {
      wrongKind(node, "a type", expected: "a type name", help: "e.g. `string`, `double`, `list(string)`")
      return nil
    }
    var written = s.value.trimmingCharacters(in: .whitespaces)
    var optional = false
    if written.hasSuffix("?") {
      optional = true
      written.removeLast()
    }
    switch TypeNotation.parse(written) {
    case .success(let t): return (.cel(t, node.span), optional)
    case .failure(let failure):
      error(YAMLCode.unknownType, failure.message, node.span, help: failure.help)
      return nil
    }
  }

  // MARK: - Lists

  /// `lists:`: name → list of values, or name → {type, values | file, format}.
  mutating func readLists(_ node: YNode) -> [Declaration] {
    guard let pairs = mapping(node, "`lists`", emptyAllowed: true) else { return [] }
    var out: [Declaration] = []
    for pair in pairs {
      guard let name = key(pair), checkIdentifier(name, "list") else { continue }
      let span = Self.span(of: pair)
      switch pair.value.kind {
      case .sequence(let items):
        let elements = items.compactMap { literal($0) }
        guard elements.count == items.count else { continue }
        out.append(.list(ListDecl(name: name, elementType: nil, contents: .inline(elements), span: span)))
      case .mapping(let spec):
        if let l = readListSpec(name, spec, span: span) { out.append(.list(l)) }
      case .scalar:
        wrongKind(
          pair.value, "list `\(name.value)`", expected: "a list of values or a mapping",
          help: "write `\(name.value): [a, b]` or `\(name.value): {file: path}`")
      }
    }
    return out
  }

  mutating func readListSpec(_ name: Located<String>, _ spec: [YPair], span: Span) -> ListDecl? {
    var elementType: TypeRef?
    var values: (key: Located<String>, items: [EmbeddedExpression])?
    var file: (key: Located<String>, path: Located<String>)?
    var format: (key: Located<String>, value: Located<String>)?
    var runtime = false
    var ok = true
    for pair in spec {
      guard let key = key(pair) else {
        ok = false
        continue
      }
      switch key.value {
      case "type":
        if let (t, _) = typeRef(pair.value) { elementType = t } else { ok = false }
      case "values":
        guard let items = sequence(pair.value, "`values`", emptyAllowed: true) else {
          ok = false
          continue
        }
        let elements = items.compactMap { literal($0) }
        if elements.count != items.count { ok = false }
        values = (key, elements)
      case "file":
        if let path = string(pair.value, "`file`") { file = (key, path) } else { ok = false }
      case "format":
        if let f = string(pair.value, "`format`") { format = (key, f) } else { ok = false }
      case "runtime":
        if let b = boolean(pair.value, "`runtime`") { runtime = b.value } else { ok = false }
      case "description":
        if pair.value.scalar == nil { wrongKind(pair.value, "`description`", expected: "a string") }
      default:
        unknownKey(key, known: Self.listKeys, in: "list `\(name.value)`")
        ok = false
      }
    }
    if let values, file != nil {
      error(
        YAMLCode.conflictingKeys, "list `\(name.value)` has both `values` and `file`", values.key.span,
        help: "a list is either written inline or read from a file")
      return nil
    }
    if let format, file == nil {
      error(
        YAMLCode.conflictingKeys, "`format` applies only to a list read from a `file`", format.key.span)
      return nil
    }
    guard ok else { return nil }
    if let file {
      return ListDecl(
        name: name, elementType: elementType, contents: .file(path: file.path, format: format?.value),
        span: span, runtime: runtime)
    }
    guard let values else {
      error(
        YAMLCode.missingKey, "list `\(name.value)` has neither `values` nor `file`", name.span,
        help: "add `values: [a, b]` or `file: path/to/list.txt`")
      return nil
    }
    return ListDecl(
      name: name, elementType: elementType, contents: .inline(values.items), span: span, runtime: runtime)
  }

  // MARK: - Named conditions

  /// `conditions:`: name → CEL string, or name → seed conditions mapping.
  mutating func readConditions(_ node: YNode) -> [Declaration] {
    guard let pairs = mapping(node, "`conditions`", emptyAllowed: true) else { return [] }
    var out: [Declaration] = []
    for pair in pairs {
      guard let name = key(pair), checkIdentifier(name, "condition") else { continue }
      var expression: EmbeddedExpression?
      if case .mapping = pair.value.kind {
        guard let t = translate(conditions: pair.value) else { continue }
        if t.isEmpty {
          error(YAMLCode.missingKey, "condition `\(name.value)` is empty", pair.value.span)
          continue
        }
        expression = parse(t, whole: pair.value.span)
      } else if let t = expressionText(pair.value, "condition `\(name.value)`") {
        expression = parse(t, whole: pair.value.span)
      }
      guard let expression else { continue }
      out.append(.condition(ConditionDecl(name: name, expression: expression, span: Self.span(of: pair))))
    }
    return out
  }

  // MARK: - Policy

  /// `policy: {review_threshold: 70, block_threshold: 150}`.
  mutating func readPolicy(_ node: YNode, span: Span) -> PolicyDecl? {
    guard let pairs = mapping(node, "`policy`", emptyAllowed: true) else { return nil }
    var policy = PolicyDecl(span: span)
    for pair in pairs {
      guard let key = key(pair) else { continue }
      switch key.value {
      case "review_threshold": policy.reviewThreshold = integer(pair.value, "`review_threshold`")
      case "block_threshold": policy.blockThreshold = integer(pair.value, "`block_threshold`")
      default: unknownKey(key, known: Self.policyKeys, in: "`policy`")
      }
    }
    return policy
  }
}
