// Type unification for the checker (cel-go's `isAssignable` with a substitution of type
// parameters): overload type parameters are instantiated with fresh variables, unified
// against argument types, and unbound variables become `dyn` when checking ends.

import SentinelModel

/// A substitution of type variables, built up while checking one expression.
struct TypeSubstitution {
  private(set) var bindings: [String: CELType] = [:]
  private var counter = 0

  /// A fresh type variable.
  mutating func fresh() -> CELType {
    counter += 1
    return .typeParam("_var\(counter)")
  }

  /// Replaces each type parameter of an overload signature with a fresh variable.
  mutating func instantiate(_ types: [CELType], _ result: CELType) -> ([CELType], CELType) {
    // Most overloads have no type parameters: nothing to rename, nothing to allocate.
    if Self.isGround(result) && types.allSatisfy(Self.isGround) { return (types, result) }
    var names: [String: CELType] = [:]
    func walk(_ t: CELType) -> CELType {
      switch t {
      case .typeParam(let n):
        if let v = names[n] { return v }
        let v = fresh()
        names[n] = v
        return v
      case .list(let e): return .list(walk(e))
      case .map(let k, let v): return .map(walk(k), walk(v))
      case .optional(let e): return .optional(walk(e))
      case .type(let e): return .type(e.map(walk))
      case .opaque(let n, let ps): return .opaque(n, ps.map(walk))
      default: return t
      }
    }
    let params = types.map(walk)
    return (params, walk(result))
  }

  /// Whether unifying parameter `param` (of an overload, before or after instantiation) with an
  /// argument of type `arg` fails whatever the substitution: `arg` is a scalar (no variable in
  /// it, unchanged by any substitution), and `param` is another scalar, or a list, map, optional
  /// or opaque type. `internalUnify` accepts none of these pairs (only `null` stands for a
  /// nullable type, and `null` is not such a scalar).
  static func certainlyDisjoint(_ param: CELType, _ arg: CELType) -> Bool {
    switch arg {
    case .bool, .int, .uint, .double, .string, .bytes, .timestamp, .duration: break
    default: return false
    }
    switch param {
    case .bool, .int, .uint, .double, .string, .bytes, .timestamp, .duration: return param != arg
    case .list, .map, .optional, .opaque: return true
    default: return false
    }
  }

  /// Whether `t` mentions no type parameter.
  static func isGround(_ t: CELType) -> Bool {
    switch t {
    case .typeParam: return false
    case .list(let e), .optional(let e): return isGround(e)
    case .map(let k, let v): return isGround(k) && isGround(v)
    case .type(let e): return e.map(isGround) ?? true
    case .opaque(_, let ps): return ps.allSatisfy(isGround)
    default: return true
    }
  }

  /// The type with bound variables replaced; with `finalize`, unbound variables become dyn.
  func apply(_ t: CELType, finalize: Bool = false) -> CELType {
    switch t {
    case .typeParam(let n):
      if let b = bindings[n] { return apply(b, finalize: finalize) }
      return finalize ? .dyn : t
    case .list(let e): return .list(apply(e, finalize: finalize))
    case .map(let k, let v): return .map(apply(k, finalize: finalize), apply(v, finalize: finalize))
    case .optional(let e): return .optional(apply(e, finalize: finalize))
    case .type(let e): return .type(e.map { apply($0, finalize: finalize) })
    case .opaque(let n, let ps): return .opaque(n, ps.map { apply($0, finalize: finalize) })
    default: return t
    }
  }

  private func occurs(_ name: String, in t: CELType) -> Bool {
    switch apply(t) {
    case .typeParam(let n): return n == name
    case .list(let e): return occurs(name, in: e)
    case .map(let k, let v): return occurs(name, in: k) || occurs(name, in: v)
    case .optional(let e): return occurs(name, in: e)
    case .type(let e): return e.map { occurs(name, in: $0) } ?? false
    case .opaque(_, let ps): return ps.contains { occurs(name, in: $0) }
    default: return false
    }
  }

  /// Whether a value of type `actual` may be passed where `expected` is wanted, binding type
  /// variables as needed. On failure the substitution is left unchanged.
  mutating func unify(_ expected: CELType, _ actual: CELType) -> Bool {
    let saved = bindings
    if internalUnify(expected, actual) { return true }
    bindings = saved
    return false
  }

  private mutating func internalUnify(_ e0: CELType, _ a0: CELType) -> Bool {
    let e = apply(e0)
    let a = apply(a0)
    if e == a { return true }
    if case .typeParam(let n) = a {
      if occurs(n, in: e) { return false }
      bindings[n] = e
      return true
    }
    if case .typeParam(let n) = e {
      if occurs(n, in: a) { return false }
      bindings[n] = a
      return true
    }
    switch (e, a) {
    case (.dyn, _), (_, .dyn), (.error, _), (_, .error): return true
    case (.list(let x), .list(let y)): return internalUnify(x, y)
    case (.map(let k1, let v1), .map(let k2, let v2)): return internalUnify(k1, k2) && internalUnify(v1, v2)
    case (.optional(let x), .optional(let y)): return internalUnify(x, y)
    case (.type, .type):
      // As cel-go: any type value is assignable to any other (`type(1) == type('a')` checks).
      return true
    case (.opaque(let n1, let p1), .opaque(let n2, let p2)):
      guard n1 == n2, p1.count == p2.count else { return false }
      return zip(p1, p2).allSatisfy { internalUnify($0.0, $0.1) }
    // Legacy nullability: null may stand for an optional or an abstract value.
    case (.optional, .null), (.opaque, .null), (.timestamp, .null), (.duration, .null): return true
    default: return false
    }
  }

  /// Whether `a` is equally or less specific than `b` (dyn and variables are least specific).
  func isLessSpecific(_ a0: CELType, _ b0: CELType) -> Bool {
    let a = apply(a0)
    let b = apply(b0)
    switch (a, b) {
    case (.dyn, _), (.typeParam, _): return true
    case (.list(let x), .list(let y)), (.optional(let x), .optional(let y)): return isLessSpecific(x, y)
    case (.map(let k1, let v1), .map(let k2, let v2)): return isLessSpecific(k1, k2) && isLessSpecific(v1, v2)
    case (.opaque(let n1, let p1), .opaque(let n2, let p2)):
      return n1 == n2 && p1.count == p2.count && zip(p1, p2).allSatisfy { isLessSpecific($0.0, $0.1) }
    default: return a == b
    }
  }

  /// The more general of two mutually assignable types; `null` yields to the nullable type.
  func mostGeneral(_ a: CELType, _ b: CELType) -> CELType {
    if apply(b) == .null { return a }
    if apply(a) == .null { return b }
    return isLessSpecific(a, b) ? a : b
  }
}
