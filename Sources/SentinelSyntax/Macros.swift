// Macro expansion at parse time, as cel-go does it (parser/macro.go, ext/comprehensions.go,
// ext/bindings.go, cel/library.go). A call is a macro when its name, argument count and style
// (global or receiver) match one below; the expansion replaces the call, and every node it
// creates gets the span of the whole macro call.
//
//   has(e.f)                      e.f as a test-only select
//   e.all(x, p)                   accu = true;  while @not_strictly_false(accu): accu = accu && p
//   e.exists(x, p)                accu = false; while @not_strictly_false(!accu): accu = accu || p
//   e.exists_one(x, p)            accu = 0; accu = p ? accu + 1 : accu; result accu == 1
//   e.map(x, t), e.map(x, p, t)   accu = []; accu = accu + [t]  (p ? accu + [t] : accu)
//   e.filter(x, p)                accu = []; accu = p ? accu + [x] : accu
//   e.all(i, v, p), e.exists(i, v, p), e.existsOne(i, v, p), e.exists_one(i, v, p)
//                                 the same with two iteration variables
//   e.transformList(i, v, [p,] t) accu = []; accu = accu + [t]                (filtered by p)
//   e.transformMap(k, v, [p,] t)  accu = {}; accu = cel.@mapInsert(accu, k, t) (filtered by p)
//   e.transformMapEntry(k, v, [p,] m)  accu = {}; accu = cel.@mapInsert(accu, m) (filtered by p)
//   cel.bind(x, init, r)          a loop over [] with accumulator x = init and result r
//   e.optMap(x, t)                e.hasValue() ? optional.of(cel.bind(x, e.value(), t)) : optional.none()
//   e.optFlatMap(x, t)            e.hasValue() ? cel.bind(x, e.value(), t) : optional.none()
//
// The accumulator is `@result`, which no CEL identifier can spell.

import SentinelModel

extension Operators {
  /// `cel.@mapInsert(map, key, value)` and `cel.@mapInsert(map, entries)`: insert into a map,
  /// an error on a duplicate key. Used by the `transformMap` and `transformMapEntry` expansions.
  public static let mapInsert = "cel.@mapInsert"
  /// `cel.@block(bindings, result)`: the `cel.block` expansion (`enableBlockExtension`).
  public static let block = "cel.@block"
}

/// Names that macro expansions introduce.
public enum MacroNames {
  /// The accumulator variable of every comprehension a macro produces.
  public static let accumulator = "@result"
  /// The accumulator name of older CEL versions; also not allowed as an iteration variable.
  public static let legacyAccumulator = "__result__"
  /// The iteration variable of comprehensions that bind a value without iterating
  /// (`cel.bind`, `optMap`, `optFlatMap`), which loop over an empty list.
  public static let unusedIterVar = "#unused"
  /// The global function the `optMap` expansion wraps its result in.
  public static let optionalOf = "optional.of"
  /// The global function of the empty optional in `optMap`/`optFlatMap` expansions.
  public static let optionalNone = "optional.none"
}

extension ExprParser {
  /// A call node, or the expansion of the macro it invokes.
  mutating func callOrMacro(target: Expr?, function: String, args: [Expr], span: Span) -> Expr {
    if options.enableMacros,
      let expanded = expandMacro(target: target, function: function, args: args, span: span)
    {
      return expanded
    }
    return make(.call(target: target, function: function, args: args), span)
  }

