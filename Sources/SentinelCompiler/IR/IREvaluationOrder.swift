// The order in which codegen evaluates an IR's nodes, as a walk that codegen mirrors step for
// step: rules in schedule order (a group's guard first), each node's children in emission
// order, the right operand of `&&` / `||`, the branches of `?:` and a comprehension's body and
// result in scopes of their own (code that may be skipped). A shared node (condition dedupe) is
// computed at its first visit in a scope — its *home* — and read back at every later visit in
// that scope or a scope nested in it, without visiting its children again.
//
// Condition dedupe uses the walk to choose the shared nodes and their registers; `--stats` uses
// it to count the conditions a program computes.

import SentinelBuiltins
import SentinelModel

/// A walk over the nodes codegen evaluates, in its order (see the file comment).
struct EvaluationWalk {
  let ir: IRFunction
  /// Nodes computed once per scope and kept (the sharing plan's nodes, or candidates).
  let shared: Set<IRNodeID>
  /// Counts a visit of a node that codegen computes (not a read of a shared value) when true.
  let isCondition: (IRNodeID) -> Bool

  private var available: Set<IRNodeID> = []
  private var position = 0
  /// Shared node → visits that computed it (homes).
  private(set) var homes: [IRNodeID: Int] = [:]
  /// Shared node → visits that read it back.
  private(set) var reuses: [IRNodeID: Int] = [:]
  /// Shared node → position of its first home (its register is live from there)…
  private(set) var firstHome: [IRNodeID: Int] = [:]
  /// … to the end of the last node that consumed it.
  private(set) var lastUse: [IRNodeID: Int] = [:]
  /// Conditions computed (visits of condition nodes that evaluate them).
  private(set) var conditions = 0

  init(ir: IRFunction, shared: Set<IRNodeID>, isCondition: @escaping (IRNodeID) -> Bool = { _ in false }) {
    self.ir = ir
    self.shared = shared
    self.isCondition = isCondition
  }

  /// Walks the whole program.
  mutating func run() {
    if ir.ruleRoots.isEmpty {
      if !ir.nodes.isEmpty { visitConsumed(ir.root) }
      return
    }
    for group in ir.effectiveSchedule {
      guard let g = group.guardNode else {
        for r in group.rules { visitConsumed(ir.ruleRoots[r]) }
        continue
      }
      visitConsumed(g)
      // A guarded group may be skipped: what it computes is not available after it.
      scoped { walk in for r in group.rules { walk.visitConsumed(walk.ir.ruleRoots[r]) } }
    }
  }

  /// Visits a node whose value an instruction consumes right after it.
  private mutating func visitConsumed(_ id: IRNodeID) {
    visit(id)
    consumed(id)
  }

  private mutating func consumed(_ id: IRNodeID) {
    position += 1
    if shared.contains(id) { lastUse[id] = max(lastUse[id] ?? 0, position) }
  }

  private mutating func scoped(_ body: (inout EvaluationWalk) -> Void) {
    let saved = available
    body(&self)
    available = saved
  }

  private mutating func visit(_ id: IRNodeID) {
    position += 1
    let start = position
    let isShared = shared.contains(id)
    if isShared && available.contains(id) {
      reuses[id, default: 0] += 1
      return
    }
    if isCondition(id) { conditions += 1 }
    var children: [IRNodeID] = []
    switch ir.nodes[id] {
    case .constant, .variable, .local, .present: break
    case .select(let x, _), .hasField(let x, _), .optionalSelect(let x, _), .notStrictlyFalse(let x):
      visit(x)
      children = [x]
    case .call(_, let args), .callDynamic(_, _, let args), .list(let args, _):
      for a in args { visit(a) }
      children = args
    case .map(let keys, let values, _):
      for i in keys.indices {
        visit(keys[i])
        visit(values[i])
      }
      children = keys + values
    case .and(let a, let b), .or(let a, let b):
      visit(a)
      scoped { $0.visit(b) }
      children = [a, b]
    case .conditional(let c, let t, let e):
      visit(c)
      scoped { $0.visit(t) }
      scoped { $0.visit(e) }
      children = [c, t, e]
    case .comprehension(let c):
      visit(c.range)
      visit(c.accuInit)
      scoped {
        $0.visit(c.condition)
        $0.visit(c.step)
      }
      scoped { $0.visit(c.result) }
      children = [c.range, c.accuInit, c.condition, c.step, c.result]
    }
    // A shared child's register must hold its value until this node has consumed it (a map's
    // keys until its last value, a comprehension's range until the loop ends).
    position += 1
    for c in children where shared.contains(c) { lastUse[c] = max(lastUse[c] ?? 0, position) }
    if isShared {
      homes[id, default: 0] += 1
      if firstHome[id] == nil { firstHome[id] = start }
      available.insert(id)
    }
  }
}

extension IRFunction {
  /// Whether a node is a condition: a boolean test (a comparison, `in`, `has`, a predicate
  /// call, a comprehension) — not `&&`, `||`, `!`, `?:` or a constant.
  func isCondition(_ id: IRNodeID, catalog: Catalog) -> Bool {
    guard types[id] == .bool else { return false }
    switch nodes[id] {
    case .call(let o, _): return catalog.overloads[o].function != "!_"
    case .callDynamic(let f, _, _): return f != "!_"
    case .hasField, .present, .comprehension: return true
    default: return false
    }
  }

  /// The conditions the program computes per run at most: each visit of a condition in
  /// codegen's walk, a shared one counted where it is computed, not where it is read back.
  public func conditionCount(catalog: Catalog) -> Int {
    var walk = EvaluationWalk(
      ir: self, shared: Set(sharing.map { Array($0.registers.keys) } ?? []),
      isCondition: { isCondition($0, catalog: catalog) })
    walk.run()
    return walk.conditions
  }

  /// For each node, whether it refers to a comprehension variable it does not bind (such a
  /// node has a different value in each iteration and cannot be shared or moved).
  func hasFreeLocals() -> [Bool] {
    var free = [Set<LocalID>](repeating: [], count: nodes.count)
    var out = [Bool](repeating: false, count: nodes.count)
    for id in nodes.indices {
      var s = Set<LocalID>()
      if case .local(let l) = nodes[id] { s.insert(l) }
      for c in children(of: id) where !free[c].isEmpty { s.formUnion(free[c]) }
      if case .comprehension(let c) = nodes[id], !s.isEmpty {
        s.remove(c.iterVar)
        s.remove(c.accuVar)
        if let v = c.iterVar2 { s.remove(v) }
      }
      free[id] = s
      out[id] = !s.isEmpty
    }
    return out
  }

  /// For each node, whether its subtree holds a comprehension (a loop over a collection larger
  /// than the VM's limit ends the run: such nodes are never moved earlier or skipped).
  func containsComprehension() -> [Bool] {
    var out = [Bool](repeating: false, count: nodes.count)
    for id in nodes.indices {
      if case .comprehension = nodes[id] {
        out[id] = true
      } else {
        out[id] = children(of: id).contains { out[$0] }
      }
    }
    return out
  }
}
