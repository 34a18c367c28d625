// The worst-case cost of one run: Σ over instructions of (the opcode's cost + the builtin's
// declared cost for calls) × Π over the loops containing it of (trip(loop) + 1), where
// trip(loop) = min(N, the static bound on its range's element count) and N =
// `maxCollectionSize`. With no static bound this is (N + 1)^depth.
//
// Why it bounds every run: outside loops every jump is forward, so an instruction runs at most
// once per entry of its innermost loop's body; a loop runs its body at most trip times per entry
// (the VM refuses collections larger than N; a range's count is at most its static bound since
// values are immutable and the body never writes the range register; counters start at 0 and
// only grow) and its header trip + 1 times; a loop is entered at most once per iteration of the
// enclosing one. Unreachable instructions are counted too (a sound over-approximation).

import SentinelBuiltins
import SentinelBytecode

/// The verifier's worst-case cost bound.
enum CostBound {
  /// The bound for a program, saturating at `Int.max`. `rangeBounds` holds, per loop header, a
  /// static bound on its range's element count.
  static func compute(
    _ p: Program, loops: LoopStructure, rangeBounds: [Int], overloads: [Overload], catalog: Catalog,
    limits: Limits
  ) -> Int {
    let n = max(0, limits.maxCollectionSize)
    // How many times one entry of the program runs each loop's header, outermost first.
    var runs: [Int] = []
    for loop in loops.loops {
      let trip = min(n, max(0, rangeBounds[loop.header]))
      let outer = loop.parent.map { runs[$0] } ?? 1
      runs.append(multiply(outer, add(trip, 1)))
    }
    var total = 0
    for (pc, ins) in p.code.enumerated() {
      let l = loops.innermost[pc]
      let times = l >= 0 ? runs[l] : 1
      total = add(total, multiply(cost(of: ins, in: p, overloads: overloads, catalog: catalog), times))
    }
    return total
  }

  /// One execution of `ins`: the table's cost, plus the overload's for `call` and the fused
  /// calls, plus the dearest candidate overload's for `call.dyn`.
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
      guard let fused = ins.opcode.fusedCall else { return base }
      return add(base, max(0, overloads[Int(ins.operand(fused.builtin))].cost))
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