  /// The expansion of a macro call (an error node after reporting bad arguments), or nil when
  /// the call is not a macro.
  mutating func expandMacro(target: Expr?, function: String, args: [Expr], span: Span) -> Expr? {
    guard let target else {
      guard function == "has" && args.count == 1 else { return nil }
      return expandHas(args[0], span)
    }
    var m = MacroBuilder(span: span)
    switch (function, args.count) {
    case ("all", 2), ("exists", 2), ("exists_one", 2):
      guard let x = iterVar(args[0], function) else { return errorNode(span) }
      return quantifier(function, target, x, nil, args[1], &m)
    case ("all", 3), ("exists", 3), ("exists_one", 3), ("existsOne", 3):
      guard let (x, y) = iterVars(args[0], args[1], function) else { return errorNode(span) }
      return quantifier(function, target, x, y, args[2], &m)
    case ("map", 2), ("map", 3):
      guard let x = iterVar(args[0], function) else { return errorNode(span) }
      let transform = m.list(&self, [args[args.count - 1]])
      var step = m.call(&self, Operators.add, [m.accu(&self), transform])
      if args.count == 3 { step = m.call(&self, Operators.conditional, [args[1], step, m.accu(&self)]) }
      return m.fold(&self, target, x, nil, m.list(&self, []), m.bool(&self, true), step, m.accu(&self))
    case ("filter", 2):
      guard let x = iterVar(args[0], function) else { return errorNode(span) }
      let element = m.list(&self, [m.ident(&self, x)])
      let append = m.call(&self, Operators.add, [m.accu(&self), element])
      let step = m.call(&self, Operators.conditional, [args[1], append, m.accu(&self)])
      return m.fold(&self, target, x, nil, m.list(&self, []), m.bool(&self, true), step, m.accu(&self))
    case ("transformList", 3), ("transformList", 4), ("transformMap", 3), ("transformMap", 4),
      ("transformMapEntry", 3), ("transformMapEntry", 4):
      guard let (x, y) = iterVars(args[0], args[1], function) else { return errorNode(span) }
      let transform = args[args.count - 1]
      var step: Expr
      let initial: Expr
      switch function {
      case "transformList":
        initial = m.list(&self, [])
        step = m.call(&self, Operators.add, [m.accu(&self), m.list(&self, [transform])])
      case "transformMap":
        initial = m.map(&self)
        step = m.call(&self, Operators.mapInsert, [m.accu(&self), m.ident(&self, x), transform])
      default:
        initial = m.map(&self)
        step = m.call(&self, Operators.mapInsert, [m.accu(&self), transform])
      }
      if args.count == 4 { step = m.call(&self, Operators.conditional, [args[2], step, m.accu(&self)]) }
      return m.fold(&self, target, x, y, initial, m.bool(&self, true), step, m.accu(&self))
    case ("bind", 3) where Self.isIdent(target, "cel"):
      guard let x = variable(args[0], "cel.bind") else { return errorNode(span) }
      return m.bind(&self, x, args[1], args[2])
    case ("optMap", 2), ("optFlatMap", 2):
      guard options.enableOptionalSyntax else { return nil }
      guard let x = variable(args[0], function) else { return errorNode(span) }
      let hasValue = m.member(&self, target, "hasValue")
      let value = m.member(&self, copyWithFreshIDs(target), "value")
      var present = m.bind(&self, x, value, args[1])
      if function == "optMap" { present = m.call(&self, MacroNames.optionalOf, [present]) }
      let absent = m.call(&self, MacroNames.optionalNone, [])
      return m.call(&self, Operators.conditional, [hasValue, present, absent])
    case ("block", 2), ("index", 1), ("iterVar", 2), ("accuVar", 2):
      guard options.enableBlockExtension && Self.isIdent(target, "cel") else { return nil }
      return expandBlockMacro(function, args, &m)
    default:
      return nil
    }
  }

  static func isIdent(_ e: Expr, _ name: String) -> Bool {
    if case .ident(let n) = e.kind { return n == name }
    return false
  }

  /// `has(e.f)`: the select marked test-only.
  mutating func expandHas(_ arg: Expr, _ span: Span) -> Expr {
    guard case .select(let operand, let field, false) = arg.kind else {
      error(
        SyntaxCode.invalidMacroArgument, "invalid argument `\(text(self.span(arg)))` to `has`",
        at: self.span(arg), help: "`has` takes a field selection such as `has(a.b)`")
      return errorNode(span)
    }
    return make(.select(operand: operand, field: field, testOnly: true), span)
  }

