// The type checker: resolves names, chooses overloads and deduces a type for every node of a
// parsed expression. It returns side tables (types and references by expression id) instead
// of mutating the AST, as cel-go's checker does.
//
// Diagnostic codes (documented in docs/cel.md):
//   E0101 undeclared reference        E0102 no matching overload
//   E0103 type mismatch               E0104 unsupported construct (protobuf messages)
//   E0105 invalid map key type        E0106 select on a non-map, non-dyn value

import SentinelBuiltins
import SentinelModel
import SentinelSyntax

/// What a name or call in the AST refers to, as decided by the checker.
public enum Reference: Sendable, Hashable {
  /// A declared variable, by its fully qualified name.
  case variable(String)
  /// A call's candidate overloads (catalog indices); one when the checker could decide.
  case overloads([Int])
  /// A type name used as a value (`int`, `google.protobuf.Timestamp`).
  case typeName(CELType)
  /// `has(a.b)` where `a.b` is a declared variable: whether it is bound (an event field present).
  case presence(String)
}

/// A side table keyed by expression id. The ids of one parse are dense (0, 1, 2, …), so it is
/// an array: no hashing on the checker's and the lowering's hot paths.
public struct ExprTable<Element: Sendable>: Sendable {
  private var slots: [Element?]

  /// An empty table with room for ids below `capacity`.
  public init(capacity: Int = 0) {
    slots = Array(repeating: nil, count: max(0, capacity))
  }

  /// The entry of `id`, or nil.
  public subscript(id: ExprID) -> Element? {
    get { id >= 0 && id < slots.count ? slots[id] : nil }
    set {
      guard id >= 0 else { return }
      if id >= slots.count {
        guard newValue != nil else { return }
        slots.append(contentsOf: repeatElement(nil, count: id - slots.count + 1))
      }
      slots[id] = newValue
    }
  }

  /// The entries, by increasing id.
  public var values: [Element] { slots.compactMap { $0 } }

  /// The ids with an entry, increasing.
  public var keys: [ExprID] { slots.indices.filter { slots[$0] != nil } }

  /// Whether the table has no entry.
  public var isEmpty: Bool { !slots.contains { $0 != nil } }

  /// The table with each entry transformed.
  public func mapValues<T>(_ transform: (Element) throws -> T) rethrows -> ExprTable<T> {
    var out = ExprTable<T>()
    out.slots = try slots.map { try $0.map(transform) }
    return out
  }
}

/// A parsed and type-checked expression.
public struct CheckedAST: Sendable {
  public let ast: AST
  /// The deduced type of each node (type variables resolved; unresolved ones are `dyn`).
  public let types: ExprTable<CELType>
  /// Name and overload resolution for identifiers, qualified selects and calls.
  public let references: ExprTable<Reference>

  /// The type of the whole expression.
  public var resultType: CELType { types[ast.root.id] ?? .dyn }
}

/// Type-checks an AST against an environment.
public struct Checker {
  public let environment: Environment

  public init(environment: Environment) {
    self.environment = environment
  }

  /// Checks the AST; returns the checked AST, or nil with the error diagnostics.
  public func check(_ ast: AST) -> (CheckedAST?, [Diagnostic]) {
    var run = CheckRun(env: environment, ast: ast)
    _ = run.visit(ast.root, scopes: [])
    if run.diagnostics.hasErrors { return (nil, run.diagnostics) }
    let subst = run.subst
    let finalTypes = run.types.mapValues { subst.apply($0, finalize: true) }
    return (CheckedAST(ast: ast, types: finalTypes, references: run.references), run.diagnostics)
  }
}

/// One checking pass over one AST.
private struct CheckRun {
  let env: Environment
  let ast: AST
  var subst = TypeSubstitution()
  var types: ExprTable<CELType>
  var references: ExprTable<Reference>
  var diagnostics: [Diagnostic] = []

  init(env: Environment, ast: AST) {
    self.env = env
    self.ast = ast
    let count = min(max(ast.maxID, 0), 1 << 20) + 1
    types = ExprTable(capacity: count)
    references = ExprTable(capacity: count)
  }

