// The worst-case cost of one run: Σ over instructions of (the opcode's cost + the builtin's
// declared cost for calls) × (N + 1)^depth, where N = `maxCollectionSize` and depth is the
// instruction's loop nesting depth. Why it bounds every run: outside loops every jump is
// forward, so an instruction runs at most once per entry of its innermost loop's body; a loop
// runs its body at most N times per entry (the VM refuses larger collections; counters start at
// 0 and only grow) and its header N + 1 times; a loop is entered at most once per iteration of
// the enclosing one. Unreachable instructions are counted too (a sound over-approximation).

import SentinelBuiltins
import SentinelBytecode

/// The verifier's worst-case cost bound.
enum CostBound {
  /// The bound for a program, saturating at `Int.max`.
  static func compute(
    _ p: Program, loops: LoopStructure, overloads: [Overload], catalog: Catalog, limits: Limits
  ) -> Int {
    let perLevel = add(max(0, limits.maxCollectionSize), 1)
    var powers = [1]
    var total = 0
    for (pc, ins) in p.code.enumerated() {
      let depth = loops.depth[pc]
      while powers.count <= depth { powers.append(multiply(powers[powers.count - 1], perLevel)) }
      total = add(
        total, multiply(cost(of: ins, in: p, overloads: overloads, catalog: catalog), powers[depth]))
    }
    return total
  }

  /// One execution of `ins`: the table's cost, plus the overload's for `call`, plus the dearest
  /// candidate overload's for `call.dyn`.
  static func cost(of ins: Instruction, in p: Program, overloads: [Overload], catalog: Catalog) -> Int {
    let base = max(0, ins.opcode.info.cost)
    switch ins.opcode {
    case .call:
      return add(base, max(0, overloads[Int(ins.b)].cost))
    case .callDynamic:
      let f = p.functions[Int(ins.b)]
      let dearest = catalog.overloads(of: f.name).map { max(0, catalog.overloads[$0].cost) }.max() ?? 0
      return add(base, dearest)
    default:
      return base
    }
  }

  static func add(_ x: Int, _ y: Int) -> Int {
    let (r, o) = x.addingReportingOverflow(y)
    return o ? Int.max : r
  }

  static func multiply(_ x: Int, _ y: Int) -> Int {
    let (r, o) = x.multipliedReportingOverflow(by: y)
    return o ? Int.max : r
  }
}