  /// `all`, `exists` and `exists_one`/`existsOne`, with one or two iteration variables.
  mutating func quantifier(
    _ function: String, _ range: Expr, _ x: String, _ y: String?, _ predicate: Expr, _ m: inout MacroBuilder
  ) -> Expr {
    switch function {
    case "all":
      let condition = m.call(&self, Operators.notStrictlyFalse, [m.accu(&self)])
      let step = m.call(&self, Operators.logicalAnd, [m.accu(&self), predicate])
      return m.fold(&self, range, x, y, m.bool(&self, true), condition, step, m.accu(&self))
    case "exists":
      let notAccu = m.call(&self, Operators.logicalNot, [m.accu(&self)])
      let condition = m.call(&self, Operators.notStrictlyFalse, [notAccu])
      let step = m.call(&self, Operators.logicalOr, [m.accu(&self), predicate])
      return m.fold(&self, range, x, y, m.bool(&self, false), condition, step, m.accu(&self))
    default:
      let increment = m.call(&self, Operators.add, [m.accu(&self), m.int(&self, 1)])
      let step = m.call(&self, Operators.conditional, [predicate, increment, m.accu(&self)])
      let result = m.call(&self, Operators.equals, [m.accu(&self), m.int(&self, 1)])
      return m.fold(&self, range, x, y, m.int(&self, 0), m.bool(&self, true), step, result)
    }
  }

  /// The conformance suite's `cel.block` family (cel-go's conformance harness): `cel.block(l, e)`
  /// is `cel.@block(l, e)`, `cel.index(n)` the variable `@index<n>`, `cel.iterVar(d, u)` the
  /// variable `@it:<d>:<u>` and `cel.accuVar(d, u)` the variable `@ac:<d>:<u>`.
  mutating func expandBlockMacro(_ function: String, _ args: [Expr], _ m: inout MacroBuilder) -> Expr {
    func constant(_ e: Expr) -> Int64? {
      if case .literal(.int(let v)) = e.kind, v >= 0 { return v }
      return nil
    }
    switch function {
    case "block":
      guard case .list = args[0].kind else {
        error(
          SyntaxCode.invalidMacroArgument, "`cel.block` requires a list literal as its first argument",
          at: span(args[0]))
        return errorNode(m.span)
      }
      return m.call(&self, Operators.block, args)
    case "index":
      guard let n = constant(args[0]) else {
        error(
          SyntaxCode.invalidMacroArgument, "`cel.index` requires a non-negative int constant",
          at: span(args[0]))
        return errorNode(m.span)
      }
      return m.ident(&self, "@index\(n)")
    default:
      guard let depth = constant(args[0]), let unique = constant(args[1]) else {
        error(
          SyntaxCode.invalidMacroArgument, "`cel.\(function)` requires two non-negative int constants",
          at: span(args[0]).union(span(args[1])))
        return errorNode(m.span)
      }
      return m.ident(&self, "\(function == "iterVar" ? "@it" : "@ac"):\(depth):\(unique)")
    }
  }

  /// The name of a `cel.bind`/`optMap`/`optFlatMap` variable, or nil after reporting.
  mutating func variable(_ e: Expr, _ macro: String) -> String? {
    if case .ident(let name) = e.kind, !name.hasPrefix(".") { return name }
    error(
      SyntaxCode.macroVariableNotSimple,
      "the variable of `\(macro)` must be a simple identifier, found `\(text(span(e)))`", at: span(e))
    return nil
  }

  /// The name of an iteration variable, or nil after reporting.
  mutating func iterVar(_ e: Expr, _ macro: String) -> String? {
    guard let name = variable(e, macro) else { return nil }
    guard name != MacroNames.accumulator && name != MacroNames.legacyAccumulator else {
      error(
        SyntaxCode.invalidMacroVariable,
        "iteration variable `\(name)` overwrites the accumulator variable", at: span(e))
      return nil
    }
    return name
  }

  /// The two iteration variables of a two-variable macro, or nil after reporting.
  mutating func iterVars(_ a: Expr, _ b: Expr, _ macro: String) -> (String, String)? {
    let x = iterVar(a, macro)
    let y = iterVar(b, macro)
    guard let x, let y else { return nil }
    guard x != y else {
      error(SyntaxCode.invalidMacroVariable, "duplicate variable name `\(y)` in `\(macro)`", at: span(b))
      return nil
    }
    return (x, y)
  }

