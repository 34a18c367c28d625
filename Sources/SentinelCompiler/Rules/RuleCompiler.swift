// The rule compiler: rule files (DSL or YAML, already parsed) → one checked, optimized,
// verified-ready bundle. Stages, in order:
//
//   1. collect declarations across files (one schema — or the reference schema —, one policy)
//   2. schema → `EventSchema` (its slots become the qualified variables `event.amount`, …)
//   3. lists → constants (inline, or read from files at compile time)
//   4. named conditions → checked definitions, in dependency order (cycles are errors)
//   5. rules → checked conditions (must be bool), warnings (unused, never matches, unguarded)
//   6. lower all rule conditions into ONE IR (hash-consed across rules), optimize, codegen
//   7. the bundle: program, rule table, policy, schema, source files

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelScreening
import SentinelSyntax

/// Options for compiling a rule set.
public struct RuleCompileOptions: Sendable {
  /// Run the IR optimization passes.
  public var optimize = true
  /// Passes not to run (by name: `Passes.names`), for ablations (`--disable-pass NAME`).
  public var disabledPasses: Set<String> = []
  /// Measured selectivities for short-circuit ordering (`sentinel compile --profile`).
  public var profile: SelectivityProfile?
  /// The rule pipeline (tests substitute a deliberately broken pass to show validation finds it).
  public var passes: [Passes.Pass] = Passes.rulePipeline
  /// The compiler version recorded in bundles.
  public var compilerVersion = SentinelVersion.compiler
  /// Whether the bundle names each aggregate's demand (`Bundle.aggregateDemands`), so that the
  /// runtime reads an aggregate only for events some rule that reads it can match
  /// (RuleCompiler+Demand.swift); false: every aggregate is read for every event.
  public var readsOnDemand = true
  public init() {}
}

/// The version of this compiler, recorded in every bundle.
public enum SentinelVersion {
  public static let compiler = "sentinel 0.1.0"
}

/// One compiled rule: its table entry and its checked condition.
public struct CompiledRule: Sendable {
  public var entry: RuleEntry
  public var checked: CheckedAST
  /// Index of the rule's file in the compilation's sources.
  public var fileIndex: Int
}

/// Everything the rule compiler produced.
public struct RuleSetCompilation: Sendable {
  public var bundle: Bundle
  public var rules: [CompiledRule]
  public var environment: Environment
  public var schema: EventSchema
  public var ir: IRFunction
  /// The rule program's IR before the passes (`--stats`, `--dump-ir=PASS` replay them on it).
  public var loweredIR: IRFunction
  /// What the passes were given (the catalog, the profile, the event-type variable).
  public var passContext: PassContext
  /// Named conditions' checked expressions and lists' values (for explanations).
  public var definitions: [String: CheckedAST]
  public var constants: [String: Value]
  /// The aggregates, in bundle order (`bundle.aggregates`).
  public var aggregates: [CompiledAggregate] = []
  /// Warnings (errors make compilation fail).
  public var diagnostics: [SourcedDiagnostic]
}

/// Compiles parsed rule files into a bundle.
public enum RuleCompiler {
  public static func compile(
    _ files: [RuleFile], options: RuleCompileOptions = RuleCompileOptions()
  ) -> (RuleSetCompilation?, [SourcedDiagnostic]) {
    var run = RuleCompilerRun(files: files, options: options)
    let result = run.compile()
    return (run.diagnostics.hasErrors ? nil : result, run.diagnostics.sortedForDisplay)
  }
}

struct RuleCompilerRun {
  let files: [RuleFile]
  let options: RuleCompileOptions
  var diagnostics: [SourcedDiagnostic] = []
  /// The screening lists declared so far (`format screening`), in declaration order.
  var screeningLists: [ScreeningListHandle] = []
  /// The functions conditions may call: every builtin, and `screen` bound to the screening lists.
  var catalog = Builtins.all
  /// The lists declared `runtime list`, by name: element type (for `Environment.runtimeLists`).
  var runtimeListTypes: [String: CELType] = [:]
  /// The same lists with their defaults, in declaration order (the bundle's section 10).
  var runtimeLists: [BundleRuntimeList] = []

  init(files: [RuleFile], options: RuleCompileOptions) {
    self.files = files
    self.options = options
  }

