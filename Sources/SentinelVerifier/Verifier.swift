// The verifier: Program → VerifiedProgram, or a precise `VerificationError`.
//
// Stages, each a file: shape and tables (here) → operands (Operands.swift) → loop structure
// (LoopStructure.swift) → definite assignment and register kinds (Dataflow.swift) → worst-case
// cost (CostBound.swift). After it, the VM skips every check these stages prove, in the spirit
// of the WebAssembly validator and the eBPF verifier: all control flow is forward except `loop`,
// whose counter and range the loop body cannot touch, so every verified program terminates
// within `costBound`.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// Checks programs against a builtin catalog and limits; the only way to get a `VerifiedProgram`.
public struct Verifier: Sendable {
  /// The overloads `call` and `call.dyn` may reach.
  public let catalog: Catalog
  /// The resource limits programs are held to.
  public let limits: Limits

  /// Whether `verify` also prepares the fused code the VM runs (Fusion.swift); off only to
  /// compare fused and unfused runs in tests and benchmarks.
  public let fusion: Bool

  /// A verifier for programs that will run against `catalog`.
  public init(catalog: Catalog, limits: Limits = .init(), fusion: Bool = true) {
    self.catalog = catalog
    self.limits = limits
    self.fusion = fusion
  }

  /// Verifies a program completely; throws the first rule it breaks. The result runs the
  /// program's fused form (Fusion.swift) when fusion applies and that form verifies too.
  public func verify(_ p: Program) throws(VerificationError) -> VerifiedProgram {
    let checked = try check(p)
    var execution = (code: p.code, guardedCalls: checked.facts.guardedCalls)
    if fusion,
      let fused = Fusion.fuse(
        p, guardedCalls: checked.facts.guardedCalls, overloads: checked.overloads,
        variableKinds: checked.variableKinds),
      let again = try? check(fused)
    {
      // INVARIANT: the fused program passed every check above on its own; had it not (a fusion
      // bug), the VM would run the original code, which did.
      execution = (fused.code, again.facts.guardedCalls)
    }
    return VerifiedProgram(
      program: p, catalog: catalog, limits: limits, costBound: checked.bound,
      builtinIndices: checked.builtinIndices, code: execution.code, guardedCalls: execution.guardedCalls,
      variableKinds: checked.variableKinds)
  }

  /// Every stage on one program: what `verify` learns, or the first rule it breaks.
  func check(_ p: Program) throws(VerificationError) -> (
    builtinIndices: [Int], overloads: [Overload], facts: DataflowResult, variableKinds: [ValueKind],
    bound: Int
  ) {
    try checkShape(p)
    let builtinIndices = try resolveBuiltins(p)
    let overloads = builtinIndices.map { catalog.overloads[$0] }
    try checkFunctions(p)
    try checkVariables(p)
    try checkSourceMap(p)
    let operands = OperandChecker(program: p, overloads: overloads, catalog: catalog)
    for pc in p.code.indices { try operands.check(pc) }
    try checkLastInstruction(p)
    let loops = try LoopStructure(p, maxDepth: limits.maxLoopDepth)
    var flow = Dataflow(program: p, overloads: overloads, maxWork: limits.maxAnalysisWork)
    let facts = try flow.run()
    let bound = CostBound.compute(
      p, loops: loops, rangeBounds: facts.rangeBounds, overloads: overloads, catalog: catalog, limits: limits)
    guard bound <= limits.maxCost else {
      throw VerificationError(
        .costExceeded,
        "worst-case cost \(bound == Int.max ? "(overflow)" : String(bound)) exceeds the limit \(limits.maxCost)"
          + " (collections of up to \(limits.maxCollectionSize) elements)")
    }
    return (builtinIndices, overloads, facts, flow.variableKinds, bound)
  }

  // MARK: - Shape and tables

  func checkShape(_ p: Program) throws(VerificationError) {
    guard !p.code.isEmpty else { throw VerificationError(.emptyCode, "program has no instructions") }
    guard p.code.count <= limits.maxInstructions else {
      throw VerificationError(
        .tooManyInstructions,
        "program has \(p.code.count) instructions; the limit is \(limits.maxInstructions)")
    }
    guard p.registerCount >= 0, p.registerCount <= limits.maxRegisters else {
      throw VerificationError(
        .tooManyRegisters, "register count \(p.registerCount) is outside 0…\(limits.maxRegisters)")
    }
  }

  /// The catalog index of each builtin import; each must exist and be well formed.
  func resolveBuiltins(_ p: Program) throws(VerificationError) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(p.builtins.count)
    for (i, id) in p.builtins.enumerated() {
      guard let index = catalog.index(ofID: id) else {
        throw VerificationError(.unknownBuiltin, "builtin #\(i) `\(id)` is not in the catalog")
      }
      try checkWellFormed(catalog.overloads[index])
      out.append(index)
    }
    return out
  }

  func checkFunctions(_ p: Program) throws(VerificationError) {
    for (i, f) in p.functions.enumerated() {
      let candidates = catalog.overloads(of: f.name)
      guard !candidates.isEmpty else {
        throw VerificationError(.unknownFunction, "function #\(i) `\(f.name)` has no overload in the catalog")
      }
      for c in candidates { try checkWellFormed(catalog.overloads[c]) }
    }
  }

  /// An overload whose implementation shape disagrees with its arity would make `Catalog.invoke`
  /// index past its argument array; refusing it here is what lets the VM call it unchecked.
  func checkWellFormed(_ o: Overload) throws(VerificationError) {
    let takes: Int?
    switch o.implementation {
    case .unary: takes = 1
    case .binary: takes = 2
    case .ternary: takes = 3
    case .nary: takes = nil
    }
    if let takes, takes != o.arity {
      throw VerificationError(
        .malformedOverload,
        "overload `\(o.id)` declares \(o.arity) parameters but its implementation takes \(takes)")
    }
  }

  func checkVariables(_ p: Program) throws(VerificationError) {
    var seen: [String: Int] = [:]
    for (i, v) in p.variables.enumerated() {
      if let first = seen[v.name] {
        throw VerificationError(
          .duplicateVariable, "variable `\(v.name)` is declared twice (slots \(first) and \(i))")
      }
      seen[v.name] = i
    }
  }

  func checkSourceMap(_ p: Program) throws(VerificationError) {
    for (i, e) in p.sourceMap.enumerated() {
      guard e.pc >= 0, e.pc < p.code.count else {
        throw VerificationError(
          .badSourceMap, "source map entry #\(i) names pc \(e.pc), outside the \(p.code.count) instructions")
      }
      guard e.span.start >= 0, e.span.start <= e.span.end else {
        throw VerificationError(
          .badSourceMap, "source map entry #\(i) has an inverted span \(e.span.start)..<\(e.span.end)")
      }
    }
  }

  /// Every target is a real instruction (operand checks), so a path can only leave the code by
  /// falling through the last instruction: requiring it to be `ret` or `loop` (a `jump` there
  /// would have to be backward) is exact. The dataflow sweep re-checks this on reachable paths.
  func checkLastInstruction(_ p: Program) throws(VerificationError) {
    let pc = p.code.count - 1
    let op = p.code[pc].opcode
    guard op == .ret || op == .loop || op == .jump else {
      throw VerificationError(
        .fallsOffEnd, pc: pc, opcode: op,
        "the last instruction falls off the end of the code; a program ends with `ret` or `loop`")
    }
  }
}
