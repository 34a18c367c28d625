// Load-time superinstructions: a verified program's most common instruction sequences, rewritten
// into one instruction each for the VM to run. Runtime side (no compiler import): it works on
// any bundle, old or new, and the bundle format does not change.
//
// `load.var x, v; load.const x+1, k; call a, f, x..x+1` is most of a rule set's code (a field
// compared with a literal: `event.amount > 1000.0`, `event.type == "login"`, `x in [...]`); it
// becomes `call.vk a, v, k, f`, which calls f's one implementation on the variable and the
// constant directly, with one dispatch instead of three and without writing x and x+1 — two
// `Value` copies (with their retain/release) fewer. Likewise `load.var; load.var; call` →
// `call.vv`, `load.var; call` (unary) → `call.v`, and the conjunct of a rule condition, `…;
// call t, …; and a, t` → `and.vk` and `load.var t; and a, t` → `and.v`. Measured in
// docs/performance.md (issue 5). Rule writes fuse with their neighbours (`rule.move.jf`,
// `rule.2`, `rule.var`, `rule.rv`) and tests with the branch after them (`move.jf`, `and.jf`,
// `has.jf`): docs/bytecode.md lists every sequence.
//
// A sequence is fused only when (1) no jump lands inside it (its later instructions are not
// leaders), (2) the call is unguarded (its argument kinds are proven), and (3) each argument
// register the fused instruction no longer writes is dead after the call: on every path from
// the next instruction it is written before it is read (`isDead`: the registers live at each pc,
// from one backward dataflow over the code — `Liveness`; for a program too large for its
// bitsets, a bounded search that, when its budget runs out, simply does not fuse). The rewritten code is shorter, so jump
// targets and the source map are renumbered; the result is a new `Program` that the verifier
// then verifies from scratch like any other (Verifier.swift), so a fusion bug can make the VM
// run the unfused code, never an unverified one.

import SentinelBuiltins
import SentinelBytecode

/// The load-time peephole rewrite into fused instructions.
enum Fusion {
  /// How many instructions the liveness search may visit per register before giving up.
  static let searchBudget = 256

  /// The fused form of a verified program, or nil when nothing fuses. `guardedCalls` is the
  /// verifier's per-pc result for `p`.
  static func fuse(_ p: Program, guardedCalls: [Bool], overloads: [Overload], variableKinds: [ValueKind])
    -> Program?
  {
    // Jumps are threaded first as well as last: a `jump.false a` that only other `jump.false a`
    // reached (a short-circuit chain's next test) is then no jump's target any more, so it can
    // fuse with the instruction before it (`and.jf`, `has.jf`, `move.jf`).
    var code = p.code
    var fused = threadJumps(&code)
    let n = code.count
    var isLeader = [Bool](repeating: false, count: n + 1)
    for ins in code {
      if let t = ins.targetOperand { isLeader[min(n, Int(ins.operand(t)))] = true }
    }
    let liveness = Liveness(code, registerCount: Int(p.registerCount))
    var out: [Instruction] = []
    out.reserveCapacity(n)
    // Old pc → new pc (pcs inside a fused sequence map to it; no jump targets them).
    var newPC = [Int](repeating: 0, count: n + 1)
    var pc = 0
    while pc < n {
      newPC[pc] = out.count
      // load.const x, k or load.var x, v with x dead after it → nothing: a write no path reads
      // (the compiler's null initialisations of registers every path writes before reading).
      // Removing a write of a dead register changes no register's liveness, so the other
      // rewrites' answers stand; a jump to it lands on the next instruction.
      if code[pc].opcode == .loadConst || code[pc].opcode == .loadVar,
        Fusion.isDeadWrite(code[pc].a, at: pc, in: code, liveness: liveness)
      {
        pc += 1
        fused += 1
        continue
      }
      if let (ins, length) = match(
        code, at: pc, isLeader: isLeader, guardedCalls: guardedCalls, overloads, liveness: liveness)
      {
        for j in 1..<length { newPC[pc + j] = out.count }
        out.append(specialized(ins, p, overloads, variableKinds))
        pc += length
        fused += 1
      } else {
        out.append(code[pc])
        pc += 1
      }
    }
    newPC[n] = out.count
    for i in out.indices {
      guard let t = out[i].targetOperand else { continue }
      out[i].setOperand(t, UInt32(newPC[Int(out[i].operand(t))]))
    }
    fused += threadJumps(&out)
    guard fused > 0 else { return nil }
    var q = p
    q.code = out
    q.sourceMap = p.sourceMap.map { SourceMapEntry(pc: newPC[$0.pc], span: $0.span) }
    return q
  }

