// Lowering: checked (or unchecked) AST → IR. Names are resolved here, once: declared variables
// become `variable` nodes, comprehension variables `local` nodes, type names constants; calls
// whose overload the checker fixed, and whose arguments' static types make a runtime type test
// unnecessary, become static `call`s — everything else `callDynamic`.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelSyntax

/// Lowers ASTs into the IR.
public struct Lowering {
  let env: Environment
  let checked: CheckedAST?

  public init(environment: Environment, checked: CheckedAST?) {
    self.env = environment
    self.checked = checked
  }

  /// Lowers a whole expression into a fresh IR function.
  public func lower(_ ast: AST) -> IRFunction {
    var state = LoweringState(env: env, checked: checked, ast: ast)
    let root = state.lower(ast.root, scopes: [])
    state.ir.root = root
    return state.ir
  }

  /// Lowers several checked expressions (a rule set's conditions) into one IR function with
  /// one root per expression; equal subexpressions across them are one node (hash-consing).
  public static func lowerRules(_ rules: [CheckedAST], environment: Environment) -> IRFunction {
    var ir = IRFunction()
    var roots: [IRNodeID] = []
    for checked in rules {
      var state = LoweringState(env: environment, checked: checked, ast: checked.ast)
      state.ir = ir
      // NOTE: drop this reference so `state.ir` is uniquely referenced and grows in place; with
      // both alive, each rule's first node copied the whole arena and its hash-cons table —
      // quadratic: 10,000 generated rules took 2.5–4.5 s to check instead of well under one.
      ir = IRFunction()
      roots.append(state.lower(checked.ast.root, scopes: []))
      ir = state.ir
    }
    ir.ruleRoots = roots
    ir.root = roots.first ?? 0
    return ir
  }
}

private struct LoweringState {
  let env: Environment
  var checked: CheckedAST?
  var ast: AST
  var ir = IRFunction()
  /// Definitions being inlined (cycle guard; the checker rejects cycles first).
  var inlining: Set<String> = []

  init(env: Environment, checked: CheckedAST?, ast: AST) {
    self.env = env
    self.checked = checked
    self.ast = ast
  }

  typealias Scopes = [[String: LocalID]]

  func type(_ e: Expr) -> CELType { checked?.types[e.id] ?? .dyn }
  func span(_ e: Expr) -> Span { ast.span(of: e.id) }

  func local(_ name: String, _ scopes: Scopes) -> LocalID? {
    if name.hasPrefix(".") { return nil }
    for s in scopes.reversed() { if let l = s[name] { return l } }
    return nil
  }

  func global(_ name: String) -> String? {
    env.firstCandidate(name) { env.variables[$0] != nil }
  }

  func qualifiedName(_ e: Expr) -> String? { e.qualifiedName }

  func rootIsLocal(_ e: Expr, _ scopes: Scopes) -> Bool {
    switch e.kind {
    case .ident(let n): return local(n, scopes) != nil
    case .select(let o, _, _): return rootIsLocal(o, scopes)
    default: return false
    }
  }

  /// A declared variable: a constant for a list, the inlined expression for a definition,
  /// else a variable read.
  mutating func variable(_ q: String, _ e: Expr) -> IRNodeID {
    // A run-time list is read from its slot, never folded into a constant.
    if let element = env.runtimeLists[q] { return ir.add(.variable(q), type: .list(element), span: span(e)) }
    if let v = env.constants[q] { return ir.constant(v, span: span(e)) }
    if let def = env.definitions[q], !inlining.contains(q) {
      let saved = (ast, checked)
      ast = def.ast
      checked = def
      inlining.insert(q)
      let id = lower(def.ast.root, scopes: [])
      inlining.remove(q)
      (ast, checked) = saved
      return id
    }
    return ir.add(.variable(q), type: type(e), span: span(e))
  }

  mutating func errorConstant(_ message: String, _ e: Expr) -> IRNodeID {
    ir.constant(.error(CELError(.unboundVariable, message)), span: span(e))
  }

