// The optimization pipeline over the IR. Each pass is one file; each must preserve every
// decision (translation validation in the tests compares optimized and unoptimized programs,
// and each pass alone; docs/optimizer.md gives each pass's legality argument).
//
//   constant-folding        calls on constants → constants (the VM's own builtins)
//   lists-to-sets           `x in [8+ constant strings]` → one map-key lookup
//   short-circuit-ordering  `&&` / `||` operands by cost and selectivity      (rule sets)
//   dead-rule-elimination   constant-false rules get no code                  (rule sets)
//   type-dispatch           rules grouped by `event.type == "X"`, groups skipped (rule sets)
//   placeholder-attachment  a reason placeholder computed right after its rule (rule sets)
//   condition-dedupe        a subexpression computed once per event, kept     (rule sets; last)

import SentinelBuiltins

/// What a pass may consult besides the IR.
public struct PassContext: Sendable {
  /// The builtin catalog (constant folding runs its implementations).
  public var catalog: Catalog
  /// Measured selectivities for short-circuit ordering (`sentinel compile --profile`).
  public var profile: SelectivityProfile?
  /// The event-type variable type dispatch groups by (`event.type`); nil: no dispatch.
  public var typeField: String?
  /// The aggregates' variables: short-circuit ordering counts a read of one as a state read
  /// (`ShortCircuitOrdering.stateReadCost`).
  public var stateVariables: Set<String>

  /// A context.
  public init(
    catalog: Catalog, profile: SelectivityProfile? = nil, typeField: String? = nil,
    stateVariables: Set<String> = []
  ) {
    self.catalog = catalog
    self.profile = profile
    self.typeField = typeField
    self.stateVariables = stateVariables
  }
}

/// Runs the IR passes in order.
public enum Passes {
  /// One pass: its name (in `sentinel compile --stats`, `--disable-pass`, `--dump-ir=NAME`) and
  /// what it does to an IR.
  public struct Pass: Sendable {
    public let name: String
    public let run: @Sendable (IRFunction, PassContext) -> IRFunction

    /// A pass.
    public init(name: String, run: @escaping @Sendable (IRFunction, PassContext) -> IRFunction) {
      self.name = name
      self.run = run
    }
  }

  /// Constant folding.
  public static let constantFolding = Pass(name: "constant-folding") {
    ConstantFolding.run($0, catalog: $1.catalog)
  }
  /// Constant string lists to hash sets.
  public static let listsToSets = Pass(name: "lists-to-sets") { ListsToSets.run($0, catalog: $1.catalog) }
  /// Short-circuit ordering.
  public static let shortCircuitOrdering = Pass(name: "short-circuit-ordering") {
    ShortCircuitOrdering.run(
      $0, catalog: $1.catalog, profile: $1.profile, typeField: $1.typeField,
      stateVariables: $1.stateVariables)
  }
  /// Dead-rule elimination.
  public static let deadRuleElimination = Pass(name: "dead-rule-elimination") { ir, _ in
    DeadRuleElimination.run(ir)
  }
  /// Type dispatch.
  public static let typeDispatch = Pass(name: "type-dispatch") { ir, c in
    guard let field = c.typeField else { return ir }
    return TypeDispatch.run(ir, catalog: c.catalog, field: field)
  }
  /// Placeholder attachment: a root `c ? t : e` whose `c` is another rule's root (a reason
  /// placeholder) is emitted right after that rule, from its register (`attachedConditionals`).
  /// Before condition dedupe, whose plan follows codegen's order.
  public static let placeholderAttachment = Pass(name: "placeholder-attachment") { ir, _ in
    var ir = ir
    ir.attachesConditionals = true
    return ir
  }
  /// Condition dedupe (last: it plans codegen for the final IR).
  public static let conditionDedupe = Pass(name: "condition-dedupe") {
    ConditionDedupe.run($0, catalog: $1.catalog)
  }

  /// The pipeline for a rule set's program, in order.
  public static let rulePipeline: [Pass] = [
    constantFolding, listsToSets, shortCircuitOrdering, deadRuleElimination, typeDispatch,
    placeholderAttachment, conditionDedupe,
  ]

  /// The pipeline for single expressions and the state program (keys, filters, values):
  /// only passes that keep every value exactly (reordering may change which error a chain
  /// reports, and an aggregate key or `eval` shows it).
  public static let pipeline: [Pass] = [constantFolding, listsToSets]

  /// The state program's pipeline: exact passes, and dedupe across aggregates.
  public static let statePipeline: [Pass] = [constantFolding, listsToSets, conditionDedupe]

  /// Every pass name, in rule-pipeline order.
  public static var names: [String] { rulePipeline.map(\.name) }

  /// Runs the default expression pipeline.
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    pipeline.reduce(ir) { $1.run($0, PassContext(catalog: catalog)) }
  }

  /// Runs `passes` except those named in `disabled`.
  public static func run(
    _ ir: IRFunction, passes: [Pass], context: PassContext, disabled: Set<String> = []
  ) -> IRFunction {
    passes.filter { !disabled.contains($0.name) }.reduce(ir) { $1.run($0, context) }
  }
}