  /// Jump threading: a jump taken because register a is false (`jump.false a`, `move.jf a`,
  /// `rule.move.jf a`) or true (`jump.true a`) whose target tests a again (`jump.false a` or
  /// `jump.true a`) goes where that test goes — nothing runs in between, so a holds the same
  /// value: on to its target when the test is the same, to the instruction after it when it is
  /// the opposite; a `jump` to a `jump` goes to the latter's target. Chains are followed (at most
  /// 8 hops). Codegen makes such chains wherever a short-circuit `&&` ends where the next one
  /// tests its accumulator (`jump.false r2, @13` … `13: jump.false r2, @15` …): 22 jumps of the
  /// reference program and 18 of the peer program are retargeted (`sentinel disasm --fused`
  /// before and after). Targets stay forward (backward_jump); no
  /// instruction is removed. Returns the number of jumps retargeted.
  static func threadJumps(_ code: inout [Instruction]) -> Int {
    var changed = 0
    for i in code.indices {
      guard let t = code[i].targetOperand else { continue }
      let ins = code[i]
      // The register tested and the value the jump is taken on; nil for `jump`.
      let taken: (register: UInt16, value: Bool)?
      switch ins.opcode {
      case .jump: taken = nil
      case .jumpIfFalse, .moveJumpIfFalse, .ruleMoveJumpIfFalse, .andJumpIfFalse, .hasVariableJumpIfFalse:
        taken = (ins.a, false)
      case .jumpIfTrue: taken = (ins.a, true)
      default: continue
      }
      let start = Int(ins.operand(t))
      var target = start
      for _ in 0..<8 where target < code.count {
        let next = code[target]
        guard let taken else {
          guard next.opcode == .jump, let u = next.targetOperand else { break }
          target = Int(next.operand(u))
          continue
        }
        guard next.a == taken.register, next.opcode == .jumpIfFalse || next.opcode == .jumpIfTrue else {
          break
        }
        // Taken on the same value as the jump that got here: its target; else it falls through.
        target = (next.opcode == .jumpIfTrue) == taken.value ? Int(next.b) : target + 1
      }
      if target != start {
        code[i].setOperand(t, UInt32(target))
        changed += 1
      }
    }
    return changed
  }