  mutating func lower(_ e: Expr, scopes: Scopes) -> IRNodeID {
    switch e.kind {
    case .literal(let v):
      return ir.constant(v, span: span(e))

    case .ident(let name):
      if let l = local(name, scopes) { return ir.add(.local(l), type: type(e), span: span(e)) }
      if case .variable(let q)? = checked?.references[e.id] {
        return variable(q, e)
      }
      if case .typeName(let t)? = checked?.references[e.id] { return ir.constant(.type(t), span: span(e)) }
      if let q = global(name) { return ir.add(.variable(q), type: env.variables[q] ?? .dyn, span: span(e)) }
      for c in env.candidateNames(name) {
        if let t = CELType.denoted(by: c) { return ir.constant(.type(t), span: span(e)) }
      }
      return errorConstant("undeclared reference to `\(name)`", e)

    case .select(let operand, let field, let testOnly):
      if case .variable(let q)? = checked?.references[e.id] {
        return variable(q, e)
      }
      if case .presence(let q)? = checked?.references[e.id] {
        return ir.add(.present(q), type: .bool, span: span(e))
      }
      if case .typeName(let t)? = checked?.references[e.id] { return ir.constant(.type(t), span: span(e)) }
      if checked == nil, !testOnly, !rootIsLocal(e, scopes), let qn = qualifiedName(e), global(qn) == nil,
        let t = env.candidateNames(qn).lazy.compactMap({ CELType.denoted(by: $0) }).first
      {
        return ir.constant(.type(t), span: span(e))
      }
      if checked == nil, !testOnly, !rootIsLocal(e, scopes), let qn = qualifiedName(e), let q = global(qn) {
        return ir.add(.variable(q), type: env.variables[q] ?? .dyn, span: span(e))
      }
      let x = lower(operand, scopes: scopes)
      if testOnly { return ir.add(.hasField(x, field: field), type: .bool, span: span(e)) }
      return ir.add(.select(x, field: field), type: type(e), span: span(e))

    case .call(let target, let function, let args):
      return lowerCall(e, target: target, function: function, args: args, scopes: scopes)

    case .list(let elements, let optionalIndices):
      let xs = elements.map { lower($0, scopes: scopes) }
      let opt = elements.indices.map { optionalIndices.contains($0) }
      return ir.add(.list(elements: xs, optional: opt), type: type(e), span: span(e))

    case .map(let entries):
      let ks = entries.map { lower($0.key, scopes: scopes) }
      let vs = entries.map { lower($0.value, scopes: scopes) }
      return ir.add(
        .map(keys: ks, values: vs, optional: entries.map(\.optional)), type: type(e), span: span(e))

    case .structure(let typeName, _):
      return ir.constant(
        .error(CELError(.other, "message construction `\(typeName)` is not supported")), span: span(e))

    case .comprehension(let c):
      let range = lower(c.iterRange, scopes: scopes)
      let accuInit = lower(c.accuInit, scopes: scopes)
      let iterVar = ir.newLocal()
      let iterVar2 = c.iterVar2.map { _ in ir.newLocal() }
      let accuVar = ir.newLocal()
      var withAccu = scopes
      withAccu.append([c.accuVar: accuVar])
      var loopScope = [c.iterVar: iterVar]
      if let n2 = c.iterVar2, let l2 = iterVar2 { loopScope[n2] = l2 }
      let condition = lower(c.loopCondition, scopes: withAccu + [loopScope])
      let step = lower(c.loopStep, scopes: withAccu + [loopScope])
      let result = lower(c.result, scopes: withAccu)
      let comp = IRComprehension(
        iterVar: iterVar, iterVar2: iterVar2, range: range, accuVar: accuVar, accuInit: accuInit,
        condition: condition, step: step, result: result)
      return ir.add(.comprehension(comp), type: type(e), span: span(e))
    }
  }

