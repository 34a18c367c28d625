// Dead-rule elimination: a rule whose condition is the constant `false` (after constant
// folding: `false && x`, `1 > 2`, a condition that folds away) has no code of its own; codegen
// writes its result, false, from one register shared by all such rules. Disabled rules
// (`enabled: false`) never reach the IR: the rule compiler leaves them out of the rule table.
//
// Why it preserves every result: the rule's result is the same constant false, written on every
// run as before. Only the constant `false` counts: a constant error (`1 / 0 == 1`) stays a rule
// with code, so that decisions keep reporting it as an error.

import SentinelModel

/// Removes rules whose condition is the constant false from the code.
public enum DeadRuleElimination {
  /// The IR with its constant-false rules listed in `deadRules` and out of the schedule.
  public static func run(_ ir: IRFunction) -> IRFunction {
    var dead = Set(ir.deadRules)
    for (i, root) in ir.ruleRoots.enumerated() {
      if case .constant(let k) = ir.nodes[root], case .bool(false) = ir.constants[k] { dead.insert(i) }
    }
    guard !dead.isEmpty else { return ir }
    var out = ir
    out.deadRules = dead.sorted()
    out.schedule = ir.schedule.map { groups in
      groups.compactMap { g in
        let rules = g.rules.filter { !dead.contains($0) }
        return rules.isEmpty ? nil : IRRuleGroup(guardNode: g.guardNode, rules: rules)
      }
    }
    return out
  }
}
