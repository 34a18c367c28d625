// The rule-set AST: what both front ends (the textual DSL and YAML) produce, and what the rule
// compiler consumes. Every node keeps the span of its source text in its file; CEL conditions
// are parsed `AST`s whose spans are offsets into the same file's source.

import SentinelModel

/// A value with the span it was written at.
public struct Located<T: Sendable>: Sendable {
  public var value: T
  public var span: Span
  public init(_ value: T, _ span: Span) {
    self.value = value
    self.span = span
  }
}

extension Located: Equatable where T: Equatable {}

/// A CEL expression embedded in a rule file: its text, where it starts in the file, and its AST
/// (with spans relative to the whole file, so diagnostics point into the file).
public struct EmbeddedExpression: Sendable {
  public var text: String
  public var span: Span
  public var ast: AST
  public init(text: String, span: Span, ast: AST) {
    self.text = text
    self.span = span
    self.ast = ast
  }
}

/// A type as written in a schema or list declaration (`double`, `list(string)`, `{lat: double}`).
public indirect enum TypeRef: Sendable {
  /// A CEL type in CEL notation.
  case cel(CELType, Span)
  /// A nested object with named fields.
  case object([FieldDecl], Span)

  public var span: Span {
    switch self {
    case .cel(_, let s), .object(_, let s): return s
    }
  }
}

/// A field of a schema.
public struct FieldDecl: Sendable {
  public var name: Located<String>
  public var type: TypeRef
  public var optional: Bool
  /// A default value (a CEL literal expression).
  public var defaultValue: EmbeddedExpression?
  /// Allowed values (CEL literal expressions), e.g. the event types.
  public var allowedValues: [EmbeddedExpression]?
  /// Event types for which an optional field is required.
  public var requiredFor: [Located<String>]?
  public var span: Span
  public init(
    name: Located<String>, type: TypeRef, optional: Bool, defaultValue: EmbeddedExpression? = nil,
    allowedValues: [EmbeddedExpression]? = nil, requiredFor: [Located<String>]? = nil, span: Span
  ) {
    self.name = name
    self.type = type
    self.optional = optional
    self.defaultValue = defaultValue
    self.allowedValues = allowedValues
    self.requiredFor = requiredFor
    self.span = span
  }
}

/// `schema event { … }`: the event schema.
public struct SchemaDecl: Sendable {
  /// The variable conditions use for the event (`event`).
  public var name: Located<String>
  public var fields: [FieldDecl]
  public var span: Span
  public init(name: Located<String>, fields: [FieldDecl], span: Span) {
    self.name = name
    self.fields = fields
    self.span = span
  }
}

/// `list sanctioned = ["KP", …]` or `list sdn from "lists/sdn.csv"`.
public struct ListDecl: Sendable {
  public enum Contents: Sendable {
    /// Inline elements (CEL literal expressions).
    case inline([EmbeddedExpression])
    /// Loaded at compile time from a file (relative to the declaring file), one entry per line
    /// unless a format says otherwise (`format: csv(column)`, `format: sdn`).
    case file(path: Located<String>, format: Located<String>?)
  }
  public var name: Located<String>
  /// The element type, when declared (`list blocked_ips: string = …`); else inferred.
  public var elementType: TypeRef?
  public var contents: Contents
  public var span: Span
  /// Whether the list may change at run time (`runtime list …`, YAML `runtime: true`): the
  /// program reads it from a variable slot instead of a constant, and the daemon replaces it
  /// without a recompile (`PUT /v1/lists/{name}`). Its contents are the default.
  public var runtime: Bool
  public init(
    name: Located<String>, elementType: TypeRef?, contents: Contents, span: Span, runtime: Bool = false
  ) {
    self.name = name
    self.elementType = elementType
    self.contents = contents
    self.span = span
    self.runtime = runtime
  }
}

/// `condition is_login = event.type == "login"`: a named, reusable condition.
public struct ConditionDecl: Sendable {
  public var name: Located<String>
  public var expression: EmbeddedExpression
  public var span: Span
  public init(name: Located<String>, expression: EmbeddedExpression, span: Span) {
    self.name = name
    self.expression = expression
    self.span = span
  }
}

