// Condition dedupe: a subexpression that several rules (or one rule, twice) evaluate is computed
// once per event and kept in a register of its own; later evaluations read that register.
//
// The IR is already hash-consed — `event.type == "transaction"` is ONE node however many rules
// test it — but codegen used to emit each rule's tree separately. This pass chooses which nodes
// codegen keeps (`IRFunction.sharing`), and their registers; codegen follows the plan.
//
// Where a shared value is computed: at its *home*, the first place codegen's walk evaluates it
// where no earlier home is known to have run (`EvaluationWalk`, `SharingScope`). Code that may
// be skipped runs under *facts* — the right operand of `a && b` only when `a` is not false, of
// `a || b` only when `a` is not true, a dispatch group only when its guard is not false — and a
// value computed under facts F is read back wherever the current facts include F: in later
// straight-line code, and in later code skipped under the same conditions. The branches of `?:`
// and comprehension bodies keep what they compute to themselves. So the optimized program never
// computes a value the unoptimized one would not have computed at that point, and computes each
// at most as often. Shared registers start null (one `load.const` each per run): the verifier's
// definite-assignment analysis cannot follow facts, and a read under facts is of a register the
// home wrote on every run that reaches it.
//
// Why it preserves every result: IR nodes are pure functions of the event (CEL has no side
// effects, and errors are values), so a node's value at its home equals its value at every
// later use, errors included — `&&`/`||` absorb a shared error exactly as a recomputed one.
// The one effect a node can have, a loop over a collection beyond the VM's limit ending the run,
// happens at the same place as before: the home is where the unoptimized program first
// evaluated the node too. Nodes that read a comprehension variable are not shared (their value
// changes per iteration); leaves (constants, variables) are not worth a register.
//
// Registers: shared values live from their first home to their last use; intervals that do
// not overlap share a register (greedy interval colouring), at most `registerBudget` of them —
// nodes beyond it are simply not shared. Leaves and `&&` / `||` nodes are never kept.

import SentinelBuiltins

/// Plans which subexpressions codegen computes once and keeps.
public enum ConditionDedupe {
  /// At most this many registers hold shared values (the verifier allows 4,096 in all; the VM
  /// sets every register up on each run, so more are not free).
  public static let registerBudget = 256

  /// The IR with a sharing plan (the arena itself is unchanged).
  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    let free = ir.hasFreeLocals()
    var candidates = Set<IRNodeID>()
    for id in ir.nodes.indices where !free[id] {
      switch ir.nodes[id] {
      // Leaves cost what reading a register costs. `&&` / `||` are not kept either: their
      // operands are, and keeping every combination of them (`a && b` of one rule, `a && c` of
      // another…) would take a register each for little gain — registers are set up per run.
      case .constant, .variable, .local, .present, .and, .or: continue
      default: candidates.insert(id)
      }
    }
    // Keep the nodes that are read back at least once. Dropping one that never is changes no
    // other node's visits (it was visited once per scope either way).
    var walk = EvaluationWalk(ir: ir, shared: candidates)
    walk.run()
    var shared = Set(candidates.filter { (walk.reuses[$0] ?? 0) > 0 })
    var out = ir
    while true {
      var w = EvaluationWalk(ir: ir, shared: shared)
      w.run()
      // Dropping a node for the budget makes its children visited more often, so check again.
      shared = Set(shared.filter { (w.reuses[$0] ?? 0) > 0 })
      let intervals = shared.compactMap { id -> (IRNodeID, Int, Int)? in
        guard let s = w.firstHome[id] else { return nil }
        return (id, s, w.lastUse[id] ?? s)
      }
      let (registers, count) = colour(intervals)
      let over = registers.filter { $0.value >= registerBudget }.map(\.key)
      if over.isEmpty {
        out.sharing = registers.isEmpty ? nil : IRSharing(registers: registers, registerCount: count)
        return out
      }
      shared.subtract(over)
    }
  }

  /// Greedy interval colouring, intervals in order of start: a register is free again once the
  /// interval holding it has ended.
  static func colour(_ intervals: [(IRNodeID, Int, Int)]) -> ([IRNodeID: Int], Int) {
    let sorted = intervals.sorted { ($0.1, $0.0) < ($1.1, $1.0) }
    var registers: [IRNodeID: Int] = [:]
    var active: [(end: Int, register: Int)] = []  // sorted by end, descending
    var free: [Int] = []
    var count = 0
    for (id, start, end) in sorted {
      while let last = active.last, last.end < start {
        free.append(last.register)
        active.removeLast()
      }
      let r: Int
      if let i = free.indices.min(by: { free[$0] < free[$1] }) {
        r = free.remove(at: i)
      } else {
        r = count
        count += 1
      }
      registers[id] = r
      let at = active.firstIndex { $0.end < end } ?? active.count
      active.insert((end, r), at: at)
    }
    return (registers, count)
  }
}
