// Dispatch on the event type: rules that test `event.type == "X"` as an `&&` conjunct are grouped
// by X, and codegen evaluates each group's type test once and skips the whole group when it is
// false — a login event runs only the login rules (and the rules that test no type).
//
// Why it preserves every result: a guarded rule is `… && event.type == "X" && …`; when the test
// is false the rule is false whatever its other conjuncts are (CEL's `&&` absorbs errors:
// `false && error` is false), and codegen writes exactly that false from the guard's register.
// When the test is true, or an error (no type), the group runs as before. Rules keep their
// result slots, so moving a rule into its type's group changes no decision; the one thing rule
// order can change — a loop over a collection beyond the VM's limit ends the run, and the rules
// after it are not evaluated — is kept: a rule with a comprehension is never grouped or skipped,
// and no rule moves across it.

import SentinelBuiltins
import SentinelModel

/// Groups rules by the event type they test.
public enum TypeDispatch {
  /// The IR with a schedule of type groups. `field` is the type variable (`event.type`).
  public static func run(_ ir: IRFunction, catalog: Catalog, field: String) -> IRFunction {
    guard !ir.ruleRoots.isEmpty else { return ir }
    let loops = ir.containsComprehension()
    var groups: [IRRuleGroup] = []
    for group in ir.effectiveSchedule {
      guard group.guardNode == nil else {
        groups.append(group)
        continue
      }
      // Buckets by guard (nil: no type test), in order of first appearance, within each run of
      // rules between two rules with comprehensions.
      var buckets: [IRRuleGroup] = []
      var index: [IRNodeID?: Int] = [:]
      for r in group.rules {
        let root = ir.ruleRoots[r]
        if loops[root] {
          groups += buckets
          buckets = []
          index = [:]
          groups.append(IRRuleGroup(guardNode: nil, rules: [r]))
          continue
        }
        let g = typeTest(root, in: ir, catalog: catalog, field: field)
        if let i = index[g] {
          buckets[i].rules.append(r)
        } else {
          index[g] = buckets.count
          buckets.append(IRRuleGroup(guardNode: g, rules: [r]))
        }
      }
      groups += buckets
    }
    // Adjacent unguarded groups are one.
    var merged: [IRRuleGroup] = []
    for g in groups {
      if g.guardNode == nil, let last = merged.last, last.guardNode == nil {
        merged[merged.count - 1].rules += g.rules
      } else {
        merged.append(g)
      }
    }
    var out = ir
    out.schedule = merged
    return out
  }

  /// The first `field == "X"` conjunct of a condition's `&&` tree, if any.
  static func typeTest(_ root: IRNodeID, in ir: IRFunction, catalog: Catalog, field: String) -> IRNodeID? {
    ir.conjuncts(of: root).first { n in
      guard case .call(let o, let args) = ir.nodes[n], args.count == 2,
        catalog.overloads[o].function == "_==_"
      else { return false }
      return isTypeTest(args[0], args[1], ir, field) || isTypeTest(args[1], args[0], ir, field)
    }
  }

  static func isTypeTest(_ x: IRNodeID, _ k: IRNodeID, _ ir: IRFunction, _ field: String) -> Bool {
    guard case .variable(let name) = ir.nodes[x], name == field, case .constant(let c) = ir.nodes[k],
      case .string = ir.constants[c]
    else { return false }
    return true
  }
}
