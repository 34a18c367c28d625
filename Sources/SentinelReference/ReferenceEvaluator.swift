// The reference evaluator: a deliberately naive tree-walking interpreter over the (checked or
// unchecked) AST, written to read like the CEL spec. It is the executable specification that the
// compiler and VM are tested against (differential tests), never the production path.

import SentinelBuiltins
import SentinelCompiler
import SentinelModel
import SentinelSyntax

/// Evaluates CEL ASTs by walking them, with dynamic overload dispatch on runtime values.
public struct ReferenceEvaluator: Sendable {
  public let environment: Environment

  public init(environment: Environment) {
    self.environment = environment
  }

  /// Evaluates a checked expression with variable bindings (by qualified name).
  public func evaluate(_ checked: CheckedAST, bindings: [String: Value]) -> Value {
    var run = EvalRun(env: environment, references: checked.references, bindings: bindings)
    return run.eval(checked.ast.root, locals: [])
  }

  /// Evaluates a checked expression and records the value of every node (the last value, for
  /// nodes inside comprehensions): what `sentinel explain` shows.
  public func evaluateTraced(_ checked: CheckedAST, bindings: [String: Value]) -> (Value, [ExprID: Value]) {
    var run = EvalRun(env: environment, references: checked.references, bindings: bindings)
    run.trace = [:]
    let v = run.eval(checked.ast.root, locals: [])
    return (v, run.trace ?? [:])
  }

  /// Evaluates an unchecked expression (names resolved at run time).
  public func evaluate(_ ast: AST, bindings: [String: Value]) -> Value {
    var run = EvalRun(env: environment, references: ExprTable(), bindings: bindings)
    return run.eval(ast.root, locals: [])
  }
}

private struct EvalRun {
  let env: Environment
  let references: ExprTable<Reference>
  let bindings: [String: Value]
  /// When non-nil, the value of every evaluated node by id.
  var trace: [ExprID: Value]?

  init(env: Environment, references: ExprTable<Reference>, bindings: [String: Value]) {
    self.env = env
    self.references = references
    self.bindings = bindings
  }

  typealias Locals = [(String, Value)]

  func lookupLocal(_ name: String, _ locals: Locals) -> Value? {
    if name.hasPrefix(".") { return nil }
    for (n, v) in locals.reversed() where n == name { return v }
    return nil
  }

  func lookupGlobal(_ name: String) -> Value? {
    for c in env.candidateNames(name) {
      if let v = bindings[c] { return v }
    }
    return nil
  }

  func qualifiedName(_ e: Expr) -> String? { e.qualifiedName }

  func rootIsLocal(_ e: Expr, _ locals: Locals) -> Bool {
    switch e.kind {
    case .ident(let n): return lookupLocal(n, locals) != nil
    case .select(let o, _, _): return rootIsLocal(o, locals)
    default: return false
    }
  }

  mutating func eval(_ e: Expr, locals: Locals) -> Value {
    let v = evalNode(e, locals: locals)
    if trace != nil { trace?[e.id] = v }
    return v
  }

  mutating func evalNode(_ e: Expr, locals: Locals) -> Value {
    switch e.kind {
    case .literal(let v):
      return v

    case .ident(let name):
      if let v = lookupLocal(name, locals) { return v }
      if case .typeName(let t)? = references[e.id] { return .type(t) }
      if case .variable(let q)? = references[e.id] {
        return bindings[q] ?? .error(CELError(.unboundVariable, "no value bound for variable `\(q)`"))
      }
      if let v = lookupGlobal(name) { return v }
      for c in env.candidateNames(name) {
        if let t = CELType.denoted(by: c) { return .type(t) }
      }
      return .error(CELError(.unboundVariable, "undeclared reference to `\(name)`"))

    case .select(let operand, let field, let testOnly):
      if case .presence(let q)? = references[e.id] { return .bool(bindings[q] != nil) }
      if case .variable(let q)? = references[e.id] {
        return bindings[q] ?? .error(CELError(.unboundVariable, "no value bound for variable `\(q)`"))
      }
      if case .typeName(let t)? = references[e.id] { return .type(t) }
      if references.isEmpty, !testOnly, !rootIsLocal(e, locals), let q = qualifiedName(e) {
        if let v = lookupGlobal(q) { return v }
        if let t = env.candidateNames(q).lazy.compactMap({ CELType.denoted(by: $0) }).first {
          return .type(t)
        }
      }
      let target = eval(operand, locals: locals)
      return select(target, field, testOnly: testOnly)

    case .call(let target, let function, let args):
      return call(e, target: target, function: function, args: args, locals: locals)

    case .list(let elements, let optionalIndices):
      var out: [Value] = []
      out.reserveCapacity(elements.count)
      for (i, x) in elements.enumerated() {
        let v = eval(x, locals: locals)
        if v.isError { return v }
        if optionalIndices.contains(i) {
          guard case .optional(let inner) = v else {
            return .error(CELError(.invalidArgument, "optional list element is not an optional value"))
          }
          if let inner { out.append(inner) }
        } else {
          out.append(v)
        }
      }
      return .list(out)

    case .map(let entries):
      var m = MapValue()
      for entry in entries {
        let k = eval(entry.key, locals: locals)
        if k.isError { return k }
        var v = eval(entry.value, locals: locals)
        if v.isError { return v }
        guard MapKey(k) != nil else {
          return .error(CELError(.invalidArgument, "unsupported map key type `\(k.typeName)`"))
        }
        if entry.optional {
          guard case .optional(let inner) = v else {
            return .error(CELError(.invalidArgument, "optional map entry is not an optional value"))
          }
          guard let inner else { continue }
          v = inner
        }
        if !m.insert(k, v) {
          return .error(CELError(.duplicateKey, "duplicate map key \(k)"))
        }
      }
      return .map(m)

    case .structure(let typeName, _):
      return .error(CELError(.other, "message construction `\(typeName)` is not supported"))

    case .comprehension(let c):
      let range = eval(c.iterRange, locals: locals)
      var accu = eval(c.accuInit, locals: locals)
      var items: [(Value, Value?)] = []
      switch range {
      case .error: return range
      case .list(let xs):
        for (i, x) in xs.enumerated() { items.append(c.iterVar2 == nil ? (x, nil) : (.int(Int64(i)), x)) }
      case .map(let m):
        for (k, v) in m.entries { items.append((k, c.iterVar2 == nil ? nil : v)) }
      default:
        return .error(.noOverload("comprehension range", [range]))
      }
      for (a, b) in items {
        var scope = locals
        scope.append((c.accuVar, accu))
        scope.append((c.iterVar, a))
        if let n2 = c.iterVar2, let b { scope.append((n2, b)) }
        let cond = eval(c.loopCondition, locals: scope)
        if case .bool(false) = cond { break }
        accu = eval(c.loopStep, locals: scope)
      }
      var scope = locals
      scope.append((c.accuVar, accu))
      return eval(c.result, locals: scope)
    }
  }