/// What a matching rule does to the decision.
public enum RuleAction: String, Sendable, CaseIterable {
  case block
  case review
  /// A synonym of review for step-up flows; ranks with review.
  case challenge
  /// Explicitly allows nothing beyond scoring (a score-only rule).
  case score
}

/// `rule id { … }`.
public struct RuleDecl: Sendable {
  public var id: Located<String>
  public var name: Located<String>?
  public var category: Located<String>?
  public var tags: [Located<String>]
  public var enabled: Located<Bool>?
  public var when: EmbeddedExpression?
  public var action: Located<RuleAction>?
  public var score: Located<Int>?
  public var reason: Located<String>?
  public var span: Span
  public init(
    id: Located<String>, name: Located<String>? = nil, category: Located<String>? = nil,
    tags: [Located<String>] = [], enabled: Located<Bool>? = nil, when: EmbeddedExpression? = nil,
    action: Located<RuleAction>? = nil, score: Located<Int>? = nil, reason: Located<String>? = nil,
    span: Span
  ) {
    self.id = id
    self.name = name
    self.category = category
    self.tags = tags
    self.enabled = enabled
    self.when = when
    self.action = action
    self.score = score
    self.reason = reason
    self.span = span
  }
}

/// `policy { review_threshold: 70 … }`: how matched rules combine into a decision.
public struct PolicyDecl: Sendable {
  /// Total score at or above which the decision is at least `review` (default 70).
  public var reviewThreshold: Located<Int>?
  /// Total score at or above which the decision is `block` (default: none).
  public var blockThreshold: Located<Int>?
  public var span: Span
  public init(reviewThreshold: Located<Int>? = nil, blockThreshold: Located<Int>? = nil, span: Span) {
    self.reviewThreshold = reviewThreshold
    self.blockThreshold = blockThreshold
    self.span = span
  }
}

/// `aggregate failed_logins { kind: count, key: event.user_id, where: …, window: 60s }`: a
/// stateful aggregate over the event stream, kept per key.
public struct AggregateDecl: Sendable {
  public var name: Located<String>
  public var kind: Located<AggregateKind>?
  /// What the aggregate is kept per: a CEL expression over the event (`event.user_id`).
  public var key: EmbeddedExpression?
  /// The value aggregated (`of: event.amount`); required by every kind but `count`.
  public var of: EmbeddedExpression?
  /// Which events count (`where: event.type == "login"`); nil for every event.
  public var filter: EmbeddedExpression?
  /// The window length in nanoseconds (`window: 60s`); nil for unbounded.
  public var window: Located<Int64>?
  /// Whether conditions see the current event (`include_current: false`); nil for the kind's
  /// default (`AggregateKind.includesCurrentByDefault`).
  public var includeCurrent: Located<Bool>?
  public var span: Span
  public init(
    name: Located<String>, kind: Located<AggregateKind>? = nil, key: EmbeddedExpression? = nil,
    of: EmbeddedExpression? = nil, filter: EmbeddedExpression? = nil, window: Located<Int64>? = nil,
    includeCurrent: Located<Bool>? = nil, span: Span
  ) {
    self.name = name
    self.kind = kind
    self.key = key
    self.of = of
    self.filter = filter
    self.window = window
    self.includeCurrent = includeCurrent
    self.span = span
  }
}

/// A top-level declaration of a rule file.
public enum Declaration: Sendable {
  case schema(SchemaDecl)
  case list(ListDecl)
  case condition(ConditionDecl)
  case rule(RuleDecl)
  case policy(PolicyDecl)
  case aggregate(AggregateDecl)
}

/// One parsed rule file (DSL or YAML).
public struct RuleFile: Sendable {
  public var source: Source
  public var declarations: [Declaration]
  /// The `//` comments of a DSL file outside CEL text (each from `//` to the end of its line),
  /// in source order, so the formatter can keep them; empty for YAML.
  public var comments: [Located<String>]
  public init(source: Source, declarations: [Declaration], comments: [Located<String>] = []) {
    self.source = source
    self.declarations = declarations
    self.comments = comments
  }
}