  /// The fused instruction starting at `pc` and how many instructions it replaces, if any.
  static func match(
    _ code: [Instruction], at pc: Int, isLeader: [Bool], guardedCalls: [Bool], _ overloads: [Overload],
    liveness: Liveness? = nil
  ) -> (Instruction, Int)? {
    func isDead(_ r: UInt16, after pc: Int, in code: [Instruction], unless written: UInt16? = nil) -> Bool {
      if r == written { return true }
      if let liveness { return !liveness.isLive(Int(r), at: pc + 1) }
      return Fusion.isDead(r, after: pc, in: code)
    }
    /// Instruction `pc + k`, if it exists and no jump lands on it.
    func next(_ k: Int) -> Instruction? {
      pc + k < code.count && !isLeader[pc + k] ? code[pc + k] : nil
    }
    let first = code[pc]
    if first.opcode == .ruleResult, let second = next(1) {
      // rule a, k; move a, s; jump.false a, T → rule.move.jf a, k, s, T (a rule's result, then
      // the next rule's accumulator from a shared guard)
      if second.opcode == .move, second.a == first.a, let third = next(2), third.opcode == .jumpIfFalse,
        third.a == first.a
      {
        return (Instruction(.ruleMoveJumpIfFalse, first.a, first.b, second.b, third.b), 3)
      }
      // rule a, k; rule a, m → rule.2 a, k, m (rules skipped together by a false guard)
      if second.opcode == .ruleResult, second.a == first.a {
        return (Instruction(.ruleTwice, first.a, first.b, second.b), 2)
      }
      // rule a, k; load.var x, v; rule x, m → rule.rv a, k, m, v (x dead after: a state
      // program's filter result, then the next result, a variable: the aggregate's value or
      // the next aggregate's key)
      if second.opcode == .loadVar, let third = next(2), third.opcode == .ruleResult, third.a == second.a,
        isDead(second.a, after: pc + 2, in: code)
      {
        return (Instruction(.ruleRuleVar, first.a, first.b, third.b, second.b), 3)
      }
      return nil
    }
    // and a, b; jump.false a, T → and.jf a, b, T and has.var a, v; jump.false a, T → has.jf a,
    // v, T (a conjunct, or a presence test, and the short-circuit branch after it; a is written
    // on both edges, as before)
    // NOTE: with `rule.rv` above, the pairs the reference rules' programs ran most per event
    // (a scratch build counting executed pcs on the scaled corpus): dispatches per event 48.6 →
    // 40.7 (state program) and 57.7 → 50.9 (rule program), the peer program's 72.7 → 70.4;
    // replay's and `sentinel bench`'s times within the host's noise (docs/performance.md,
    // "s19-fuse").
    if first.opcode == .logicalAnd || first.opcode == .hasVariable, let second = next(1),
      second.opcode == .jumpIfFalse, second.a == first.a
    {
      let op: Opcode = first.opcode == .logicalAnd ? .andJumpIfFalse : .hasVariableJumpIfFalse
      return (Instruction(op, first.a, first.b, second.b), 2)
    }
    // move a, b; jump.false a, T → move.jf a, b, T (a is written on both edges, as before)
    if first.opcode == .move, let second = next(1), second.opcode == .jumpIfFalse, second.a == first.a {
      return (Instruction(.moveJumpIfFalse, first.a, first.b, second.b), 2)
    }
    guard first.opcode == .loadVar, let second = next(1) else { return nil }
    let x = first.a
    // load.var x, v; rule x, k → rule.var k, v (a state program's aggregate keys and values:
    // one dispatch and one `Value` copy fewer, no register written)
    if second.opcode == .ruleResult, second.a == x, isDead(x, after: pc + 1, in: code) {
      return (Instruction(.ruleVar, 0, second.b, first.b), 2)
    }
    // load.var t, v; and a, t → and.v a, v
    if second.opcode == .logicalAnd, second.b == UInt32(x), second.a != x, isDead(x, after: pc + 1, in: code)
    {
      return (Instruction(.andVar, second.a, first.b), 2)
    }
    // load.var x, v; call a, f, x (unary) → call.v a, v, f
    if second.opcode == .call, second.d == 1, second.c == UInt32(x), !guardedCalls[pc + 1],
      isDead(x, after: pc + 1, in: code, unless: second.a)
    {
      return (Instruction(.callVar, second.a, first.b, second.b), 2)
    }
    // load.var x, v; load.{const,var} x+1, w; call a, f, x..x+1
    guard second.opcode == .loadConst || second.opcode == .loadVar, Int(second.a) == Int(x) + 1,
      let third = next(2), third.opcode == .call, third.d == 2, third.c == UInt32(x), !guardedCalls[pc + 2],
      isDead(x, after: pc + 2, in: code, unless: third.a),
      isDead(second.a, after: pc + 2, in: code, unless: third.a)
    else { return nil }
    // …; and a, t (t the call's result, dead after) → and.vk a, v, k, f
    if second.opcode == .loadConst, let fourth = next(3), fourth.opcode == .logicalAnd,
      fourth.b == UInt32(third.a),
      fourth.a != third.a, isDead(third.a, after: pc + 3, in: code)
    {
      return (Instruction(.andVarConst, fourth.a, first.b, second.b, third.b), 4)
    }
    let op: Opcode = second.opcode == .loadConst ? .callVarConst : .callVarVar
    return (Instruction(op, third.a, first.b, second.b, third.b), 3)
  }

