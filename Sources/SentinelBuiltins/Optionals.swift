// The optional-types library (cel-go `cel.OptionalTypes`, conformance optionals.json):
// `optional.of`, `optional.ofNonZeroValue`, `optional.none`, `hasValue`, `value`, `or`,
// `orValue`, optional field selection `_?._` (`m.?f`), optional indexing `_[?_]` (`l[?i]`,
// `m[?k]`), indexing an optional (`opt[i]` is optional, "viral" selection), and the
// `first`/`last`/`optional.unwrap`/`unwrapOpt` helpers.
//
// NOTE: cel-go short-circuits `or` and `orValue` (the argument is not evaluated when the
// receiver has a value); these implementations are strict, and evaluators may special-case them.

import SentinelModel

enum Optionals {
  /// Whether a value is its type's zero value (for `optional.ofNonZeroValue`): null, false, 0,
  /// 0u, 0.0, "", b"", [], {}, the zero duration and the zero timestamp — the protobuf default,
  /// the Unix epoch (cel-go documents "epoch 0" but tests Go's zero time, year 1; cel-cpp and the
  /// protobuf zero value agree on the epoch).
  static func isZero(_ v: Value) -> Bool {
    switch v {
    case .null: return true
    case .bool(let b): return !b
    case .int(let i): return i == 0
    case .uint(let u): return u == 0
    case .double(let d): return d == 0
    case .string(let s): return s.isEmpty
    case .bytes(let b): return b.isEmpty
    case .list(let xs): return xs.isEmpty
    case .map(let m): return m.count == 0
    case .duration(let d): return d.seconds == 0 && d.nanos == 0
    case .timestamp(let t): return t.seconds == 0 && t.nanos == 0
    case .type, .optional, .error: return false
    }
  }

  /// `target.?field`: present map entry → `optional.of(value)`, else `optional.none()`.
  static func select(_ target: Value, _ field: String) -> Value {
    switch target {
    case .map(let m): return .optional(m[string: field])
    case .optional(nil): return target
    case .optional(let inner?): return select(inner, field)
    default:
      return err(.noSuchField, "type '\(target.typeName)' does not support field selection")
    }
  }

  /// `target[?key]` (and `opt[key]`): the element or entry as an optional; a list index out of
  /// range or a missing key give `optional.none()`.
  static func index(_ target: Value, _ key: Value) -> Value {
    switch target {
    case .list(let xs):
      let r = Lists.index(xs, key)
      if case .error(let e) = r {
        return e.kind == .indexOutOfBounds ? .optional(nil) : r
      }
      return .optional(r)
    case .map(let m): return .optional(m[key])
    case .optional(nil): return target
    case .optional(let inner?): return index(inner, key)
    default: return noOverload("_[?_]", target, key)
    }
  }

  static func unwrap(_ fn: String, _ a: Value) -> Value {
    guard case .list(let xs) = a else { return noOverload(fn, a) }
    var out: [Value] = []
    out.reserveCapacity(xs.count)
    for x in xs {
      guard case .optional(let o) = x else { return noOverload(fn, a) }
      if let v = o { out.append(v) }
    }
    return .list(out)
  }

  static let overloads: [Overload] = [
    Overload("optional_of", "optional.of", [T.v], T.optV, .unary { .optional($0) }),
    Overload(
      "optional_ofNonZeroValue", "optional.ofNonZeroValue", [T.v], T.optV,
      .unary { isZero($0) ? .optional(nil) : .optional($0) }),
    Overload("optional_none", "optional.none", [], T.optV, .nary { _ in .optional(nil) }),
    Overload(
      "optional_hasValue", "hasValue", receiver: true, [T.optV], .bool,
      .unary { a in
        guard case .optional(let o) = a else { return noOverload("hasValue", a) }
        return .bool(o != nil)
      }),
    Overload(
      "optional_value", "value", receiver: true, [T.optV], T.v,
      .unary { a in
        guard case .optional(let o) = a else { return noOverload("value", a) }
        return o ?? err(.other, "optional.none() dereference")
      }),
    Overload(
      "optional_or_optional", "or", receiver: true, [T.optV, T.optV], T.optV,
      .binary { a, b in
        guard case .optional(let o) = a, case .optional = b else { return noOverload("or", a, b) }
        return o == nil ? b : a
      }),
    Overload(
      "optional_orValue_value", "orValue", receiver: true, [T.optV, T.v], T.v,
      .binary { a, b in
        guard case .optional(let o) = a else { return noOverload("orValue", a, b) }
        return o ?? b
      }),
    Overload(
      "select_optional_field", "_?._", [.dyn, .string], T.optV,
      .binary { a, f in
        guard case .string(let field) = f else { return noOverload("_?._", a, f) }
        return select(a, field)
      }),
    Overload("list_optindex_optional_int", "_[?_]", [T.listV, .int], T.optV, .binary(index)),
    Overload(
      "optional_list_optindex_optional_int", "_[?_]", [.optional(T.listV), .int], T.optV, .binary(index)),
    Overload("map_optindex_optional_value", "_[?_]", [T.mapKV, T.k], T.optV, .binary(index)),
    Overload(
      "optional_map_optindex_optional_value", "_[?_]", [.optional(T.mapKV), T.k], T.optV, .binary(index)),
    Overload("optional_list_index_int", "_[_]", [.optional(T.listV), .int], T.optV, .binary(index)),
    Overload("optional_map_index_value", "_[_]", [.optional(T.mapKV), T.k], T.optV, .binary(index)),
    Overload(
      "list_first", "first", receiver: true, [T.listV], T.optV,
      .unary { a in
        guard case .list(let xs) = a else { return noOverload("first", a) }
        return .optional(xs.first)
      }),
    Overload(
      "list_last", "last", receiver: true, [T.listV], T.optV,
      .unary { a in
        guard case .list(let xs) = a else { return noOverload("last", a) }
        return .optional(xs.last)
      }),
    Overload(
      "optional_unwrap", "optional.unwrap", [.list(T.optV)], T.listV, cost: Cost.linear,
      .unary { unwrap("optional.unwrap", $0) }),
    Overload(
      "optional_unwrapOpt", "unwrapOpt", receiver: true, [.list(T.optV)], T.listV, cost: Cost.linear,
      .unary { unwrap("unwrapOpt", $0) }),
  ]
}
