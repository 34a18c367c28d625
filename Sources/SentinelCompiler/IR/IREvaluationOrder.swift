// The order in which codegen evaluates an IR's nodes, as a walk that codegen mirrors step for
// step: rules in schedule order (a group's guard first; a rule's attached placeholders right
// after it, `attachedConditionals`), each node's children in emission order. A shared node (condition dedupe) is computed at a visit — its *home* — and read back at
// later visits that are only reached when the home was (`SharingScope`), without visiting its
// children again.
//
// Which later visits those are: code runs in straight lines except where it may be skipped.
// The right operand of `a && b` runs exactly when `a` is not false, of `a || b` when `a` is not
// true, a dispatch group when its guard is not false: these *facts* describe when such code runs
// (`(x && y)` not false is `x` not false and `y` not false: facts are kept split into operands
// that are not `&&` / `||`). A value computed under facts F is available wherever the current
// facts include F — later in the same code, and in later code skipped under the same conditions
// (`has(event.amount) && event.amount > 1000.0` in two rules: the comparison is computed by the
// first and read by the second; when the amount is absent neither runs it). Node values are pure,
// so the facts mean the same wherever they are checked. The branches of `?:` and a
// comprehension's body and result are scopes of their own (loops repeat, branches exclude each
// other): what they compute is not available after them.
//
// Condition dedupe uses the walk to choose the shared nodes and their registers; `--stats` uses
// it to count the conditions a program computes.

import SentinelBuiltins
import SentinelModel

/// Where shared values are available: the facts that hold at the current point of the code, and
/// the facts under which each shared value was computed.
struct SharingScope {
  /// Current facts: `2 * node` (node is not false), `2 * node + 1` (node is not true).
  private(set) var facts: Set<Int> = []
  /// Shared node → the fact sets under which it was computed.
  private var homes: [IRNodeID: [Set<Int>]] = [:]

  /// Whether `id` was computed under facts that hold here.
  func isAvailable(_ id: IRNodeID) -> Bool {
    homes[id]?.contains { $0.isSubset(of: facts) } ?? false
  }

  /// Records that `id` is computed here.
  mutating func home(_ id: IRNodeID) {
    homes[id, default: []].append(facts)
  }

  /// Enters code that runs only when `a` is not false (`isAnd`) or not true; returns the facts
  /// to restore on leaving it.
  mutating func enter(unless a: IRNodeID, isAnd: Bool, in ir: IRFunction) -> Set<Int> {
    let saved = facts
    var stack = [a]
    while let n = stack.popLast() {
      switch ir.nodes[n] {
      case .and(let x, let y) where isAnd: stack += [x, y]
      case .or(let x, let y) where !isAnd: stack += [x, y]
      default: facts.insert(2 * n + (isAnd ? 0 : 1))
      }
    }
    return saved
  }

  /// Leaves code entered with `enter` (what it computed stays available under its facts).
  mutating func leave(_ saved: Set<Int>) {
    facts = saved
  }
}

/// A walk over the nodes codegen evaluates, in its order (see the file comment).
struct EvaluationWalk {
  let ir: IRFunction
  /// Nodes computed once per scope and kept (the sharing plan's nodes, or candidates).
  let shared: Set<IRNodeID>
  /// Counts a visit of a node that codegen computes (not a read of a shared value) when true.
  let isCondition: (IRNodeID) -> Bool

  private var scope = SharingScope()
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
    let (dependents, attached) = ir.attachedConditionals
    for group in ir.effectiveSchedule {
      guard let g = group.guardNode else {
        for r in group.rules where !attached.contains(r) {
          visitConsumed(ir.ruleRoots[r])
          // As codegen's `emitRule`: the attached roots' branches after the rule, each branch's
          // nodes in one scope (the condition is the rule's register, not visited again).
          guard let ks = dependents[r] else { continue }
          scoped { w in
            _ = w.scope.enter(unless: w.ir.ruleRoots[r], isAnd: true, in: w.ir)
            for k in ks {
              if case .conditional(_, let t, _) = w.ir.nodes[w.ir.ruleRoots[k]] { w.visitConsumed(t) }
            }
          }
          scoped { w in
            for k in ks {
              if case .conditional(_, _, let e) = w.ir.nodes[w.ir.ruleRoots[k]] { w.visitConsumed(e) }
            }
          }
        }
        continue
      }
      visitConsumed(g)
      let saved = scope.enter(unless: g, isAnd: true, in: ir)
      for r in group.rules { visitConsumed(ir.ruleRoots[r]) }
      scope.leave(saved)
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

  /// Code that repeats or excludes other code: what it computes is not available after it.
  private mutating func scoped(_ body: (inout EvaluationWalk) -> Void) {
    let saved = scope
    body(&self)
    scope = saved
  }

  private mutating func visit(_ id: IRNodeID) {
    position += 1
    let start = position
    let isShared = shared.contains(id)
    if isShared && scope.isAvailable(id) {
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
      var isAnd = false
      if case .and = ir.nodes[id] { isAnd = true }
      let saved = scope.enter(unless: a, isAnd: isAnd, in: ir)
      visit(b)
      scope.leave(saved)
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
      scope.home(id)
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