  mutating func error(_ file: Int, _ code: String, _ message: String, _ span: Span, help: String? = nil) {
    diagnostics.append(SourcedDiagnostic(files[file].source, .error(code, message, at: span, help: help)))
  }

  mutating func warning(_ file: Int, _ code: String, _ message: String, _ span: Span, help: String? = nil) {
    diagnostics.append(
      SourcedDiagnostic(files[file].source, Diagnostic(.warning, code, message, at: span, help: help)))
  }

  mutating func compile() -> RuleSetCompilation? {
    // 1. Collect.
    var schemas: [(Int, SchemaDecl)] = []
    var lists: [(Int, ListDecl)] = []
    var conditions: [(Int, ConditionDecl)] = []
    var rules: [(Int, RuleDecl)] = []
    var policies: [(Int, PolicyDecl)] = []
    var aggregates: [(Int, AggregateDecl)] = []
    for (i, f) in files.enumerated() {
      for d in f.declarations {
        switch d {
        case .schema(let s): schemas.append((i, s))
        case .list(let l): lists.append((i, l))
        case .condition(let c): conditions.append((i, c))
        case .rule(let r): rules.append((i, r))
        case .policy(let p): policies.append((i, p))
        case .aggregate(let a): aggregates.append((i, a))
        }
      }
    }
    for (i, s) in schemas.dropFirst() {
      error(i, RuleCode.duplicateSchema, "a rule set has one schema; this is a second", s.name.span)
    }
    for (i, p) in policies.dropFirst() {
      error(i, RuleCode.invalidPolicy, "a rule set has one policy; this is a second", p.span)
    }

    // 2. Schema.
    let schema = schemas.first.map { compileSchema($0.1, file: $0.0) } ?? EventSchema.reference
    var variables = schema.variableTypes
    var names: [String: (Int, Span)] = [schema.variable: (0, .none)]

    // 3. Lists.
    var constants: [String: Value] = [:]
    var listSites: [String: (Int, Span)] = [:]
    for (i, l) in lists {
      let name = l.name.value
      if let previous = names[name] {
        error(
          i, RuleCode.duplicateName, "`\(name)` is already declared", l.name.span,
          help: previous.1 == .none ? "`\(name)` is the event variable" : nil)
        continue
      }
      names[name] = (i, l.name.span)
      guard let (value, type) = compileList(l, file: i) else { continue }
      if l.runtime {
        guard let list = runtimeList(l, value: value, type: type, file: i) else { continue }
        runtimeListTypes[name] = list.elementType
        runtimeLists.append(list)
        constants[name] = .list(list.entries)
      } else {
        constants[name] = value
      }
      variables[name] = type
      listSites[name] = (i, l.name.span)
    }
    catalog.add(ScreeningLists(screeningLists).overload)

    // 3b. Aggregates: checked against the event and lists; their variables join the rules'.
    let compiledAggregates = compileAggregates(
      aggregates, schema: schema, variables: variables, constants: constants, names: &names)
    let aggregateEnv = Environment(
      variables: variables, catalog: catalog, constants: constants, runtimeLists: runtimeListTypes)
    for a in compiledAggregates { for v in a.spec.variables { variables[v.name] = v.type } }

    // 4. Named conditions, in dependency order.
    let conditionNames = Set(conditions.map(\.1.name.value))
    var byName: [String: (Int, ConditionDecl)] = [:]
    for (i, c) in conditions {
      if let previous = names[c.name.value] {
        error(
          i, RuleCode.duplicateName, "`\(c.name.value)` is already declared", c.name.span,
          help: previous.1 == .none ? "`\(c.name.value)` is the event variable" : nil)
        continue
      }
      names[c.name.value] = (i, c.name.span)
      byName[c.name.value] = (i, c)
    }
    var definitions: [String: CheckedAST] = [:]
    var state: [String: Int] = [:]  // 1 = in progress, 2 = done
    func deps(_ c: ConditionDecl) -> [String] {
      // A self-reference stays in the list so that it is reported as a cycle.
      Self.identifiers(in: c.expression.ast.root).filter { conditionNames.contains($0) }.sorted()
    }
    func visit(_ name: String, _ path: [String]) {
      guard let (i, c) = byName[name] else { return }
      if state[name] == 2 { return }
      if state[name] == 1 {
        let cycle = (path.drop { $0 != name } + [name]).joined(separator: " → ")
        error(i, RuleCode.conditionCycle, "conditions refer to each other in a cycle: \(cycle)", c.name.span)
        return
      }
      state[name] = 1
      for d in deps(c) { visit(d, path + [name]) }
      state[name] = 2
      if diagnostics.contains(where: { $0.diagnostic.code == RuleCode.conditionCycle }) { return }
      let env = Environment(
        variables: variables, catalog: catalog, constants: constants, definitions: definitions,
        runtimeLists: runtimeListTypes)
      let (checked, ds) = Checker(environment: env).check(c.expression.ast)
      for d in ds { diagnostics.append(SourcedDiagnostic(files[i].source, d)) }
      guard let checked else { return }
      definitions[name] = checked
      variables[name] = checked.resultType
    }
    for (_, c) in conditions { visit(c.name.value, []) }

    // 5. Rules.
    let env = Environment(
      variables: variables, catalog: catalog, constants: constants, definitions: definitions,
      runtimeLists: runtimeListTypes)
    var compiled: [CompiledRule] = []
    // Each compiled rule's reason placeholders (RuleCompiler+Reasons.swift).
    var placeholders: [[CheckedAST]] = []
    var seenIDs: [String: Span] = [:]
    // Conditions are checked independently of each other: in parallel, results in rule order.
    let checks = ParallelMap.map(rules) { (_, r) -> (CheckedAST?, [Diagnostic])? in
      if let enabled = r.enabled, !enabled.value { return nil }
      guard let when = r.when else { return nil }
      return Checker(environment: env).check(when.ast)
    }
    for (k, (i, r)) in rules.enumerated() {
      if let enabled = r.enabled, !enabled.value { continue }
      if seenIDs[r.id.value] != nil {
        warning(
          i, RuleCode.duplicateRuleID, "rule id `\(r.id.value)` is used more than once", r.id.span,
          help: "decisions list matched rules by id; give each rule its own")
      }
      seenIDs[r.id.value] = r.id.span
      guard let when = r.when else {
        error(
          i, RuleCode.missingCondition, "rule `\(r.id.value)` has no condition", r.id.span,
          help: "add `when: <CEL>`")
        continue
      }
      guard let (checked, ds) = checks[k] else { continue }
      for d in ds { diagnostics.append(SourcedDiagnostic(files[i].source, d)) }
      guard let checked else { continue }
      switch checked.resultType {
      case .bool, .dyn: break
      case let t:
        error(
          i, RuleCode.notBool, "rule `\(r.id.value)`'s condition has type `\(t)`, not `bool`", when.span,
          help: "a condition must be true for the rule to match")
        continue
      }
      let outcome: RuleOutcome
      switch r.action?.value {
      case .block: outcome = .block
      case .review: outcome = .review
      case .challenge: outcome = .challenge
      case .score, nil: outcome = .score
      }
      let score = r.score?.value ?? 0
      if outcome == .score && score == 0 {
        warning(
          i, RuleCode.noEffect, "rule `\(r.id.value)` has neither an action nor a score", r.id.span,
          help: "add `action: block|review|challenge` or `score: N`")
      }
      var reasonPlaceholders: [CheckedAST] = []
      if let reason = r.reason {
        guard let p = compileReason(reason, file: i, env: env) else { continue }
        reasonPlaceholders = p
      }
      let entry = RuleEntry(
        id: r.id.value, name: r.name?.value ?? r.id.value, category: r.category?.value ?? "",
        tags: r.tags.map(\.value), outcome: outcome, score: score,
        reason: r.reason?.value ?? Self.escapeBraces(r.name?.value ?? ""),
        file: i, span: when.span)
      compiled.append(CompiledRule(entry: entry, checked: checked, fileIndex: i))
      placeholders.append(reasonPlaceholders)
    }

    // Warnings: unguarded optional reads, unused lists and conditions.
    let optionalSlots = Self.optionalSlots(schema)
    let unguarded = ParallelMap.map(compiled) { Self.unguardedReads($0.checked, optionalSlots) }
    for (rule, reads) in zip(compiled, unguarded) {
      for (name, span) in reads {
        warning(
          rule.fileIndex, RuleCode.unguardedOptional,
          "`\(name)` is optional but read without a `has(\(name))` guard", span,
          help: "when it is absent the condition is an error and the rule does not match")
      }
    }
    for (name, def) in definitions {
      guard let (i, _) = byName[name] else { continue }
      for (field, span) in Self.unguardedReads(def, optionalSlots) {
        warning(
          i, RuleCode.unguardedOptional, "`\(field)` is optional but read without a `has(\(field))` guard",
          span,
          help: "when it is absent the condition is an error and the rule does not match")
      }
    }
    var used = Set<String>()
    var pending = compiled.map(\.checked) + placeholders.joined()
    while let c = pending.popLast() {
      for case .variable(let q) in c.references.values where used.insert(q).inserted {
        if let d = definitions[q] { pending.append(d) }
      }
    }
    for (name, site) in listSites.sorted(by: { $0.key < $1.key }) where !used.contains(name) {
      warning(site.0, RuleCode.unusedList, "list `\(name)` is never used", site.1)
    }
    for (i, c) in conditions where definitions[c.name.value] != nil && !used.contains(c.name.value) {
      warning(i, RuleCode.unusedCondition, "condition `\(c.name.value)` is never used", c.name.span)
    }

    let ruleReads = Self.aggregateReads(
      compiled, compiledAggregates, definitions: definitions, placeholders: placeholders)
    let readAggregates = Set(ruleReads.joined())
    for (k, a) in compiledAggregates.enumerated() where !readAggregates.contains(k) {
      warning(a.file, RuleCode.unusedAggregate, "aggregate `\(a.spec.name)` is never read", a.span)
    }

    if diagnostics.hasErrors { return nil }

    // 6. One IR for all rules; optimize; codegen.
    let lowered = Self.guardPlaceholders(
      Lowering.lowerRules(compiled.map(\.checked) + placeholders.joined(), environment: env),
      ruleCount: compiled.count, counts: placeholders.map(\.count))
    let typeField = schema.fields.contains { $0.name == "type" } ? schema.variable + ".type" : nil
    let context = PassContext(
      catalog: env.catalog, profile: options.profile, typeField: typeField,
      stateVariables: Set(compiledAggregates.flatMap { $0.spec.variables.map(\.name) }))
    var ir = lowered
    if options.optimize {
      ir = Passes.run(ir, passes: options.passes, context: context, disabled: options.disabledPasses)
    }
    let folded =
      options.optimize && !options.disabledPasses.contains(Passes.constantFolding.name)
      ? ir : ConstantFolding.run(lowered, catalog: env.catalog)
    for (k, rule) in compiled.enumerated() {
      guard case .constant(let c) = folded.nodes[folded.ruleRoots[k]] else { continue }
      let v = folded.constants[c]
      if case .bool(true) = v { continue }
      warning(
        rule.fileIndex, RuleCode.neverMatches,
        "rule `\(rule.entry.id)` can never match: its condition is always \(v)",
        rule.entry.span)
    }
    let program: Program
    var stateProgram: Program?
    var demands: [Int] = []
    // The set slots of run-time lists (`x in name` reads them; not names conditions can write).
    for l in runtimeLists { variables[l.setSlot] = l.setType }
    do {
      if compiledAggregates.isEmpty {
        program = try Codegen(catalog: env.catalog, variableTypes: variables).emit(ir)
      } else {
        // One variable table for both programs: the event time first, then what either reads.
        let stateIR = Self.stateIR(
          compiledAggregates, env: aggregateEnv, optimize: options.optimize, disabled: options.disabledPasses)
        if options.readsOnDemand {
          let demand = Demand(
            rules: lowered, reads: ruleReads, eventFields: Set(schema.slots.map(\.qualifiedName)))
          let table = demand.table(
            filters: Lowering.lowerRules(compiledAggregates.map(\.filter), environment: aggregateEnv),
            catalog: env.catalog)
          // None at all: the bundle stays in the format earlier builds read.
          if table.contains(where: { $0 >= 0 }) { demands = table }
        }
        var seed = [schema.variable + "." + Self.timeField]
        for q in Self.variablesRead(stateIR) + Self.variablesRead(ir) where !seed.contains(q) {
          seed.append(q)
        }
        program = try Codegen(catalog: env.catalog, variableTypes: variables, variables: seed).emit(ir)
        stateProgram = try Codegen(
          catalog: env.catalog, variableTypes: variables, variables: program.variables.map(\.name)
        ).emit(stateIR)
      }
    } catch {
      if !files.isEmpty { self.error(0, "E0901", error.message, .none) }
      return nil
    }

    // 7. Policy and bundle.
    var policy = DecisionPolicy()
    if let (i, p) = policies.first {
      if let t = p.reviewThreshold {
        if t.value < 0 { error(i, RuleCode.invalidPolicy, "review threshold must not be negative", t.span) }
        policy.reviewThreshold = t.value
      }
      if let t = p.blockThreshold {
        if t.value < policy.reviewThreshold {
          error(i, RuleCode.invalidPolicy, "block threshold is below the review threshold", t.span)
        }
        policy.blockThreshold = t.value
      }
    }
    var bundle = Bundle(
      compilerVersion: options.compilerVersion, schema: schema, program: program,
      rules: compiled.map(\.entry),
      policy: policy, sourceFiles: files.map { SourceFile(name: $0.source.name, text: $0.source.text) },
      aggregates: compiledAggregates.map(\.spec), stateProgram: stateProgram, ruleReads: ruleReads)
    bundle.aggregateDemands = demands
    bundle.screeningLists = screeningLists.map(Self.bundleList)
    bundle.runtimeLists = runtimeLists
    return RuleSetCompilation(
      bundle: bundle, rules: compiled, environment: env, schema: schema, ir: ir, loweredIR: lowered,
      passContext: context, definitions: definitions,
      constants: constants, aggregates: compiledAggregates, diagnostics: diagnostics)
  }