  /// Local variables bound by comprehensions, innermost last.
  typealias Scopes = [[String: CELType]]

  mutating func error(_ code: String, _ message: String, _ id: ExprID) {
    diagnostics.append(.error(code, message, at: ast.span(of: id)))
  }

  func describe(_ t: CELType) -> String { subst.apply(t, finalize: true).description }

  mutating func set(_ id: ExprID, _ t: CELType) -> CELType {
    types[id] = t
    return t
  }

  mutating func visit(_ e: Expr, scopes: Scopes) -> CELType {
    switch e.kind {
    case .literal(let v):
      return set(e.id, v.celType)

    case .ident(let name):
      if let t = lookupLocal(name, scopes) { return set(e.id, t) }
      if let (qualified, t) = lookupGlobal(name) {
        references[e.id] = .variable(qualified)
        return set(e.id, t)
      }
      if let t = lookupTypeName(name) {
        references[e.id] = .typeName(t)
        return set(e.id, .type(t))
      }
      error("E0101", "undeclared reference to `\(name)`", e.id)
      return set(e.id, .error)

    case .select(let operand, let field, let testOnly):
      // `has(event.ip)` where `event.ip` is a declared variable tests whether it is bound.
      if testOnly, let base = qualifiedName(operand), !isLocalRoot(operand, scopes),
        let (qualified, _) = lookupGlobal(base + "." + field)
      {
        references[e.id] = .presence(qualified)
        return set(e.id, .bool)
      }
      // A qualified name (`a.b.c`) that names a declared variable takes precedence.
      if !testOnly, let qname = qualifiedName(e), !isLocalRoot(e, scopes),
        let (qualified, t) = lookupGlobal(qname)
      {
        references[e.id] = .variable(qualified)
        return set(e.id, t)
      }
      if !testOnly, let qname = qualifiedName(e), !isLocalRoot(e, scopes), lookupGlobalPrefix(qname) == nil,
        let t = lookupTypeName(qname)
      {
        references[e.id] = .typeName(t)
        return set(e.id, .type(t))
      }
      let ot = visit(operand, scopes: scopes)
      let ft = fieldType(of: ot, field: field, id: e.id)
      return set(e.id, testOnly ? .bool : ft)

    case .call(let target, let function, let args):
      return visitCall(e, target: target, function: function, args: args, scopes: scopes)

    case .list(let elements, let optionalIndices):
      var elem: CELType?
      for (i, x) in elements.enumerated() {
        var t = visit(x, scopes: scopes)
        if optionalIndices.contains(i) {
          let inner = subst.fresh()
          if subst.unify(.optional(inner), t) {
            t = subst.apply(inner)
          } else {
            error("E0103", "optional list element must be an optional, found `\(describe(t))`", x.id)
          }
        }
        elem = join(elem, t)
      }
      return set(e.id, .list(elem ?? subst.fresh()))

    case .map(let entries):
      var kt: CELType?
      var vt: CELType?
      for entry in entries {
        let k = visit(entry.key, scopes: scopes)
        switch subst.apply(k) {
        case .string, .int, .uint, .bool, .dyn, .typeParam, .error: break
        default: error("E0105", "unsupported map key type `\(describe(k))`", entry.key.id)
        }
        var v = visit(entry.value, scopes: scopes)
        if entry.optional {
          let inner = subst.fresh()
          if subst.unify(.optional(inner), v) {
            v = subst.apply(inner)
          } else {
            error("E0103", "optional map entry must be an optional, found `\(describe(v))`", entry.value.id)
          }
        }
        kt = join(kt, k)
        vt = join(vt, v)
      }
      return set(e.id, .map(kt ?? subst.fresh(), vt ?? subst.fresh()))

    case .structure(let typeName, let fields):
      for f in fields { _ = visit(f.value, scopes: scopes) }
      error("E0104", "message construction `\(typeName){…}` is not supported (no protobuf messages)", e.id)
      return set(e.id, .error)

    case .comprehension(let c):
      let rangeType = subst.apply(visit(c.iterRange, scopes: scopes))
      var v1: CELType = .dyn
      var v2: CELType?
      switch rangeType {
      case .list(let el):
        if c.iterVar2 != nil {
          v1 = .int
          v2 = el
        } else {
          v1 = el
        }
      case .map(let k, let v):
        v1 = k
        if c.iterVar2 != nil { v2 = v }
      case .dyn, .error, .typeParam:
        v1 = .dyn
        if c.iterVar2 != nil { v2 = .dyn }
      default:
        error(
          "E0103", "expression of type `\(describe(rangeType))` cannot be the range of a comprehension",
          c.iterRange.id)
        if c.iterVar2 != nil { v2 = .dyn }
      }
      let accuType = visit(c.accuInit, scopes: scopes)
      var inner = scopes
      inner.append([c.accuVar: accuType])
      let condType = visit(c.loopCondition, scopes: inner + [iterScope(c, v1, v2)])
      if !subst.unify(.bool, condType) {
        error(
          "E0103", "comprehension condition must be bool, found `\(describe(condType))`", c.loopCondition.id)
      }
      let stepType = visit(c.loopStep, scopes: inner + [iterScope(c, v1, v2)])
      if !subst.unify(accuType, stepType) {
        error(
          "E0103", "comprehension step has type `\(describe(stepType))`, expected `\(describe(accuType))`",
          c.loopStep.id)
      }
      let resultType = visit(c.result, scopes: inner)
      return set(e.id, resultType)
    }
  }