  /// A fused call as its typed instruction (`test.vk`, `and.test.vk`, `test.vv`) when the
  /// builtin has a typed kernel for the variables' kinds and the constant (TypedTest.swift);
  /// otherwise unchanged. The operands stay the same: only the opcode says "typed".
  static func specialized(
    _ ins: Instruction, _ p: Program, _ overloads: [Overload], _ variableKinds: [ValueKind]
  )
    -> Instruction
  {
    var out = ins
    // INVARIANT: the operands come from a verified call and its loads: in bounds.
    switch ins.opcode {
    case .callVarConst, .andVarConst:
      let kernel = overloads[Int(ins.d)].kernel
      let x = variableKinds[Int(ins.b)]
      guard TypedTest.kind(kernel, variable: x, constant: p.constants[Int(ins.c)]) != nil else { return ins }
      out.opcode = ins.opcode == .callVarConst ? .testVarConst : .andTestVarConst
    case .callVarVar:
      let kernel = overloads[Int(ins.d)].kernel
      let x = variableKinds[Int(ins.b)]
      guard TypedTest.kind(kernel, variable: x, variable: variableKinds[Int(ins.c)]) != nil else {
        return ins
      }
      out.opcode = .testVarVar
    default:
      return ins
    }
    return out
  }

  /// Whether the register `r` written at `pc` is dead after it: by `liveness` when it was
  /// built, else by the bounded search.
  static func isDeadWrite(_ r: UInt16, at pc: Int, in code: [Instruction], liveness: Liveness?) -> Bool {
    if let liveness { return !liveness.isLive(Int(r), at: pc + 1) }
    return isDead(r, after: pc, in: code)
  }

  /// Whether register `r` is dead after the instruction at `pc` (which writes `written`): on
  /// every path from pc + 1 it is written before it is read. Conservative: a write only counts
  /// when the instruction cannot jump (the writes of `iter.*` happen on one edge only), and
  /// the search gives up (answers false) after `searchBudget` instructions. The fallback of
  /// `Liveness`, which answers the same question exactly, without a budget.
  static func isDead(_ r: UInt16, after pc: Int, in code: [Instruction], unless written: UInt16? = nil)
    -> Bool
  {
    if r == written { return true }
    let reg = Int(r)
    var stack = [pc + 1]
    var seen = Set<Int>()
    var budget = searchBudget
    while let at = stack.popLast() {
      guard at < code.count else { return false }
      guard seen.insert(at).inserted else { continue }
      budget -= 1
      if budget < 0 { return false }
      let ins = code[at]
      for read in ins.readRegisters() where reg >= read.first && reg < read.first + read.count {
        return false
      }
      let target = ins.targetOperand.map { Int(ins.operand($0)) }
      if target == nil {
        var killed = false
        for w in ins.writtenRegisters() where reg >= w.first && reg < w.first + w.count { killed = true }
        if killed { continue }
      }
      if let target { stack.append(target) }
      switch ins.opcode {
      case .jump, .loop, .ret: break
      default: stack.append(at + 1)
      }
    }
    return true
  }
}

