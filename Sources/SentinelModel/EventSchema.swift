// Event schemas: the declared shape of the events a rule set decides on. The compiler checks
// `event.field` references against it; the runtime decodes JSON events straight into its slots.
// Both sides share this one definition (and its hash, which a bundle records).

/// One field of an event schema (or of a nested object field).
public struct SchemaField: Sendable, Hashable {
  /// The JSON key.
  public var name: String
  /// The CEL type of the value; for an object field, `map(string, dyn)` (its `fields` say more).
  public var type: CELType
  /// Whether the field may be absent. Required fields missing from an event reject the event.
  public var optional: Bool
  /// The value used when the field is absent (makes reads safe without a `has()` guard).
  public var defaultValue: Value?
  /// The values the field may take, when restricted (e.g. the event `type`); nil = any.
  public var allowedValues: [Value]?
  /// The fields of a nested object (`geo { lat, lon }`); empty for scalar fields.
  public var fields: [SchemaField]
  /// For an optional field: the event types (values of the schema's `type` field) for which
  /// it is required after all (`amount` is required for transactions and withdrawals).
  public var requiredForTypes: [String]?

  public init(
    name: String, type: CELType, optional: Bool = false, defaultValue: Value? = nil,
    allowedValues: [Value]? = nil, fields: [SchemaField] = [], requiredForTypes: [String]? = nil
  ) {
    self.name = name
    self.type = type
    self.optional = optional
    self.defaultValue = defaultValue
    self.allowedValues = allowedValues
    self.fields = fields
    self.requiredForTypes = requiredForTypes
  }

  /// Whether this is a nested object with declared fields.
  public var isObject: Bool { !fields.isEmpty }
}

extension SchemaField {
  /// Hashable by structure; `Value` has no `Hashable` conformance, so compare renderings.
  public static func == (a: SchemaField, b: SchemaField) -> Bool {
    a.name == b.name && a.type == b.type && a.optional == b.optional
      && a.defaultValue?.description == b.defaultValue?.description
      && a.allowedValues?.map(\.description) == b.allowedValues?.map(\.description) && a.fields == b.fields
      && a.requiredForTypes == b.requiredForTypes
  }
  public func hash(into h: inout Hasher) {
    h.combine(name)
    h.combine(type)
    h.combine(optional)
    h.combine(defaultValue?.description)
    h.combine(fields)
  }
}

/// An event schema: the variable it binds (`event`) and its fields.
///
/// Slots: every field path (`event.amount`, `event.geo`, `event.geo.lat`) is one slot, in
/// declaration order, depth first. Conditions read slots as qualified variables.
public struct EventSchema: Sendable, Hashable {
  /// The variable name conditions use for the event (`event`).
  public var variable: String
  public var fields: [SchemaField]

  public init(variable: String = "event", fields: [SchemaField]) {
    self.variable = variable
    self.fields = fields
  }

  /// A slot: a field path, its qualified variable name and its declaration.
  public struct Slot: Sendable, Hashable {
    public var path: [String]
    public var qualifiedName: String
    public var field: SchemaField
  }

  /// Every slot, depth first in declaration order.
  public var slots: [Slot] {
    var out: [Slot] = []
    func walk(_ fs: [SchemaField], _ prefix: [String]) {
      for f in fs {
        let path = prefix + [f.name]
        out.append(Slot(path: path, qualifiedName: ([variable] + path).joined(separator: "."), field: f))
        walk(f.fields, path)
      }
    }
    walk(fields, [])
    return out
  }

  /// The declared variables: qualified slot name → CEL type (for the checker's environment).
  public var variableTypes: [String: CELType] {
    var out: [String: CELType] = [:]
    for s in slots { out[s.qualifiedName] = s.field.type }
    return out
  }

  /// A canonical text form: equal schemas have equal text (hashed into bundles).
  public var canonicalText: String {
    func render(_ fs: [SchemaField], _ indent: String) -> String {
      fs.map { f in
        var line = indent + f.name + (f.optional ? "?" : "") + ": " + f.type.description
        if let d = f.defaultValue { line += " = " + d.description }
        if let a = f.allowedValues { line += " in [" + a.map(\.description).joined(separator: ", ") + "]" }
        if let r = f.requiredForTypes { line += " required_for [" + r.joined(separator: ", ") + "]" }
        if f.isObject { line += " {\n" + render(f.fields, indent + "  ") + indent + "}" }
        return line + "\n"
      }.joined()
    }
    return "schema \(variable) {\n" + render(fields, "  ") + "}\n"
  }

  /// The reference event schema of the reference rule set (REFERENCE_RULES.md): used when a
  /// rule set declares none.
  public static let reference = EventSchema(
    variable: "event",
    fields: [
      SchemaField(name: "event_id", type: .string),
      SchemaField(
        name: "type", type: .string,
        allowedValues: ["login", "transaction", "withdrawal", "password_reset", "email_change"].map {
          Value.string($0)
        }),
      SchemaField(name: "ts", type: .timestamp),
      SchemaField(name: "user_id", type: .string),
      SchemaField(name: "ip", type: .string, optional: true),
      SchemaField(name: "country_code", type: .string, optional: true),
      SchemaField(
        name: "geo", type: .map(.string, .double), optional: true,
        fields: [SchemaField(name: "lat", type: .double), SchemaField(name: "lon", type: .double)]),
      SchemaField(name: "device_id", type: .string, optional: true),
      SchemaField(name: "success", type: .bool, optional: true, defaultValue: .bool(true)),
      SchemaField(
        name: "amount", type: .double, optional: true, requiredForTypes: ["transaction", "withdrawal"]),
      SchemaField(name: "currency", type: .string, optional: true),
      SchemaField(name: "card_country", type: .string, optional: true),
      SchemaField(name: "merchant_category", type: .string, optional: true),
      SchemaField(name: "beneficiary_name", type: .string, optional: true),
    ])
}