  func iterScope(_ c: Comprehension, _ v1: CELType, _ v2: CELType?) -> [String: CELType] {
    var s = [c.iterVar: v1]
    if let n2 = c.iterVar2, let v2 { s[n2] = v2 }
    return s
  }

  /// Joins the element types of an aggregate literal: the more general when assignable,
  /// else `dyn` (heterogeneous literals are allowed).
  mutating func join(_ previous: CELType?, _ current: CELType) -> CELType {
    guard let previous else { return current }
    if subst.unify(previous, current) { return subst.mostGeneral(previous, current) }
    return .dyn
  }

  func lookupLocal(_ name: String, _ scopes: Scopes) -> CELType? {
    if name.hasPrefix(".") { return nil }
    for s in scopes.reversed() { if let t = s[name] { return t } }
    return nil
  }

  func lookupGlobal(_ name: String) -> (String, CELType)? {
    if env.container.isEmpty, !name.hasPrefix(".") { return env.variables[name].map { (name, $0) } }
    for candidate in env.candidateNames(name) {
      if let t = env.variables[candidate] { return (candidate, t) }
    }
    return nil
  }

  /// Whether some prefix of a dotted name is a declared variable (then the name is a select).
  func lookupGlobalPrefix(_ name: String) -> String? {
    var parts = name.split(separator: ".", omittingEmptySubsequences: false)
    while parts.count > 1 {
      parts.removeLast()
      if let (q, _) = lookupGlobal(parts.joined(separator: ".")) { return q }
    }
    return nil
  }

  func lookupTypeName(_ name: String) -> CELType? {
    for candidate in env.candidateNames(name) {
      if let t = CELType.denoted(by: candidate) { return t }
    }
    return nil
  }

  func qualifiedName(_ e: Expr) -> String? { e.qualifiedName }

  /// Whether the root identifier of a select chain is a comprehension variable.
  func isLocalRoot(_ e: Expr, _ scopes: Scopes) -> Bool {
    switch e.kind {
    case .ident(let n): return lookupLocal(n, scopes) != nil
    case .select(let operand, _, _): return isLocalRoot(operand, scopes)
    default: return false
    }
  }