  func select(_ target: Value, _ field: String, testOnly: Bool) -> Value {
    switch target {
    case .error: return target
    case .map(let m):
      let v = m[string: field]
      if testOnly { return .bool(v != nil) }
      return v ?? .error(CELError(.noSuchKey, "no such key: \(field)"))
    case .optional(let inner):
      // `opt.field` on an optional map behaves like `opt.?field` (optionals library).
      guard let inner else { return testOnly ? .bool(false) : .optional(nil) }
      let v = select(inner, field, testOnly: testOnly)
      if testOnly { return v }
      if case .error(let err) = v, err.kind == .noSuchKey { return .optional(nil) }
      return v.isError ? v : .optional(v)
    default:
      return .error(CELError(.noSuchField, "type `\(target.typeName)` has no field `\(field)`"))
    }
  }

  mutating func call(_ e: Expr, target: Expr?, function: String, args: [Expr], locals: Locals) -> Value {
    switch (function, target) {
    case (Operators.logicalAnd, nil) where args.count == 2:
      return logical(args, locals: locals, absorbing: false)
    case (Operators.logicalOr, nil) where args.count == 2:
      return logical(args, locals: locals, absorbing: true)
    case (Operators.conditional, nil) where args.count == 3:
      let c = eval(args[0], locals: locals)
      switch c {
      case .bool(true): return eval(args[1], locals: locals)
      case .bool(false): return eval(args[2], locals: locals)
      case .error: return c
      default: return .error(.noOverload(function, [c]))
      }
    case (Operators.notStrictlyFalse, nil) where args.count == 1:
      let v = eval(args[0], locals: locals)
      if case .bool(false) = v { return .bool(false) }
      return .bool(true)
    case (Operators.optionalSelect, nil) where args.count == 2:
      let t = eval(args[0], locals: locals)
      guard case .literal(.string(let field)) = args[1].kind else {
        return .error(CELError(.invalidArgument, "optional select needs a field name"))
      }
      return optionalSelect(t, field)
    default:
      break
    }
    // A namespaced global function written as a receiver call (`math.greatest(…)`).
    if let target, let ns = qualifiedName(target), !rootIsLocal(target, locals), lookupGlobal(ns) == nil {
      for candidate in env.candidateNames(ns + "." + function) where env.catalog.hasFunction(candidate) {
        let values = args.map { eval($0, locals: locals) }
        return env.catalog.dispatch(candidate, receiver: false, values)
      }
    }
    var values: [Value] = []
    if let target { values.append(eval(target, locals: locals)) }
    for a in args { values.append(eval(a, locals: locals)) }
    var name = function
    if target == nil {
      for candidate in env.candidateNames(function) where env.catalog.hasFunction(candidate) {
        name = candidate
        break
      }
    }
    return env.catalog.dispatch(name, receiver: target != nil, values)
  }

  /// `&&` (absorbing = false) and `||` (absorbing = true), commutative over errors: the
  /// absorbing value on either side wins; otherwise the first error; otherwise the identity.
  mutating func logical(_ args: [Expr], locals: Locals, absorbing: Bool) -> Value {
    let a = eval(args[0], locals: locals)
    if case .bool(let x) = a, x == absorbing { return a }
    let b = eval(args[1], locals: locals)
    if case .bool(let y) = b, y == absorbing { return b }
    let name = absorbing ? Operators.logicalOr : Operators.logicalAnd
    switch (a, b) {
    case (.bool, .bool): return .bool(!absorbing)
    case (.error, _): return a
    case (_, .error): return b
    case (.bool, _): return .error(.noOverload(name, [a, b]))
    default: return .error(.noOverload(name, [a, b]))
    }
  }

  func optionalSelect(_ target: Value, _ field: String) -> Value {
    switch target {
    case .error: return target
    case .optional(let inner):
      guard let inner else { return .optional(nil) }
      return optionalSelect(inner, field)
    case .map(let m):
      return .optional(m[string: field])
    default:
      return .error(CELError(.noSuchField, "type `\(target.typeName)` has no field `\(field)`"))
    }
  }
}
