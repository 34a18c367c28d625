// The VM's non-call operations on values: field selection, CEL's logical operators, and the
// list and map builders. Each is total: any operand (errors included) gives a value, never a
// trap. Messages match the reference evaluator's, so differential tests compare them directly.

import SentinelModel

/// Value operations behind `select`, `has`, `and`, `list`, `map`… (one definition each).
enum Operations {
  // MARK: - Field selection

  /// `b.field`: the map's entry (missing → `no_such_key`); on an optional, the optional select
  /// (none stays none; an absent field gives none); an error propagates; other types have no
  /// fields.
  static func select(_ target: Value, _ field: String) -> Value {
    switch target {
    case .error: return target
    case .map(let m): return m[string: field] ?? .error(CELError(.noSuchKey, "no such key: \(field)"))
    case .optional(let inner):
      guard let inner else { return .optional(nil) }
      let v = select(inner, field)
      if case .error(let e) = v, e.kind == .noSuchKey { return .optional(nil) }
      return v.isError ? v : .optional(v)
    default: return noField(target, field)
    }
  }

  /// `has(b.field)`: whether a map has the entry; on an optional, false for none and the test on
  /// the value for some (CEL conformance `optionals/has_map_optindex`, `optional_chaining_9`);
  /// an error propagates; other types are errors.
  static func has(_ target: Value, _ field: String) -> Value {
    switch target {
    case .error: return target
    case .map(let m): return .bool(m[string: field] != nil)
    case .optional(let inner):
      guard let inner else { return .bool(false) }
      return has(inner, field)
    default: return noField(target, field)
    }
  }

  /// `b.?field`: an optional of the entry, none when absent; none stays none.
  static func optionalSelect(_ target: Value, _ field: String) -> Value {
    switch target {
    case .error: return target
    case .map(let m): return .optional(m[string: field])
    case .optional(let inner):
      guard let inner else { return .optional(nil) }
      return optionalSelect(inner, field)
    default: return noField(target, field)
    }
  }

  static func noField(_ target: Value, _ field: String) -> Value {
    .error(CELError(.noSuchField, "type `\(target.typeName)` has no field `\(field)`"))
  }

  // MARK: - Logical operators

  /// `a && b` (absorbing = false) or `a || b` (absorbing = true), commutative over errors: the
  /// absorbing bool on either side wins; else two bools give the identity; else the first error
  /// (a before b); else no matching overload.
  @inline(__always)
  static func logical(_ a: Value, _ b: Value, absorbing: Bool) -> Value {
    if case .bool(let x) = a, x == absorbing { return a }
    if case .bool(let y) = b, y == absorbing { return b }
    switch (a, b) {
    case (.bool, .bool): return .bool(!absorbing)
    case (.error, _): return a
    case (_, .error): return b
    default: return .error(.noOverload(absorbing ? "_||_" : "_&&_", [a, b]))
    }
  }

  // MARK: - Lists

  /// `[r[b] … r[b+c-1]]`; the first error element is the result.
  static func makeList<C: Collection<Value>>(_ elements: C) -> Value {
    for e in elements where e.isError { return e }
    return .list(Array(elements))
  }

  /// `a ← a + [item]` (or `+ [item.value()]` for a present optional; none leaves a unchanged).
  /// An error accumulator stays; an error item becomes the result.
  static func append(_ accumulator: inout Value, _ item: Value, optional: Bool) {
    if accumulator.isError { return }
    var element = item
    if optional {
      switch item {
      case .error: break
      case .optional(let inner):
        guard let inner else { return }
        element = inner
      default:
        accumulator = .error(CELError(.invalidArgument, "optional list element is not an optional value"))
        return
      }
    }
    if element.isError {
      accumulator = element
      return
    }
    guard case .list(var xs) = accumulator else {
      accumulator = .error(CELError(.invalidArgument, "list.append on a \(accumulator.typeName), not a list"))
      return
    }
    // Drop the register's reference first so `xs` is uniquely referenced and appends in place
    // (otherwise building a list in a loop would copy it on every iteration).
    accumulator = .null
    xs.append(element)
    accumulator = .list(xs)
  }

  // MARK: - Maps

  /// `{r[b]: r[b+1], …}`: entries in order; the first error key or value, an invalid key type or
  /// a duplicate key is the result.
  static func makeMap<C: RandomAccessCollection<Value>>(_ registers: C) -> Value where C.Index == Int {
    var m = MapValue()
    var i = registers.startIndex
    while i + 1 < registers.endIndex {
      let k = registers[i]
      let v = registers[i + 1]
      i += 2
      if let e = insertOne(&m, k, v) { return e }
    }
    return .map(m)
  }

  /// `a ← a with key: value` (for `optional`, `value` must be an optional: none leaves a
  /// unchanged, some(x) inserts x). An error accumulator stays; an error key or value becomes
  /// the result; an invalid or duplicate key is an error.
  static func insert(_ accumulator: inout Value, _ key: Value, _ value: Value, optional: Bool) {
    if accumulator.isError { return }
    if key.isError {
      accumulator = key
      return
    }
    var entry = value
    if optional {
      switch value {
      case .error: break
      case .optional(let inner):
        guard let inner else { return }
        entry = inner
      default:
        accumulator = .error(CELError(.invalidArgument, "optional map entry is not an optional value"))
        return
      }
    }
    guard case .map(var m) = accumulator else {
      accumulator = .error(CELError(.invalidArgument, "map.insert on a \(accumulator.typeName), not a map"))
      return
    }
    accumulator = .null  // as in `append`: keep `m` uniquely referenced
    if let e = insertOne(&m, key, entry) {
      accumulator = e
      return
    }
    accumulator = .map(m)
  }

  /// Inserts one entry, or returns the error it causes.
  static func insertOne(_ m: inout MapValue, _ k: Value, _ v: Value) -> Value? {
    if k.isError { return k }
    if v.isError { return v }
    guard MapKey(k) != nil else {
      return .error(CELError(.invalidArgument, "unsupported map key type `\(k.typeName)`"))
    }
    guard m.insert(k, v) else { return .error(CELError(.duplicateKey, "duplicate map key \(k)")) }
    return nil
  }

  // MARK: - Limits

  /// The result of a run that met a collection larger than the verified limit.
  static func tooLarge(_ count: Int, _ limit: Int) -> Value {
    .error(CELError(.limit, "a loop ranges over \(count) elements; the limit is \(limit)"))
  }
}
