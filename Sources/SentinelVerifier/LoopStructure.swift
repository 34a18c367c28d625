// Loop structure: the only backward edge is `loop`, and it must close a well-formed loop.
//
// A loop is [header, end]: `header` is an `iter.next`/`iter.next2`, `end` the one `loop` that
// jumps back to it. Rules: the header's exit target lies after `end`; bodies nest properly; no
// jump enters a body except at its header; and no instruction of the body (nested loops
// included) writes the header's counter or range register, nor does the header bind its loop
// variables over them. Since the VM refuses ranges larger than `maxCollectionSize` and counters
// only come from `iter.init` (0) and `iter.next` (+1), each entry of a loop runs its body at
// most `maxCollectionSize` times: with forward-only jumps elsewhere, every program terminates.

import SentinelBytecode

/// One loop: an `iter.next` header and the `loop` instruction that closes it.
struct Loop {
  let header: Int
  let end: Int
  /// The innermost enclosing loop (an index into `LoopStructure.loops`).
  var parent: Int?
}

/// The loops of a program and each instruction's nesting depth.
struct LoopStructure {
  /// Sorted by header.
  private(set) var loops: [Loop] = []
  /// For each pc: how many loop bodies contain it.
  private(set) var depth: [Int]
  /// For each pc: the innermost loop containing it (an index into `loops`), or -1.
  private(set) var innermost: [Int] = []

  init(_ p: Program, maxDepth: Int) throws(VerificationError) {
    let code = p.code
    depth = Array(repeating: 0, count: code.count)
    // INVARIANT: operand checks ran, so every `loop` target is an instruction before it.
    var closedBy: [Int: Int] = [:]
    for (pc, ins) in code.enumerated() where ins.opcode == .loop {
      let h = Int(ins.b)
      let head = code[h]
      guard head.opcode == .iterNext || head.opcode == .iterNext2 else {
        throw VerificationError(
          .loopTargetNotIterNext, pc: pc, opcode: .loop, operand: 1,
          "loop target @\(h) is `\(head.opcode.info.name)`, not `iter.next` or `iter.next2`")
      }
      if let first = closedBy[h] {
        throw VerificationError(
          .duplicateLoop, pc: pc, opcode: .loop, operand: 1,
          "a second loop back to @\(h) (the first is at pc \(first))")
      }
      closedBy[h] = pc
      guard Int(head.d) > pc else {
        throw VerificationError(
          .loopExitInsideBody, pc: h, opcode: head.opcode, operand: 3,
          "exit target @\(head.d) is inside the loop, which ends at pc \(pc)")
      }
      loops.append(Loop(header: h, end: pc))
    }
    loops.sort { $0.header < $1.header }
    try nest(maxDepth: maxDepth, code: code)
    innermost = mapInnermost(count: code.count)
    try checkEntries(code, innermost: innermost)
    try checkIterationRegisters(code)
  }

  /// Finds each loop's parent, rejects overlapping bodies and deep nesting, fills `depth`.
  private mutating func nest(maxDepth: Int, code: [Instruction]) throws(VerificationError) {
    var stack: [Int] = []
    for i in loops.indices {
      while let top = stack.last, loops[top].end < loops[i].header { stack.removeLast() }
      if let top = stack.last {
        // top.header < header ≤ top.end: the body must lie inside the enclosing one.
        guard loops[i].end < loops[top].end else {
          throw VerificationError(
            .improperNesting, pc: loops[i].end, opcode: .loop,
            "loop @\(loops[i].header)…\(loops[i].end) overlaps loop @\(loops[top].header)…\(loops[top].end)"
              + " without nesting inside it")
        }
        loops[i].parent = top
      }
      stack.append(i)
      guard stack.count <= maxDepth else {
        throw VerificationError(
          .loopTooDeep, pc: loops[i].header, opcode: code[loops[i].header].opcode,
          "loops nest \(stack.count) deep; the limit is \(maxDepth)")
      }
    }
  }

  /// For each pc, the innermost loop containing it (or -1); also fills `depth`.
  private mutating func mapInnermost(count: Int) -> [Int] {
    var innermost = Array(repeating: -1, count: count)
    var stack: [Int] = []
    var next = 0
    for pc in 0..<count {
      while let top = stack.last, loops[top].end < pc { stack.removeLast() }
      while next < loops.count, loops[next].header == pc {
        stack.append(next)
        next += 1
      }
      innermost[pc] = stack.last ?? -1
      depth[pc] = stack.count
    }
    return innermost
  }

  /// No jump from outside a body lands inside it other than on its header. Bodies nest, so it is
  /// enough to look at the innermost loop that contains the target strictly after its header.
  private func checkEntries(_ code: [Instruction], innermost: [Int]) throws(VerificationError) {
    for (pc, ins) in code.enumerated() where ins.opcode != .loop {
      guard let operand = ins.targetOperand else { continue }
      let t = Int(ins.operand(operand))
      var l = innermost[t]
      if l >= 0 && loops[l].header == t { l = loops[l].parent ?? -1 }
      guard l >= 0 else { continue }
      let loop = loops[l]
      guard loop.header <= pc && pc <= loop.end else {
        throw VerificationError(
          .jumpIntoLoop, pc: pc, opcode: ins.opcode, operand: operand,
          "jump target @\(t) is inside the loop @\(loop.header)…\(loop.end), which the jump is outside of")
      }
    }
  }

  /// The counter and range registers of each loop stay untouched by its body.
  private func checkIterationRegisters(_ code: [Instruction]) throws(VerificationError) {
    for loop in loops {
      let head = code[loop.header]
      let counter = Int(head.a)
      let range = Int(head.b)
      let bound = Int(head.c)..<(Int(head.c) + head.registerSpan(ofOperand: 2))
      for r in [counter, range] where bound.contains(r) {
        throw VerificationError(
          .loopWritesIterationRegister, pc: loop.header, opcode: head.opcode, operand: 2,
          "loop variable register r\(r) is also the loop's \(r == counter ? "counter" : "range") register")
      }
      // INVARIANT: loops nest at most `maxDepth` deep, so this scan is O(code × maxDepth).
      for pc in (loop.header + 1)...loop.end {
        let ins = code[pc]
        for w in ins.writtenRegisters() {
          for r in [counter, range] where r >= w.first && r < w.first + w.count {
            throw VerificationError(
              .loopWritesIterationRegister, pc: pc, opcode: ins.opcode, operand: w.operand,
              "writes r\(r), the \(r == counter ? "counter" : "range") register of the loop"
                + " @\(loop.header)…\(loop.end)")
          }
        }
      }
    }
  }
}