  // MARK: - Schema

  mutating func compileSchema(_ s: SchemaDecl, file: Int) -> EventSchema {
    EventSchema(variable: s.name.value, fields: s.fields.map { compileField($0, file: file) })
  }

  mutating func compileField(_ f: FieldDecl, file: Int) -> SchemaField {
    var type: CELType
    var children: [SchemaField] = []
    switch f.type {
    case .cel(let t, _): type = t
    case .object(let fields, let span):
      children = fields.map { compileField($0, file: file) }
      if children.isEmpty {
        error(file, RuleCode.invalidField, "object field `\(f.name.value)` has no fields", span)
      }
      let types = Set(children.map(\.type))
      type = .map(.string, types.count == 1 ? types.first ?? .dyn : .dyn)
    }
    var defaultValue: Value?
    if let d = f.defaultValue, let v = constant(d, file: file, what: "default of `\(f.name.value)`") {
      defaultValue = convert(v, to: type)
      if defaultValue == nil {
        error(
          file, RuleCode.invalidField, "default of `\(f.name.value)` is a \(v.typeName), not a \(type)",
          d.span)
      }
    }
    var allowed: [Value]?
    if let xs = f.allowedValues {
      allowed = []
      for x in xs {
        guard let v = constant(x, file: file, what: "allowed value") else { continue }
        guard let c = convert(v, to: type) else {
          error(file, RuleCode.invalidField, "allowed value \(v) is a \(v.typeName), not a \(type)", x.span)
          continue
        }
        allowed?.append(c)
      }
    }
    if f.defaultValue != nil && !f.optional {
      error(
        file, RuleCode.invalidField, "field `\(f.name.value)` has a default but is not optional", f.name.span,
        help: "write `\(f.name.value)?:` — a default applies when the field is absent")
    }
    return SchemaField(
      name: f.name.value, type: type, optional: f.optional, defaultValue: defaultValue,
      allowedValues: allowed,
      fields: children, requiredForTypes: f.requiredFor?.map(\.value))
  }

