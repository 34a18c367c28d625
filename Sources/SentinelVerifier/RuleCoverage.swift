// Whether every run of a program writes every rule result, so that the VM can skip resetting
// the results to null before a run (`VerifiedProgram.writesEveryRule`; measured in
// docs/performance.md, "session 12").
//
// A forward must-analysis over the code the VM runs: the set of rule indices written on every
// path from pc 0, intersected where paths meet, checked full at each `ret`. Writes are the
// operands the opcode table marks `.rule` (`rule`, `rule.2`, `rule.move.jf`, any future one);
// each such instruction writes its rules before it branches. Jumps go forward (backward_jump),
// so one pass in pc order sees every predecessor of an instruction before the instruction.
// Programs with a loop answer false: `iter.next` may end a run early with a `limit` error,
// before the rules after the loop are written (and `loop` is the one backward edge).

import SentinelBytecode

/// The rule-coverage analysis.
enum RuleCoverage {
  /// The largest table (instructions × 64-bit words of rule bits) the analysis builds; larger
  /// programs answer false (the VM then resets the results, which is always right).
  static let maxWords = 1 << 20

  /// Whether every path from pc 0 to a `ret` of verified, loop-free `code` writes every rule
  /// index below `ruleCount`. Unreachable instructions do not count.
  static func writesEveryRule(_ code: [Instruction], ruleCount: Int) -> Bool {
    let n = code.count
    guard ruleCount > 0 else { return true }
    let w = (ruleCount + 63) / 64
    guard n > 0, n <= maxWords / w else { return false }
    // written[pc]: the rules written on every path to pc found so far; reached[pc]: some path.
    var written = [UInt64](repeating: 0, count: n * w)
    var reached = [Bool](repeating: false, count: n)
    reached[0] = true
    var row = [UInt64](repeating: 0, count: w)
    for pc in 0..<n where reached[pc] {
      let ins = code[pc]
      switch ins.opcode {
      case .iterInit, .iterNext, .iterNext2, .loop: return false
      default: break
      }
      for k in 0..<w { row[k] = written[pc * w + k] }
      for (i, kind) in ins.opcode.info.operands.enumerated() where kind == .rule {
        // INVARIANT: verified code: rule operands are below ruleCount (rule_out_of_bounds).
        let r = Int(ins.operand(i))
        row[r >> 6] |= 1 << UInt64(r & 63)
      }
      if ins.opcode == .ret {
        for k in 0..<w where row[k] != mask(word: k, ruleCount: ruleCount) { return false }
        continue
      }
      // INVARIANT: verified code: targets are forward and in bounds, and the last instruction
      // is `ret` (falls_off_end), so pc + 1 < n wherever execution can fall through.
      if let t = ins.targetOperand { merge(row, into: &written, at: Int(ins.operand(t)), w, &reached) }
      if ins.opcode != .jump, pc + 1 < n { merge(row, into: &written, at: pc + 1, w, &reached) }
    }
    return true
  }

  /// The bits of rules 64k … 64k+63 that exist.
  private static func mask(word k: Int, ruleCount: Int) -> UInt64 {
    let bits = min(64, ruleCount - 64 * k)
    return bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
  }

  /// Meets `row` into the state of `pc`: the first path sets it, later ones intersect.
  private static func merge(
    _ row: [UInt64], into written: inout [UInt64], at pc: Int, _ w: Int, _ reached: inout [Bool]
  ) {
    guard pc < reached.count else { return }
    if reached[pc] {
      for k in 0..<w { written[pc * w + k] &= row[k] }
    } else {
      reached[pc] = true
      for k in 0..<w { written[pc * w + k] = row[k] }
    }
  }
}