  /// A copy of `e` with fresh ids (and the same spans), for expansions that use an argument twice.
  mutating func copyWithFreshIDs(_ e: Expr) -> Expr {
    let s = span(e)
    switch e.kind {
    case .literal, .ident:
      return make(e.kind, s)
    case .select(let operand, let field, let testOnly):
      return make(.select(operand: copyWithFreshIDs(operand), field: field, testOnly: testOnly), s)
    case .call(let target, let function, let args):
      let t = target.map { copyWithFreshIDs($0) }
      return make(.call(target: t, function: function, args: args.map { copyWithFreshIDs($0) }), s)
    case .list(let elements, let optionalIndices):
      return make(.list(elements: elements.map { copyWithFreshIDs($0) }, optionalIndices: optionalIndices), s)
    case .map(let entries):
      let copies = entries.map { entry in
        MapEntry(
          id: newID(spanTable[entry.id]), key: copyWithFreshIDs(entry.key),
          value: copyWithFreshIDs(entry.value), optional: entry.optional)
      }
      return make(.map(entries: copies), s)
    case .structure(let typeName, let fields):
      let copies = fields.map { field in
        StructField(
          id: newID(spanTable[field.id]), name: field.name, value: copyWithFreshIDs(field.value),
          optional: field.optional)
      }
      return make(.structure(typeName: typeName, fields: copies), s)
    case .comprehension(let c):
      let copy = Comprehension(
        iterVar: c.iterVar, iterVar2: c.iterVar2, iterRange: copyWithFreshIDs(c.iterRange),
        accuVar: c.accuVar, accuInit: copyWithFreshIDs(c.accuInit),
        loopCondition: copyWithFreshIDs(c.loopCondition), loopStep: copyWithFreshIDs(c.loopStep),
        result: copyWithFreshIDs(c.result))
      return make(.comprehension(copy), s)
    }
  }
}

/// Makes the nodes of one macro expansion, all with the span of the macro call.
struct MacroBuilder {
  let span: Span

  func accu(_ p: inout ExprParser) -> Expr { p.make(.ident(MacroNames.accumulator), span) }
  func ident(_ p: inout ExprParser, _ name: String) -> Expr { p.make(.ident(name), span) }
  func bool(_ p: inout ExprParser, _ value: Bool) -> Expr { p.make(.literal(.bool(value)), span) }
  func int(_ p: inout ExprParser, _ value: Int64) -> Expr { p.make(.literal(.int(value)), span) }
  func list(_ p: inout ExprParser, _ elements: [Expr]) -> Expr {
    p.make(.list(elements: elements, optionalIndices: []), span)
  }
  func map(_ p: inout ExprParser) -> Expr { p.make(.map(entries: []), span) }
  func call(_ p: inout ExprParser, _ function: String, _ args: [Expr]) -> Expr {
    p.make(.call(target: nil, function: function, args: args), span)
  }
  func member(_ p: inout ExprParser, _ target: Expr, _ function: String) -> Expr {
    p.make(.call(target: target, function: function, args: []), span)
  }

  /// A comprehension over `range`.
  func fold(
    _ p: inout ExprParser, _ range: Expr, _ x: String, _ y: String?, _ initial: Expr, _ condition: Expr,
    _ step: Expr, _ result: Expr
  ) -> Expr {
    let c = Comprehension(
      iterVar: x, iterVar2: y, iterRange: range, accuVar: MacroNames.accumulator, accuInit: initial,
      loopCondition: condition, loopStep: step, result: result)
    return p.make(.comprehension(c), span)
  }

  /// `cel.bind(x, initial, result)`: a loop over `[]` whose accumulator `x` starts as `initial`.
  func bind(_ p: inout ExprParser, _ x: String, _ initial: Expr, _ result: Expr) -> Expr {
    let c = Comprehension(
      iterVar: MacroNames.unusedIterVar, iterRange: list(&p, []), accuVar: x, accuInit: initial,
      loopCondition: bool(&p, false), loopStep: ident(&p, x), result: result)
    return p.make(.comprehension(c), span)
  }
}
