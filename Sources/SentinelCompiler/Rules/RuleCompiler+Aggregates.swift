// Aggregates in the rule compiler: declarations → `AggregateSpec`s, their variables in the
// rules' environment, and the state program.
//
// An aggregate's `key`, `where` and `of` are CEL expressions over the event (and lists); they
// may not read named conditions or other aggregates (an aggregate is updated from the event
// alone). The state program computes, for aggregate `i`, its key (result `3i`), its filter
// (`3i + 1`, `true` when there is no `where`) and its `of` value (`3i + 2`, `null` for count).
// Both programs of a bundle share one variable table, so one slot buffer serves both.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelSyntax

/// One compiled aggregate: its spec and its checked expressions.
public struct CompiledAggregate: Sendable {
  public var spec: AggregateSpec
  /// What the aggregate is kept per (`key:`).
  public var key: CheckedAST
  /// Which events it records (`where:`; the constant `true` when not written).
  public var filter: CheckedAST
  /// What it records (`of:`; the constant `null` for `count`).
  public var value: CheckedAST
  /// The declaring file (index into the compilation's files) and the name's span.
  public var file: Int
  public var span: Span
}

extension RuleCompilerRun {
  /// The qualified name of the event-time field aggregates use.
  static let timeField = "ts"

  /// Checks aggregate declarations against the event variables and lists.
  mutating func compileAggregates(
    _ decls: [(Int, AggregateDecl)], schema: EventSchema, variables: [String: CELType],
    constants: [String: Value], names: inout [String: (Int, Span)]
  ) -> [CompiledAggregate] {
    guard !decls.isEmpty else { return [] }
    let timeSlot = schema.fields.first { $0.name == Self.timeField }
    if timeSlot?.type != .timestamp || timeSlot?.optional != false {
      let (i, a) = decls[0]
      error(
        i, RuleCode.aggregateNeedsTime,
        "aggregates need a required `\(Self.timeField): timestamp` field in the schema (their event time)",
        a.name.span, help: "declare `\(Self.timeField): timestamp` in the schema")
    }
    let env = Environment(
      variables: variables, catalog: catalog, constants: constants, runtimeLists: runtimeListTypes)
    var out: [CompiledAggregate] = []
    for (i, a) in decls {
      let name = a.name.value
      if let previous = names[name] {
        error(
          i, RuleCode.duplicateName, "`\(name)` is already declared", a.name.span,
          help: previous.1 == .none ? "`\(name)` is the event variable" : nil)
        continue
      }
      names[name] = (i, a.name.span)
      guard let kind = a.kind?.value else {
        error(
          i, RuleCode.aggregateWithoutKind, "aggregate `\(name)` has no `kind`", a.name.span,
          help: "add `kind: " + AggregateKind.allCases.map(\.rawValue).joined(separator: "|") + "`")
        continue
      }
      guard let keyDecl = a.key else {
        error(
          i, RuleCode.aggregateWithoutKey, "aggregate `\(name)` has no `key`", a.name.span,
          help: "say what it is kept per, e.g. `key: event.user_id`")
        continue
      }
      var ok = true
      let key = check(keyDecl, env: env, file: i)
      if key == nil { ok = false }
      var filter: CheckedAST?
      if let w = a.filter {
        filter = check(w, env: env, file: i)
        if let f = filter, f.resultType != .bool && f.resultType != .dyn {
          error(
            i, RuleCode.aggregateType,
            "`where` of aggregate `\(name)` has type `\(f.resultType)`, not `bool`",
            w.span)
          ok = false
        }
        if filter == nil { ok = false }
      } else {
        filter = Self.literal("true", env: env)
      }
      var value: CheckedAST?
      switch (kind.needsValue, a.of) {
      case (true, nil):
        error(
          i, RuleCode.aggregateValue, "aggregate `\(name)` of kind `\(kind.rawValue)` needs `of`",
          a.name.span,
          help: "say what it aggregates, e.g. `of: event.amount`")
        ok = false
      case (false, let of?):
        error(
          i, RuleCode.aggregateValue, "a `count` aggregate takes no `of`", of.span,
          help: "use `kind: distinct` to count distinct values")
        ok = false
      case (true, let of?):
        value = check(of, env: env, file: i)
        if value == nil { ok = false }
        if let v = value, kind == .sum || kind == .stats {
          switch v.resultType {
          case .int, .double, .dyn: break
          case let t:
            error(
              i, RuleCode.aggregateType,
              "`of` of aggregate `\(name)` has type `\(t)`; `\(kind.rawValue)` needs an int or a double",
              of.span)
            ok = false
          }
        }
      case (false, nil):
        value = Self.literal("null", env: env)
      }
      guard ok, let key, let filter, let value else { continue }
      var valueType: CELType? = kind.needsValue ? value.resultType : nil
      if kind == .stats { valueType = .double }
      let spec = AggregateSpec(
        name: name, kind: kind, windowNanos: a.window?.value, includeCurrent: a.includeCurrent?.value,
        valueType: valueType)
      out.append(
        CompiledAggregate(spec: spec, key: key, filter: filter, value: value, file: i, span: a.name.span))
    }
    return out
  }

