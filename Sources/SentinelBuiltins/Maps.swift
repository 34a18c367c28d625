// Map functions of the standard library (langdef "Map Operators"): `size`, `@in` (key
// membership) and `_[_]` lookup. Keys match with CEL's cross-numeric equality:
// `{1: 'a'}[1u]`, `{1: 'a'}[1.0]` and `1u in {1: 'a'}` all find the int key 1; a key of a kind
// that cannot be a map key (`3.5`, bytes, null) is simply absent. A missing key is a
// `no_such_key` error.

import SentinelModel

enum Maps {
  /// `map[key]`, or a `no_such_key` error.
  static func index(_ m: MapValue, _ key: Value) -> Value {
    if let v = m[key] { return v }
    return noSuchKey(key)
  }

  static func noSuchKey(_ key: Value) -> Value {
    if case .string(let s) = key { return err(.noSuchKey, "no such key: '\(s)'") }
    return err(.noSuchKey, "no such key: \(Value.render(key))")
  }

  static let overloads: [Overload] = [
    Overload(
      "size_map", "size", [T.mapKV], .int,
      .unary { a in
        guard case .map(let m) = a else { return noOverload("size", a) }
        return .int(Int64(m.count))
      }),
    Overload(
      "map_size", "size", receiver: true, [T.mapKV], .int,
      .unary { a in
        guard case .map(let m) = a else { return noOverload("size", a) }
        return .int(Int64(m.count))
      }),
    Overload(
      "in_map", "@in", [T.k, T.mapKV], .bool,
      .binary { k, a in
        guard case .map(let m) = a else { return noOverload("@in", k, a) }
        return .bool(m.contains(k))
      }),
    Overload(
      "index_map", "_[_]", [T.mapKV, T.k], T.v,
      .binary { a, k in
        guard case .map(let m) = a else { return noOverload("_[_]", a, k) }
        return index(m, k)
      }),
  ]
}
