// The structure of a rule set, for `sentinel diff`: each rule, named condition, aggregate and
// list as a record of named fields (text), and the policy. From sources it comes from the parsed
// declarations (disabled rules included, `enabled: false`) and the compilation (list values,
// policy); from a bundle, from its rule table (condition text from the embedded sources),
// aggregate specs and policy — a bundle records neither named conditions nor lists.

import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelSyntax

/// One declared item: a name and its fields in a fixed order.
public struct SummaryItem: Sendable, Hashable {
  /// The rule id, condition, aggregate or list name.
  public var name: String
  /// Field name → text, in display order.
  public var fields: [(String, String)]

  /// An item.
  public init(name: String, fields: [(String, String)]) {
    self.name = name
    self.fields = fields
  }

  /// The value of a field.
  public subscript(field: String) -> String? { fields.first { $0.0 == field }?.1 }

  /// Equal names and fields.
  public static func == (a: SummaryItem, b: SummaryItem) -> Bool {
    a.name == b.name && a.fields.map(\.0) == b.fields.map(\.0) && a.fields.map(\.1) == b.fields.map(\.1)
  }

  /// Hashes the name and fields.
  public func hash(into h: inout Hasher) {
    h.combine(name)
    for (k, v) in fields {
      h.combine(k)
      h.combine(v)
    }
  }
}

/// A rule set's structure.
public struct RuleSetSummary: Sendable {
  /// Rules by id (disabled ones included when known), in declaration order.
  public var rules: [SummaryItem]
  /// Named conditions; nil when unknown (a bundle).
  public var conditions: [SummaryItem]?
  /// Aggregates.
  public var aggregates: [SummaryItem]
  /// Lists; nil when unknown (a bundle).
  public var lists: [SummaryItem]?
  /// The policy's fields.
  public var policy: SummaryItem

  /// The summary of compiled sources: `files` are the parsed rule files of `compilation`.
  public static func fromSources(_ files: [RuleFile], compilation: RuleSetCompilation) -> RuleSetSummary {
    var rules: [SummaryItem] = []
    var conditions: [SummaryItem] = []
    var aggregates: [SummaryItem] = []
    var lists: [SummaryItem] = []
    for file in files {
      for d in file.declarations {
        switch d {
        case .rule(let r):
          rules.append(
            SummaryItem(
              name: r.id.value,
              fields: [
                ("name", r.name?.value ?? r.id.value), ("category", r.category?.value ?? ""),
                ("tags", "[" + r.tags.map(\.value).joined(separator: ", ") + "]"),
                ("enabled", (r.enabled?.value ?? true) ? "true" : "false"),
                ("condition", r.when.map { normalize($0.text) } ?? ""),
                ("action", r.action?.value.rawValue ?? "score"), ("score", String(r.score?.value ?? 0)),
                ("reason", r.reason?.value ?? r.name?.value ?? ""),
              ]))
        case .condition(let c):
          conditions.append(
            SummaryItem(name: c.name.value, fields: [("condition", normalize(c.expression.text))]))
        case .aggregate(let a):
          let kind = a.kind?.value
          aggregates.append(
            SummaryItem(
              name: a.name.value,
              fields: [
                ("kind", kind?.rawValue ?? ""), ("of", a.of.map { normalize($0.text) } ?? ""),
                ("key", a.key.map { normalize($0.text) } ?? ""),
                ("where", a.filter.map { normalize($0.text) } ?? ""),
                ("window", a.window.map { windowText($0.value) } ?? "unbounded"),
                (
                  "include_current",
                  (a.includeCurrent?.value ?? kind?.includesCurrentByDefault ?? false) ? "true" : "false"
                ),
              ]))
        case .list(let l):
          let value = compilation.constants[l.name.value].map { JSONWriter.value($0) }
          var fields: [(String, String)] = []
          switch l.contents {
          case .inline(let xs):
            fields.append(("values", value ?? "[" + xs.map(\.text).joined(separator: ", ") + "]"))
          case .file(let path, let format):
            fields.append(("file", path.value + (format.map { " (\($0.value))" } ?? "")))
            fields.append(("values", value ?? "?"))
          }
          lists.append(SummaryItem(name: l.name.value, fields: fields))
        case .schema, .policy: break
        }
      }
    }
    return RuleSetSummary(
      rules: rules, conditions: conditions, aggregates: aggregates, lists: lists,
      policy: policyItem(compilation.bundle.policy))
  }

  /// The summary of a bundle (rule table, aggregate specs, policy).
  public static func fromBundle(_ b: Bundle) -> RuleSetSummary {
    let rules = b.rules.map { r -> SummaryItem in
      var condition = "?"
      if r.file >= 0, r.file < b.sourceFiles.count {
        let bytes = Array(b.sourceFiles[r.file].text.utf8)
        if r.span.start >= 0, r.span.end <= bytes.count, r.span.start < r.span.end {
          condition = normalize(String(decoding: bytes[r.span.start..<r.span.end], as: UTF8.self))
        }
      }
      return SummaryItem(
        name: r.id,
        fields: [
          ("name", r.name), ("category", r.category), ("tags", "[" + r.tags.joined(separator: ", ") + "]"),
          ("enabled", "true"), ("condition", condition), ("action", r.outcome.name),
          ("score", String(r.score)),
          ("reason", r.reason),
        ])
    }
    let aggregates = b.aggregates.map { a in
      SummaryItem(
        name: a.name,
        fields: [
          ("kind", a.kind.rawValue), ("window", a.windowNanos.map(windowText) ?? "unbounded"),
          ("include_current", a.includeCurrent ? "true" : "false"),
        ])
    }
    return RuleSetSummary(
      rules: rules, conditions: nil, aggregates: aggregates, lists: nil, policy: policyItem(b.policy))
  }

  static func policyItem(_ p: DecisionPolicy) -> SummaryItem {
    SummaryItem(
      name: "policy",
      fields: [
        ("review_threshold", String(p.reviewThreshold)),
        ("block_threshold", p.blockThreshold.map { String($0) } ?? "none"),
      ])
  }

  /// Whitespace runs (line breaks included) collapsed to one space, so that reformatting is not
  /// a change.
  static func normalize(_ text: String) -> String {
    text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
  }

  /// A window in the largest whole unit: `24h`, `10m`, `60s`, `1500ms`, `7ns`.
  static func windowText(_ nanos: Int64) -> String {
    let units: [(Int64, String)] = [
      (3_600_000_000_000, "h"), (60_000_000_000, "m"), (1_000_000_000, "s"), (1_000_000, "ms"),
    ]
    for (size, name) in units where nanos != 0 && nanos % size == 0 { return "\(nanos / size)\(name)" }
    return "\(nanos)ns"
  }
}