  /// Evaluates a constant expression (no variables).
  mutating func constant(_ e: EmbeddedExpression, file: Int, what: String) -> Value? {
    let env = Environment()
    let (checked, ds) = Checker(environment: env).check(e.ast)
    guard let checked else {
      for d in ds {
        diagnostics.append(
          SourcedDiagnostic(
            files[file].source,
            .error(RuleCode.invalidList, "\(what) must be a constant: \(d.message)", at: d.span)))
      }
      return nil
    }
    let ir = ConstantFolding.run(
      Lowering(environment: env, checked: checked).lower(e.ast), catalog: env.catalog)
    guard case .constant(let k) = ir.nodes[ir.root] else {
      error(file, RuleCode.invalidList, "\(what) must be a constant", e.span)
      return nil
    }
    let v = ir.constants[k]
    if case .error(let err) = v {
      error(file, RuleCode.invalidList, "\(what) is an error: \(err.message)", e.span)
      return nil
    }
    return v
  }

  /// A value converted to a declared type (ints are accepted for doubles), or nil.
  func convert(_ v: Value, to t: CELType) -> Value? {
    switch (v, t) {
    case (_, .dyn): return v
    case (.int(let i), .double): return .double(Double(i))
    case (.string(let s), .timestamp): return Timestamp.parse(s).map { .timestamp($0) }
    default: return v.celType.runtimeName == t.runtimeName ? v : nil
    }
  }