  mutating func fieldType(of operandType: CELType, field: String, id: ExprID) -> CELType {
    switch subst.apply(operandType) {
    case .optional(let inner):
      // Selecting through an optional yields an optional (the optionals library's chaining).
      let t = fieldType(of: inner, field: field, id: id)
      if case .optional = subst.apply(t) { return t }
      return .optional(t)
    case .map(let k, let v):
      if !subst.unify(k, .string) {
        error("E0106", "cannot select field `\(field)` from a map with `\(describe(k))` keys", id)
        return .error
      }
      return v
    case .dyn, .error: return .dyn
    case .typeParam:
      return .dyn
    case let t where t == ScreeningFunction.matchType:
      // `screen(…)`'s result: a record with known fields (`.score`, `.id`, `.name`, …).
      if let ft = ScreeningFunction.matchFields[field] { return ft }
      error(
        "E0106",
        "type `\(describe(t))` has no field `\(field)` (fields: \(ScreeningFunction.matchFields.keys.sorted().joined(separator: ", ")))",
        id)
      return .error
    case let t:
      error("E0106", "type `\(describe(t))` has no field `\(field)`", id)
      return .error
    }
  }

  mutating func visitCall(_ e: Expr, target: Expr?, function: String, args: [Expr], scopes: Scopes) -> CELType
  {
    // A receiver call on a qualified name may be a namespaced global function (`math.greatest(…)`).
    if let target, let ns = qualifiedName(target), !isLocalRoot(target, scopes), lookupGlobal(ns) == nil,
      let candidate = env.firstCandidate(ns + "." + function, where: env.catalog.hasFunction)
    {
      let argTypes = args.map { visit($0, scopes: scopes) }
      return resolve(e, function: candidate, receiver: false, argTypes: argTypes, argIDs: args.map(\.id))
    }
    var argTypes: [CELType] = []
    var argIDs: [ExprID] = []
    if let target {
      argTypes.append(visit(target, scopes: scopes))
      argIDs.append(target.id)
    }
    for a in args {
      argTypes.append(visit(a, scopes: scopes))
      argIDs.append(a.id)
    }
    var name = function
    if target == nil, let candidate = env.firstCandidate(function, where: env.catalog.hasFunction) {
      name = candidate
    }
    return resolve(e, function: name, receiver: target != nil, argTypes: argTypes, argIDs: argIDs)
  }

  /// Overload resolution: every overload whose instantiated parameters accept the argument
  /// types matches; the result type is theirs, or dyn when matching overloads disagree.
  mutating func resolve(_ e: Expr, function: String, receiver: Bool, argTypes: [CELType], argIDs: [ExprID])
    -> CELType
  {
    let candidates = env.catalog.overloads(of: function)
    if candidates.isEmpty {
      error("E0101", "undeclared reference to function `\(function)`", e.id)
      return set(e.id, .error)
    }
    var matched: [Int] = []
    var resultType: CELType?
    var committed: TypeSubstitution?
    let overloads = env.catalog.overloads
    for i in candidates {
      // Field by field: copying a whole `Overload` retains its implementation too.
      guard overloads[i].isReceiver == receiver, overloads[i].arity == argTypes.count else { continue }
      // A parameter of another concrete kind than its argument's cannot unify: no trial needed.
      if zip(overloads[i].params, argTypes).contains(where: { TypeSubstitution.certainlyDisjoint($0.0, $0.1) }
      ) {
        continue
      }
      var trial = subst
      let (params, result) = trial.instantiate(overloads[i].params, overloads[i].result)
      if zip(params, argTypes).allSatisfy({ trial.unify($0.0, $0.1) }) {
        matched.append(i)
        let rt = trial.apply(result)
        if let prev = resultType {
          if prev != rt { resultType = .dyn }
          committed = nil
        } else {
          resultType = rt
          committed = trial
        }
      }
    }
    guard let resultType else {
      let shown = argTypes.map { describe($0) }
      let call =
        receiver && !shown.isEmpty
        ? "`\(shown[0]).\(function)(\(shown.dropFirst().joined(separator: ", ")))`"
        : "`\(function)(\(shown.joined(separator: ", ")))`"
      error("E0102", "found no matching overload for \(call)", e.id)
      return set(e.id, .error)
    }
    if let committed { subst = committed }
    references[e.id] = .overloads(matched)
    return set(e.id, resultType)
  }
}
