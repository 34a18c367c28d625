// Map functions of the standard library (langdef "Map Operators"): `size`, `@in` (key
// membership) and `_[_]` lookup. Keys match with CEL's cross-numeric equality:
// `{1: 'a'}[1u]`, `{1: 'a'}[1.0]` and `1u in {1: 'a'}` all find the int key 1; a key of a kind
// that cannot be a map key (`3.5`, bytes, null) is simply absent. A missing key is a
// `no_such_key` error.
//
// `cel.@mapInsert` is the internal function the two-variable comprehension macros
// (`transformMap`, `transformMapEntry`) expand to, as in cel-go: it adds an entry (or every entry
// of a second map) to the accumulator map; a key that is already present is an error.

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

  /// `cel.@mapInsert(m, k, v)`: `m` plus the entry; an error when `k` is present or not a key.
  static func insert(_ m: MapValue, _ k: Value, _ v: Value) -> Value {
    guard MapKey(k) != nil else {
      return err(.invalidArgument, "unsupported map key type: \(k.typeName)")
    }
    var copy = m
    guard copy.insert(k, v) else {
      return err(.duplicateKey, "insert failed: key \(Value.render(k)) already exists")
    }
    return .map(copy)
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
      "in_map", "@in", [T.k, T.mapKV], .bool, kernel: .inMap,
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
    Overload(
      "@mapInsert_map_key_value", "cel.@mapInsert", [T.mapKV, T.k, T.v], T.mapKV,
      .ternary { a, k, v in
        guard case .map(let m) = a else { return noOverload("cel.@mapInsert", a, k, v) }
        return insert(m, k, v)
      }),
    Overload(
      "@mapInsert_map_map", "cel.@mapInsert", [T.mapKV, T.mapKV], T.mapKV, cost: Cost.linear,
      .binary { a, b in
        guard case .map(var m) = a, case .map(let u) = b else { return noOverload("cel.@mapInsert", a, b) }
        for (k, v) in u.entries {
          guard m.insert(k, v) else {
            return err(.duplicateKey, "insert failed: key \(Value.render(k)) already exists")
          }
        }
        return .map(m)
      }),
  ]
}
