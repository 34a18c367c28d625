// Stateful aggregates: declared summaries of the event stream, kept per key (user, ip, device…)
// over an event-time window or unbounded. The compiler and the runtime share this one
// definition: what each kind of aggregate is, and which variables it exposes to conditions.
//
// Semantics (REFERENCE_RULES.md): a window of length W at an event with time t holds the
// matching events with time in (t − W, t]. `includeCurrent` says whether the current event's own
// contribution (when it matches the filter) is part of what conditions read.

/// The kinds of aggregate.
public enum AggregateKind: String, Sendable, Hashable, CaseIterable {
  /// The number of matching events: `name` is an `int`.
  case count
  /// The sum of `of` over matching events: `name` is an `int` or a `double` (the type of `of`).
  case sum
  /// The number of distinct values of `of` over matching events: `name` is an `int`.
  case distinct
  /// The most recent matching event: `name.value` (the type of `of`) and `name.ts` (its time);
  /// both absent when there is none (guard with `has(name.ts)`).
  case last
  /// Running statistics of `of` (a number): `name.count` (`int`), `name.mean` and `name.stddev`
  /// (population standard deviation, `double`s; absent when the count is 0).
  case stats
  /// Whether the current event's value of `of` was seen before for the key: `name` is a `bool`.
  case seen

  /// Whether the kind needs an `of:` expression.
  public var needsValue: Bool { self != .count }

  /// Whether conditions read the current event's contribution by default.
  public var includesCurrentByDefault: Bool {
    switch self {
    case .count, .sum, .distinct, .stats: return true
    case .last, .seen: return false
    }
  }
}

/// One declared aggregate, as a bundle records it.
public struct AggregateSpec: Sendable, Hashable {
  /// The name conditions use (`failed_logins`, `last_login.ts`).
  public var name: String
  public var kind: AggregateKind
  /// The window length in nanoseconds; nil for unbounded.
  public var windowNanos: Int64?
  /// Whether conditions see the current event's contribution (when it matches the filter).
  public var includeCurrent: Bool
  /// The type of `of` (nil for `count`).
  public var valueType: CELType?

  public init(
    name: String, kind: AggregateKind, windowNanos: Int64? = nil, includeCurrent: Bool? = nil,
    valueType: CELType? = nil
  ) {
    self.name = name
    self.kind = kind
    self.windowNanos = windowNanos
    self.includeCurrent = includeCurrent ?? kind.includesCurrentByDefault
    self.valueType = valueType
  }

  /// The variables the aggregate exposes to conditions: qualified name → CEL type, in a fixed
  /// order (the runtime fills them in this order).
  public var variables: [(name: String, type: CELType)] {
    switch kind {
    case .count, .distinct: return [(name, .int)]
    case .sum: return [(name, valueType == .int ? .int : .double)]
    case .last: return [(name + ".value", valueType ?? .dyn), (name + ".ts", .timestamp)]
    case .stats: return [(name + ".count", .int), (name + ".mean", .double), (name + ".stddev", .double)]
    case .seen: return [(name, .bool)]
    }
  }
}
