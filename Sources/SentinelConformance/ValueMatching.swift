// The conformance harness's value equality (fixtures/cel-conformance/README.md, "How a runner
// should treat a test", step 3) — stricter than CEL's `==` — and the deduced-type comparison.

import SentinelModel

/// Strict matching of results against expectations.
public enum ConformanceMatching {
  /// Whether `actual` matches `expected` under the harness's value equality:
  /// * kinds must match: `1`, `1u` and `1.0` are three different values, as are `"a"` and `b"a"`;
  /// * doubles compare as IEEE values (`0.0` matches `-0.0`), except that NaN matches NaN;
  /// * lists match element by element, in order;
  /// * maps match when they have the same number of entries and every expected key (compared with
  ///   this same typed equality) is present with a matching value; entry order is ignored;
  /// * type values match by name (`list` matches `list(int)`), timestamps and durations as
  ///   instants and spans;
  /// * optionals match when both are empty or their contents match; any error matches any error.
  public static func valuesMatch(expected: Value, actual: Value) -> Bool {
    switch (expected, actual) {
    case (.null, .null):
      return true
    case (.bool(let a), .bool(let b)):
      return a == b
    case (.int(let a), .int(let b)):
      return a == b
    case (.uint(let a), .uint(let b)):
      return a == b
    case (.double(let a), .double(let b)):
      return (a.isNaN && b.isNaN) || a == b
    case (.string(let a), .string(let b)):
      return a == b
    case (.bytes(let a), .bytes(let b)):
      return a == b
    case (.list(let a), .list(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { valuesMatch(expected: $0, actual: $1) }
    case (.map(let a), .map(let b)):
      guard a.count == b.count else { return false }
      // Actual keys are distinct even under CEL's cross-numeric key equality, so a typed key
      // matches at most one of them.
      return a.entries.allSatisfy { e in
        b.entries.contains { keysMatch(e.key, $0.key) && valuesMatch(expected: e.value, actual: $0.value) }
      }
    case (.timestamp(let a), .timestamp(let b)):
      return a.seconds == b.seconds && a.nanos == b.nanos
    case (.duration(let a), .duration(let b)):
      return a.seconds == b.seconds && a.nanos == b.nanos
    case (.type(let a), .type(let b)):
      return a.runtimeName == b.runtimeName
    case (.optional(let a), .optional(let b)):
      switch (a, b) {
      case (nil, nil): return true
      case (let x?, let y?): return valuesMatch(expected: x, actual: y)
      default: return false
      }
    case (.error, .error):
      return true
    default:
      return false
    }
  }

  private static func keysMatch(_ a: Value, _ b: Value) -> Bool {
    valuesMatch(expected: a, actual: b)
  }

  /// Whether a deduced type matches the expected one: structurally equal, where the expected
  /// type's parameters (`T`, `A`…) match the actual type's parameters under one consistent
  /// renaming (a checker names its type variables as it likes), and abstract types compare by
  /// name and parameters.
  public static func typesMatch(expected: CELType, actual: CELType) -> Bool {
    var forward: [String: String] = [:]
    var backward: [String: String] = [:]
    return typesMatch(expected, actual, &forward, &backward)
  }

  private static func typesMatch(
    _ e: CELType, _ a: CELType, _ fwd: inout [String: String], _ bwd: inout [String: String]
  ) -> Bool {
    func all(_ xs: [CELType], _ ys: [CELType], _ fwd: inout [String: String], _ bwd: inout [String: String])
      -> Bool
    {
      guard xs.count == ys.count else { return false }
      for (x, y) in zip(xs, ys) where !typesMatch(x, y, &fwd, &bwd) { return false }
      return true
    }
    switch (e, a) {
    case (.typeParam(let x), .typeParam(let y)):
      if let bound = fwd[x] { return bound == y }
      if let bound = bwd[y] { return bound == x }
      fwd[x] = y
      bwd[y] = x
      return true
    case (.list(let x), .list(let y)):
      return typesMatch(x, y, &fwd, &bwd)
    case (.map(let k1, let v1), .map(let k2, let v2)):
      return all([k1, v1], [k2, v2], &fwd, &bwd)
    case (.type(let x), .type(let y)):
      switch (x, y) {
      case (nil, nil): return true
      case (let x?, let y?): return typesMatch(x, y, &fwd, &bwd)
      default: return false
      }
    case (.optional(let x), .optional(let y)):
      return typesMatch(x, y, &fwd, &bwd)
    case (.opaque("optional_type", let ps), .optional(let y)):
      return all(ps, [y], &fwd, &bwd)
    case (.optional(let x), .opaque("optional_type", let ps)):
      return all([x], ps, &fwd, &bwd)
    case (.opaque(let n1, let p1), .opaque(let n2, let p2)):
      return n1 == n2 && all(p1, p2, &fwd, &bwd)
    case (.dyn, .dyn), (.null, .null), (.bool, .bool), (.int, .int), (.uint, .uint), (.double, .double),
      (.string, .string), (.bytes, .bytes), (.timestamp, .timestamp), (.duration, .duration),
      (.error, .error):
      return true
    default:
      return false
    }
  }
}