/// The registers live on entry to each instruction: read on some path from it before being
/// written, by the same rules as `Fusion.isDead` — a write counts only when the instruction
/// cannot jump, and past the end of the code every register counts as live — but exact: one
/// backward dataflow over the whole code instead of a search per question that gives up after
/// `searchBudget` instructions. (In the peer workload's program the bounded search gave up on
/// registers whose next write lies past a skipped rule block, and left five `load.var; load.*;
/// call` sequences unfused — docs/performance.md, "VM: string tests".)
struct Liveness {
  /// 64-bit words per row.
  let words: Int
  /// Row pc (0…n): the live-in set of instruction pc; row n (past the end) is all ones.
  private(set) var bits: [UInt64]

  /// The largest table built (rows × words); beyond it, nil: `isDead`'s bounded search decides.
  /// The build holds three tables of this size (live, read and killed registers) for a moment.
  static let maxWords = 1 << 20

  init?(_ code: [Instruction], registerCount: Int) {
    let n = code.count
    let w = max(1, (registerCount + 63) / 64)
    guard (n + 1) * w <= Liveness.maxWords else { return nil }
    words = w
    bits = [UInt64](repeating: 0, count: (n + 1) * w)
    for k in 0..<w { bits[n * w + k] = ~0 }
    // Per instruction, once, without allocating: its successors, and the registers it reads and
    // those it kills (writes, when it cannot jump), as bit rows.
    var read = [UInt64](repeating: 0, count: n * w)
    var kill = [UInt64](repeating: 0, count: n * w)
    var successors = [Int](repeating: -1, count: 2 * n)
    func set(_ table: inout [UInt64], _ pc: Int, _ first: Int, _ count: Int) {
      for r in first..<(first + count) where r < w * 64 { table[pc * w + (r >> 6)] |= 1 << UInt64(r & 63) }
    }
    for (pc, ins) in code.enumerated() {
      // INVARIANT: verified code: targets are at most n (target_out_of_bounds).
      let target = ins.targetOperand.map { min(n, Int(ins.operand($0))) }
      successors[2 * pc] = target ?? -1
      switch ins.opcode {
      case .jump, .loop, .ret: break
      default: successors[2 * pc + 1] = pc + 1
      }
      for (i, kind) in ins.opcode.info.operands.enumerated() {
        switch kind {
        case .use: set(&read, pc, Int(ins.operand(i)), 1)
        case .useRange: set(&read, pc, Int(ins.operand(i)), ins.registerSpan(ofOperand: i))
        case .useDef:
          set(&read, pc, Int(ins.operand(i)), 1)
          if target == nil { set(&kill, pc, Int(ins.operand(i)), 1) }
        case .def: if target == nil { set(&kill, pc, Int(ins.operand(i)), 1) }
        case .defRange:
          if target == nil { set(&kill, pc, Int(ins.operand(i)), ins.registerSpan(ofOperand: i)) }
        default: break
        }
      }
    }
    // Jumps go forward except `loop` (backward_jump), so one reverse pass is exact for loop-free
    // code; a loop's back edge takes another pass, until nothing changes.
    var changed = true
    while changed {
      changed = false
      for pc in stride(from: n - 1, through: 0, by: -1) {
        let t = successors[2 * pc]
        let f = successors[2 * pc + 1]
        for k in 0..<w {
          var out: UInt64 = 0
          if t >= 0 { out |= bits[t * w + k] }
          if f >= 0 { out |= bits[f * w + k] }
          let row = (out & ~kill[pc * w + k]) | read[pc * w + k]
          if bits[pc * w + k] != row {
            bits[pc * w + k] = row
            changed = true
          }
        }
      }
    }
  }

  /// Whether register `r` is live on entry to instruction `pc` (pc = code.count: past the end).
  func isLive(_ r: Int, at pc: Int) -> Bool {
    guard r < words * 64 else { return true }
    return bits[pc * words + (r >> 6)] & (1 << UInt64(r & 63)) != 0
  }
}

extension Instruction {
  /// Sets operand `i` (1 = b … 3 = d; jump targets are never in a).
  fileprivate mutating func setOperand(_ i: Int, _ x: UInt32) {
    switch i {
    case 1: b = x
    case 2: c = x
    default: d = x
    }
  }
}
