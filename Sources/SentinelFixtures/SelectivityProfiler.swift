// Measured selectivities for short-circuit ordering (`sentinel compile --profile EVENTS.jsonl`):
// the rule set's events are replayed (with state, so aggregate readings are real), and every
// operand of an `&&` / `||` is evaluated on each event's values by a probe program whose
// "rules" are those operands; P(true) is the fraction of events on which an operand was true.

import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelVM
import SentinelVerifier

/// Builds selectivity profiles by running a rule set's conditions on events.
public enum SelectivityProfiler {
  /// The profile of `compilation`'s `&&` / `||` operands on `events` (JSON lines).
  public static func profile(_ compilation: RuleSetCompilation, events: [Substring]) throws
    -> SelectivityProfile
  {
    let catalog = compilation.environment.catalog
    // The IR the ordering pass sees: after the passes before it.
    var probe = Passes.run(
      compilation.loweredIR, passes: [Passes.constantFolding, Passes.listsToSets],
      context: compilation.passContext)
    let operands = probe.shortCircuitOperands
    var memo: [IRNodeID: String?] = [:]
    let keys = operands.map { SelectivityProfile.key(of: $0, in: probe, memo: &memo) }
    probe.ruleRoots = operands
    probe.schedule = nil
    probe.deadRules = []
    let program = try Verifier(catalog: catalog).verify(
      try Codegen(catalog: catalog, variableTypes: compilation.environment.variables).emit(probe))
    let loaded = try BundleLoader(catalog: catalog).load(try compilation.bundle.encoded(signedWith: nil))
    let processor = EventProcessor(bundle: loaded, store: InMemoryStateStore(tenant: "profile"))
    // The operands are evaluated on every event, also where no rule reads their aggregates.
    processor.readsEveryAggregate = true
    var trues = [Int](repeating: 0, count: operands.count)
    var decided = 0
    var results: [Value] = []
    let vm = VM()
    for line in events {
      guard case .decided = try processor.process(line) else { continue }
      if processor.pendingCount >= 1024 { try processor.commit() }
      decided += 1
      let bindings = processor.lastBindings
      let slots = program.program.variables.map { bindings[$0.name] }
      _ = vm.run(program, variables: slots, results: &results)
      for (i, r) in results.enumerated() {
        if case .bool(true) = r { trues[i] += 1 }
      }
    }
    var probabilities: [String: Double] = [:]
    if decided > 0 {
      for (i, k) in keys.enumerated() {
        guard let k else { continue }
        probabilities[k] = Double(trues[i]) / Double(decided)
      }
    }
    return SelectivityProfile(probabilities: probabilities, events: decided)
  }
}