  // MARK: - Lists

  mutating func compileList(_ l: ListDecl, file: Int) -> (Value, CELType)? {
    var declared: CELType?
    if let t = l.elementType {
      switch t {
      case .cel(let c, _): declared = c
      case .object(_, let span):
        error(file, RuleCode.invalidList, "list elements cannot be objects", span)
        return nil
      }
    }
    var values: [Value] = []
    switch l.contents {
    case .inline(let xs):
      for x in xs {
        guard let v = constant(x, file: file, what: "list element") else { continue }
        if let d = declared {
          guard let c = convert(v, to: d) else {
            error(file, RuleCode.invalidList, "element \(v) of `\(l.name.value)` is not a \(d)", x.span)
            continue
          }
          values.append(c)
        } else {
          values.append(v)
        }
      }
    case .file(let path, let format) where format?.value == Self.screeningFormat:
      return compileScreeningList(l, path: path, file: file)
    case .file(let path, let format):
      let base = files[file].source.name
      guard let lines = ListFiles.read(path.value, relativeTo: base, format: format?.value) else {
        error(
          file, RuleCode.unreadableList, "cannot read list file `\(path.value)`", path.span,
          help: "paths are relative to the file that declares the list")
        return nil
      }
      if case .failure(let message) = lines {
        error(file, RuleCode.invalidList, message.message, format?.span ?? path.span)
        return nil
      }
      if case .success(let entries) = lines {
        for s in entries {
          if let d = declared, d != .string {
            guard let c = convert(.string(s), to: d) ?? Self.parseScalar(s, d) else {
              error(file, RuleCode.invalidList, "entry `\(s)` of `\(path.value)` is not a \(d)", path.span)
              continue
            }
            values.append(c)
          } else {
            values.append(.string(s))
          }
        }
      }
    }
    let types = Set(values.map(\.celType))
    let element = declared ?? (types.count == 1 ? types.first ?? .dyn : .dyn)
    return (.list(values), .list(element))
  }