  /// Checks one aggregate expression; diagnostics go to the file.
  mutating func check(_ e: EmbeddedExpression, env: Environment, file: Int) -> CheckedAST? {
    let (checked, ds) = Checker(environment: env).check(e.ast)
    for d in ds { diagnostics.append(SourcedDiagnostic(files[file].source, d)) }
    return checked
  }

  /// A checked constant expression (`true`, `null`) for a filter or value that is not written.
  static func literal(_ text: String, env: Environment) -> CheckedAST? {
    guard case (let ast?, _) = CELParser.parse(Source(name: "<aggregate>", text: text)) else { return nil }
    return Checker(environment: env).check(ast).0
  }

  /// For each rule, the indices of the aggregates its condition and its reason's placeholders
  /// read (through named conditions too); `placeholders[k]`: rule `k`'s, when given.
  static func aggregateReads(
    _ rules: [CompiledRule], _ aggregates: [CompiledAggregate], definitions: [String: CheckedAST],
    placeholders: [[CheckedAST]] = []
  ) -> [[Int]] {
    // Without aggregates no rule reads one: skip walking every rule's references.
    guard !aggregates.isEmpty else { return Array(repeating: [], count: rules.count) }
    var owner: [String: Int] = [:]
    for (k, a) in aggregates.enumerated() { for v in a.spec.variables { owner[v.name] = k } }
    return rules.enumerated().map { k, rule in
      var reads = Set<Int>()
      var seen = Set<String>()
      var pending = [rule.checked] + (k < placeholders.count ? placeholders[k] : [])
      while let c = pending.popLast() {
        for ref in c.references.values {
          let q: String
          switch ref {
          case .variable(let n), .presence(let n): q = n
          default: continue
          }
          if let k = owner[q] { reads.insert(k) }
          if seen.insert(q).inserted, let d = definitions[q] { pending.append(d) }
        }
      }
      return reads.sorted()
    }
  }

  /// Every variable an IR reads, in first-appearance order.
  static func variablesRead(_ ir: IRFunction) -> [String] {
    var out: [String] = []
    var seen = Set<String>()
    for n in ir.nodes {
      switch n {
      case .variable(let q), .present(let q):
        if seen.insert(q).inserted { out.append(q) }
      default: break
      }
    }
    return out
  }

  /// The state program: key, filter and value of every aggregate.
  static func stateIR(
    _ aggregates: [CompiledAggregate], env: Environment, optimize: Bool, disabled: Set<String> = []
  ) -> IRFunction {
    let exprs = aggregates.flatMap { [$0.key, $0.filter, $0.value] }
    var ir = Lowering.lowerRules(exprs, environment: env)
    if optimize {
      ir = Passes.run(
        ir, passes: Passes.statePipeline, context: PassContext(catalog: env.catalog), disabled: disabled)
    }
    return ir
  }
}
