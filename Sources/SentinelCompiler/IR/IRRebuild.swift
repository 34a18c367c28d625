// Rebuilding an IR arena node by node, for passes that rewrite some nodes and keep the rest:
// children come before parents, so each node is seen with its children already rewritten;
// constants are re-interned and comprehension locals renamed in the new arena.

import SentinelModel

extension IRFunction {
  /// A new arena: every node, children first, with its children renamed to their rewritten
  /// ids. `rewrite` gets the renamed node (constants as values: use `out.constant`) and returns
  /// the id to use for it, or nil to add the node unchanged.
  public func rebuild(
    _ rewrite: (_ node: IRNode, _ type: CELType, _ span: Span, _ out: inout IRFunction) -> IRNodeID?
  ) -> IRFunction {
    var out = IRFunction()
    var map: [IRNodeID: IRNodeID] = [:]
    var localMap: [LocalID: LocalID] = [:]
    func local(_ l: LocalID) -> LocalID {
      if let m = localMap[l] { return m }
      let n = out.newLocal()
      localMap[l] = n
      return n
    }
    for id in nodes.indices {
      let span = spans[id]
      let type = types[id]
      var node = remap(id) { map[$0] ?? $0 }
      switch node {
      case .constant(let k):
        map[id] = out.constant(constants[k], span: span)
        continue
      case .local(let l): node = .local(local(l))
      case .comprehension(var c):
        c.iterVar = local(c.iterVar)
        c.iterVar2 = c.iterVar2.map(local)
        c.accuVar = local(c.accuVar)
        node = .comprehension(c)
      default: break
      }
      map[id] = rewrite(node, type, span, &out) ?? out.add(node, type: type, span: span)
    }
    out.root = map[root] ?? 0
    out.ruleRoots = ruleRoots.map { map[$0] ?? $0 }
    // The schedule names rules by index and guards by node: carry it over. A sharing plan is
    // about this arena's node ids and evaluation order: it is dropped (condition dedupe runs last).
    out.schedule = schedule?.map {
      IRRuleGroup(guardNode: $0.guardNode.map { map[$0] ?? $0 }, rules: $0.rules)
    }
    out.deadRules = deadRules
    out.attachesConditionals = attachesConditionals
    return out
  }
}
