// Output lines (docs/reference-rules.md): a decision `{"event_id","action","score","rules"}` or a
// rejection `{"event_id"?,"error"}`. Decisions compare as JSON values (key order and number
// spelling do not matter); rejections compare by the presence of `error` and the `event_id`
// only, since the error text is free-form.

import SentinelModel

/// One parsed output line.
public enum OutputLine: Sendable, Hashable {
  /// A decision line.
  case decision(Decision)
  /// A rejected event: its `event_id` when it had a string one.
  case error(eventID: String?)

  /// The fields of a decision line.
  public struct Decision: Sendable, Hashable {
    /// The event id.
    public var eventID: String
    /// `allow`, `review`, `block` (or `challenge`).
    public var action: String
    /// The total score.
    public var score: Int64
    /// The matched rule ids, as written.
    public var rules: [String]
    /// The whole object as canonical JSON (sorted keys), for equality as JSON.
    public var canonical: String
  }

  /// Parses a line; the error message says what is wrong (without a location).
  public static func parse(_ text: String) throws(FixtureError) -> OutputLine {
    let value: Value
    do {
      value = try JSONReader.parse(text)
    } catch {
      throw FixtureError("", error.description)
    }
    guard case .map(let m) = value else {
      throw FixtureError("", "not a JSON object")
    }
    if m[string: "error"] != nil {
      if case .string(let id)? = m[string: "event_id"] { return .error(eventID: id) }
      return .error(eventID: nil)
    }
    guard case .string(let id)? = m[string: "event_id"] else {
      throw FixtureError("", "neither a decision (no string `event_id`) nor an error line (no `error`)")
    }
    guard case .string(let action)? = m[string: "action"] else {
      throw FixtureError("", "decision line without a string `action`")
    }
    let score: Int64
    switch m[string: "score"] {
    case .int(let i)?: score = i
    case .uint(let u)? where u <= UInt64(Int64.max): score = Int64(u)
    case .double(let d)? where d == d.rounded() && abs(d) < 1e15: score = Int64(d)
    default: throw FixtureError("", "decision line without an integer `score`")
    }
    guard case .list(let items)? = m[string: "rules"] else {
      throw FixtureError("", "decision line without a `rules` list")
    }
    var rules: [String] = []
    for item in items {
      guard case .string(let r) = item else {
        throw FixtureError("", "`rules` holds a value that is not a string")
      }
      rules.append(r)
    }
    return .decision(
      Decision(eventID: id, action: action, score: score, rules: rules, canonical: canonicalJSON(value)))
  }

  /// Whether `actual` is what `self` (expected) says: decisions equal as JSON, errors with the
  /// same `event_id` (or both without).
  public func accepts(_ actual: OutputLine) -> Bool {
    switch (self, actual) {
    case (.decision(let e), .decision(let a)): return e.canonical == a.canonical
    case (.error(let e), .error(let a)): return e == a
    default: return false
    }
  }

  /// The event id, when the line has one.
  public var eventID: String? {
    switch self {
    case .decision(let d): return d.eventID
    case .error(let id): return id
    }
  }

  /// The action, or `error` for a rejected line.
  public var action: String {
    if case .decision(let d) = self { return d.action }
    return "error"
  }

  /// The matched rules (none for an error line).
  public var rules: [String] {
    if case .decision(let d) = self { return d.rules }
    return []
  }

  /// A JSON value with object keys sorted and numbers spelled one way (`70` = `70.0`).
  static func canonicalJSON(_ v: Value) -> String {
    switch v {
    case .map(let m):
      let entries = m.entries.map { e -> (String, String) in
        let k: String
        if case .string(let s) = e.key { k = s } else { k = e.key.description }
        return (k, canonicalJSON(e.value))
      }
      return "{"
        + entries.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        .map { JSONWriter.quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    case .list(let xs): return "[" + xs.map(canonicalJSON).joined(separator: ",") + "]"
    case .double(let d) where d.isFinite && d == d.rounded() && abs(d) < 1e15: return String(Int64(d))
    case .uint(let u): return String(u)
    default: return JSONWriter.value(v)
    }
  }
}