  /// A `runtime list`'s bundle entry, or nil (with an error) when it cannot be one: its
  /// elements must be string, int or uint (declared, or inferred from its default), and it
  /// cannot be a screening list.
  mutating func runtimeList(_ l: ListDecl, value: Value, type: CELType, file: Int) -> BundleRuntimeList? {
    let name = l.name.value
    guard case .list(let entries) = value, case .list(let element) = type else {
      error(
        file, RuleCode.invalidRuntimeList, "a screening list cannot be a run-time list", l.name.span,
        help: "remove `runtime`: screening lists are compiled into the bundle")
      return nil
    }
    guard BundleRuntimeList.elementTypes.contains(element) else {
      let inferred = l.elementType == nil ? " (inferred from its default)" : ""
      error(
        file, RuleCode.invalidRuntimeList,
        "run-time list `\(name)` has elements of type \(element)\(inferred); a run-time list holds string, int or uint",
        l.name.span, help: "declare its element type: `runtime list \(name): string = [...]`")
      return nil
    }
    // Duplicates are dropped (the list is a set at run time; the API keeps the first of each).
    var seen = Set<String>()
    var unique: [Value] = []
    for v in entries where seen.insert(Value.render(v)).inserted { unique.append(v) }
    return BundleRuntimeList(name: name, elementType: element, entries: unique)
  }