  mutating func lowerCall(_ e: Expr, target: Expr?, function: String, args: [Expr], scopes: Scopes)
    -> IRNodeID
  {
    switch (function, target, args.count) {
    case (Operators.logicalAnd, nil, 2):
      let a = lower(args[0], scopes: scopes)
      let b = lower(args[1], scopes: scopes)
      return ir.add(.and(a, b), type: .bool, span: span(e))
    case (Operators.logicalOr, nil, 2):
      let a = lower(args[0], scopes: scopes)
      let b = lower(args[1], scopes: scopes)
      return ir.add(.or(a, b), type: .bool, span: span(e))
    case (Operators.conditional, nil, 3):
      let xs = args.map { lower($0, scopes: scopes) }
      return ir.add(.conditional(xs[0], xs[1], xs[2]), type: type(e), span: span(e))
    case (Operators.notStrictlyFalse, nil, 1):
      let x = lower(args[0], scopes: scopes)
      return ir.add(.notStrictlyFalse(x), type: .bool, span: span(e))
    case (Operators.optionalSelect, nil, 2):
      if case .literal(.string(let field)) = args[1].kind {
        let x = lower(args[0], scopes: scopes)
        return ir.add(.optionalSelect(x, field: field), type: type(e), span: span(e))
      }
    default: break
    }
    // A namespaced function written as a receiver call (`math.greatest(…)`).
    var name = function
    var receiver = target != nil
    var operands: [Expr] = []
    if let target, let ns = qualifiedName(target), !rootIsLocal(target, scopes), global(ns) == nil,
      let q = env.firstCandidate(ns + "." + function, where: env.catalog.hasFunction)
    {
      name = q
      receiver = false
      operands = args
    } else {
      if let target { operands.append(target) }
      operands.append(contentsOf: args)
      if target == nil, let q = env.firstCandidate(function, where: env.catalog.hasFunction) {
        name = q
      }
    }
    let lowered = operands.map { lower($0, scopes: scopes) }
    if case .overloads(let candidates)? = checked?.references[e.id], candidates.count == 1,
      isStaticallySafe(candidates[0], operands)
    {
      if let set = runtimeListSet(candidates[0], lowered) {
        return ir.add(.call(overload: set.inMap, args: [lowered[0], set.slot]), type: type(e), span: span(e))
      }
      return ir.add(.call(overload: candidates[0], args: lowered), type: type(e), span: span(e))
    }
    // No overload of this name, call style and arity exists: the call can only fail at run
    // time (unchecked expressions reach here), and CEL calls have no side effects.
    let arity = lowered.count
    let exists = env.catalog.overloads(of: name).contains {
      env.catalog.overloads[$0].isReceiver == receiver && env.catalog.overloads[$0].arity == arity
    }
    if !exists {
      let what = env.catalog.hasFunction(name) ? "no matching overload for" : "unbound function"
      return ir.constant(.error(CELError(.noMatchingOverload, "\(what) `\(name)`")), span: span(e))
    }
    return ir.add(
      .callDynamic(function: name, receiver: receiver, args: lowered), type: type(e), span: span(e))
  }

  /// For `x in name` with `name` a run-time list (`in_list` on its slot): `in_map` and a read of
  /// the list's set slot, so that membership is one hash lookup whatever the list's size. Sound
  /// for the element types a run-time list may have (string, int, uint): map-key lookup agrees
  /// with list membership by CEL equality on every `x`, as in `ListsToSets`; calls are strict,
  /// so an error `x` is the result either way.
  mutating func runtimeListSet(_ overload: Int, _ args: [IRNodeID]) -> (inMap: Int, slot: IRNodeID)? {
    guard args.count == 2, env.catalog.overloads[overload].id == "in_list",
      case .variable(let q) = ir.nodes[args[1]], let element = env.runtimeLists[q],
      let inMap = env.catalog.index(ofID: "in_map")
    else { return nil }
    let slot = ir.add(
      .variable(BundleRuntimeList.setSlot(of: q)), type: .map(element, .bool), span: ir.spans[args[1]])
    return (inMap, slot)
  }

  /// A static call is safe when no argument's static type is less precise than the parameter
  /// it meets: a `dyn` argument for an `int` parameter still needs a runtime type test.
  func isStaticallySafe(_ overload: Int, _ operands: [Expr]) -> Bool {
    // Only the parameters: copying a whole `Overload` retains its implementation too.
    let params = env.catalog.overloads[overload].params
    for (p, a) in zip(params, operands) where !Self.covers(p, type(a)) { return false }
    return true
  }

  /// Whether every value of static type `arg` is accepted by parameter type `param`.
  static func covers(_ param: CELType, _ arg: CELType) -> Bool {
    switch param {
    case .dyn, .typeParam: return true
    case .list: if case .list = arg { return true }
    case .map: if case .map = arg { return true }
    case .optional: if case .optional = arg { return true }
    case .type: if case .type = arg { return true }
    default: return param == arg
    }
    return false
  }
}