  static func parseScalar(_ s: String, _ t: CELType) -> Value? {
    switch t {
    case .int: return Int64(s).map { .int($0) }
    case .double: return Double(s).map { .double($0) }
    case .uint: return UInt64(s).map { .uint($0) }
    case .bool: return s == "true" ? .bool(true) : s == "false" ? .bool(false) : nil
    default: return nil
    }
  }

  // MARK: - Analyses

  /// Every identifier (root of a select chain included) mentioned in an expression.
  static func identifiers(in e: Expr) -> Set<String> {
    var out = Set<String>()
    func walk(_ e: Expr) {
      switch e.kind {
      case .literal: break
      case .ident(let n): out.insert(n)
      case .select(let o, _, _): walk(o)
      case .call(let t, _, let args):
        if let t { walk(t) }
        args.forEach(walk)
      case .list(let xs, _): xs.forEach(walk)
      case .map(let es):
        for en in es {
          walk(en.key)
          walk(en.value)
        }
      case .structure(_, let fs): fs.forEach { walk($0.value) }
      case .comprehension(let c):
        [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].forEach(walk)
      }
    }
    walk(e)
    return out
  }

  /// Slots that may be absent: optional without a default, or inside such an object.
  static func optionalSlots(_ schema: EventSchema) -> [String: [String]] {
    // slot → the slots whose presence guarantees it (itself, and its optional ancestors).
    var out: [String: [String]] = [:]
    func walk(_ fs: [SchemaField], _ prefix: String, _ guards: [String]) {
      for f in fs {
        let q = prefix + "." + f.name
        var g = guards
        if f.optional && f.defaultValue == nil { g.append(q) }
        if !g.isEmpty { out[q] = g }
        walk(f.fields, q, g)
      }
    }
    walk(schema.fields, schema.variable, [])
    return out
  }

  /// Reads of optional slots not guarded by `has()` on every path to them.
  static func unguardedReads(_ c: CheckedAST, _ optional: [String: [String]]) -> [(String, Span)] {
    var out: [(String, Span)] = []
    func presence(_ e: Expr) -> Set<String> {
      if case .presence(let q)? = c.references[e.id] { return [q] }
      if case .call(nil, "_&&_", let args) = e.kind {
        return args.reduce(into: Set()) { $0.formUnion(presence($1)) }
      }
      return []
    }
    func absence(_ e: Expr) -> Set<String> {
      if case .call(nil, "!_", let args) = e.kind, args.count == 1 { return presence(args[0]) }
      if case .call(nil, "_||_", let args) = e.kind {
        return args.reduce(into: Set()) { $0.formUnion(absence($1)) }
      }
      return []
    }
    func walk(_ e: Expr, _ guarded: Set<String>) {
      if case .variable(let q)? = c.references[e.id] {
        if let needs = optional[q], !needs.allSatisfy({ guarded.contains($0) }) {
          out.append((q, c.ast.span(of: e.id)))
        }
        return
      }
      switch e.kind {
      case .literal, .ident: break
      case .select(let o, _, _): walk(o, guarded)
      case .call(nil, "_&&_", let args) where args.count == 2:
        walk(args[0], guarded)
        walk(args[1], guarded.union(presence(args[0])))
      case .call(nil, "_||_", let args) where args.count == 2:
        walk(args[0], guarded)
        walk(args[1], guarded.union(absence(args[0])))
      case .call(nil, "_?_:_", let args) where args.count == 3:
        walk(args[0], guarded)
        walk(args[1], guarded.union(presence(args[0])))
        walk(args[2], guarded.union(absence(args[0])))
      case .call(let t, _, let args):
        if let t { walk(t, guarded) }
        for a in args { walk(a, guarded) }
      case .list(let xs, _): for x in xs { walk(x, guarded) }
      case .map(let es):
        for en in es {
          walk(en.key, guarded)
          walk(en.value, guarded)
        }
      case .structure(_, let fs): for f in fs { walk(f.value, guarded) }
      case .comprehension(let cm):
        for x in [cm.iterRange, cm.accuInit, cm.loopCondition, cm.loopStep, cm.result] { walk(x, guarded) }
      }
    }
    walk(c.ast.root, [])
    return out
  }
}
