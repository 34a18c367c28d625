// The closure-compiled form of a verified program (issue 5, an upper-bound experiment, session
// 14): the fused code the VM runs, translated once into Swift closures over the event's slots.
// Every register that a bool consumer reads (jumps, and/or, rule writes, move.jf) is a `Bool`
// in a plain Bool array, not a `Value`; each typed test is one closure specialized for its
// kernel, operands and constant (no opcode switch, no `TypedTest` read, no `Value` built);
// `and.test.vk` / `and.v` skip the test when the left side is already false. Straight-line runs
// of instructions are composed into one closure per basic block; a block returns the index of
// the next one (forward jumps only, as the verifier proves for code without loops).
//
// Not the VM's semantics in general: the closures assume every slot read holds a value of its
// declared kind and every bool consumer gets a bool. When that fails (unbound slot, another
// kind, a call returning an error), `Ctx.failed` is set and the caller reruns the event on the
// VM. A load.const of a non-bool into a bool register is allowed only where no bool read can see
// it (a forward dataflow below). Opcodes outside the translated set make `translate` fail.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVerifier

struct Ctx {
  var r: UnsafeMutablePointer<Bool>
  var v: UnsafeMutablePointer<Value>
  var out: UnsafeMutablePointer<Bool>
  var slots: UnsafeBufferPointer<Value?>
  var failed = false
  /// Per register: holds a non-bool constant (the bool in `r` is not its value).
  var poison: UInt64 = 0
}

typealias Step = (inout Ctx) -> Void
/// A closure in a struct: an array of them keeps each closure at its own abstraction (an array
/// of bare closures stores them reabstracted, and every call out of it went through two thunks).
struct StepBox { let run: Step }
/// A block's closure, boxed so that the driver loop calls it through an unowned reference (no
/// retain and release of the closure's context per call).
final class BlockBox {
  let run: (inout Ctx) -> Unmanaged<BlockBox>?
  init(_ run: @escaping (inout Ctx) -> Unmanaged<BlockBox>?) { self.run = run }
}

protocol BoolTest { func eval(_ c: inout Ctx) -> Bool }

struct OrderIntInt: BoolTest {
  let slot: Int, k: Int64, rel: Relation
  @inline(__always) func eval(_ c: inout Ctx) -> Bool {
    guard case .int(let x)? = c.slots[slot] else {
      c.failed = true
      return false
    }
    return rel.holds(x, k)
  }
}
struct OrderDoubleDouble: BoolTest {
  let slot: Int, k: Double, rel: Relation
  @inline(__always) func eval(_ c: inout Ctx) -> Bool {
    guard case .double(let x)? = c.slots[slot] else {
      c.failed = true
      return false
    }
    return rel.holds(x, k)
  }
}
struct EqualsString: BoolTest {
  let slot: Int, k: [UInt8], k0: String, negated: Bool
  @inline(__always) func eval(_ c: inout Ctx) -> Bool {
    guard case .string(let x)? = c.slots[slot] else {
      c.failed = true
      return false
    }
    if let e = x.utf8.withContiguousStorageIfAvailable({ s in
      k.withUnsafeBufferPointer { EqualityKernel.equal(utf8: s, utf8: $0) }
    }) {
      return e != negated
    }
    return EqualityKernel.equal(x, k0) != negated
  }
}
struct InSet: BoolTest {
  let slot: Int, payload: TypedTestPayload, isMap: Bool
  @inline(__always) func eval(_ c: inout Ctx) -> Bool {
    guard case .string(let x)? = c.slots[slot] else {
      c.failed = true
      return false
    }
    if let r = x.utf8.withContiguousStorageIfAvailable({ payload.set.contains(utf8: $0) }) {
      if !isMap { return r.found }
      if payload.set.isASCII && r.ascii { return r.found }
    }
    return isMap ? payload.map.contains(string: x) : Lists.containsString(payload.list, x)
  }
}
struct Matches: BoolTest {
  let slot: Int, pattern: ConstantPattern
  @inline(__always) func eval(_ c: inout Ctx) -> Bool {
    guard case .string(let x)? = c.slots[slot] else {
      c.failed = true
      return false
    }
    if let m = x.utf8.withContiguousStorageIfAvailable({ pattern.matches(utf8: $0) }) ?? nil { return m }
    if case .bool(let m) = pattern.matches(x) { return m }
    c.failed = true
    return false
  }
}
struct StringVars: BoolTest {
  let b: Int, c: Int, negated: Bool
  @inline(__always) func eval(_ ctx: inout Ctx) -> Bool {
    guard case .string(let x)? = ctx.slots[b], case .string(let y)? = ctx.slots[c] else {
      ctx.failed = true
      return false
    }
    if let e = x.utf8.withContiguousStorageIfAvailable({ u in
      y.utf8.withContiguousStorageIfAvailable { w in EqualityKernel.equal(utf8: u, utf8: w) }
    }) ?? nil {
      return e != negated
    }
    return EqualityKernel.equal(x, y) != negated
  }
}
struct BoolVar: BoolTest {
  let slot: Int
  @inline(__always) func eval(_ c: inout Ctx) -> Bool {
    guard case .bool(let x)? = c.slots[slot] else {
      c.failed = true
      return false
    }
    return x
  }
}

/// `r[a] = t` or, for the and-forms, `r[a] = r[a] && t` (short-circuit: the test has no effect
/// but its value, and `false && anything` is false in CEL).
enum SentinelEvalClosures {
  static func testStep<T: BoolTest>(_ t: T, _ a: Int, and: Bool) -> Step {
    if and {
      return { c in if c.r[a] { c.r[a] = t.eval(&c) } }
    }
    return { c in c.r[a] = t.eval(&c) }
  }
}

struct Translation {
  var blocks: [BlockBox] = []
  var registerCount = 0
  var unsupported: [String] = []
  var histogram: [String: Int] = [:]
  /// The opcode sequences of the blocks left as composed closures (not one specialized closure).
  var shapes: [String: Int] = [:]
}

enum RegClass { case bool, value }

func translate(_ vp: VerifiedProgram) -> Translation {
  var t = Translation()
  let code = vp.code
  let tests = vp.typedTests.tests
  let consts = vp.program.constants
  let kinds = vp.variableKinds
  let n = code.count
  t.registerCount = Int(vp.program.registerCount)
  for ins in code { t.histogram["\(ins.opcode)", default: 0] += 1 }

  // Jump targets, moved back over `and.test.vk` / `and.v` of the register that the jump found
  // false: with it false they only keep it false (`if c.r[a] { … }`), so landing on them is the
  // same, and the test and what follows it then make one block (`jump.false r4, @L` with
  // `L-1: and.test.vk r4, …` — the compiler's short-circuit of a rule's conjuncts).
  var targetOf = [Int](repeating: 0, count: n)
  for (pc, ins) in code.enumerated() {
    guard let op = ins.opcode.info.operands.firstIndex(of: .target) else { continue }
    var target = Int(ins.operand(op))
    let falseReg: Int?
    switch ins.opcode {
    case .jumpIfFalse, .moveJumpIfFalse, .ruleMoveJumpIfFalse: falseReg = Int(ins.a)
    default: falseReg = nil
    }
    if let r = falseReg {
      while target - 1 > pc,
        code[target - 1].opcode == .andTestVarConst || code[target - 1].opcode == .andVar,
        Int(code[target - 1].a) == r
      {
        target -= 1
      }
    }
    targetOf[pc] = target
  }
  // Leaders.
  var leader = [Bool](repeating: false, count: n + 1)
  leader[0] = true
  for (pc, ins) in code.enumerated() {
    if ins.opcode.info.operands.firstIndex(of: .target) != nil {
      leader[targetOf[pc]] = true
      leader[pc + 1] = true
    }
    if ins.opcode == .ret { leader[pc + 1] = true }
  }
  var blockOf = [Int](repeating: -1, count: n + 1)
  var starts: [Int] = []
  for pc in 0..<n where leader[pc] {
    blockOf[pc] = starts.count
    starts.append(pc)
  }

  func fail(_ s: String) { t.unsupported.append(s) }
  // The rule results are not reset between runs: every run must write every rule (as the VM
  // relies on, RuleCoverage.swift).
  if !vp.writesEveryRule { fail("a run may leave a rule result unwritten (writesEveryRule is false)") }
  let regs = t.registerCount
  guard regs <= 64 else {
    fail("more than 64 registers")
    return t
  }

  // Registers written and read by an instruction; the reads a bool consumer makes.
  func defs(_ ins: Instruction) -> [Int] {
    var out: [Int] = []
    for (i, k) in ins.opcode.info.operands.enumerated() where k == .def || k == .useDef {
      out.append(Int(ins.operand(i)))
    }
    return out
  }
  func uses(_ ins: Instruction) -> [Int] {
    var out: [Int] = []
    let kinds = ins.opcode.info.operands
    for (i, k) in kinds.enumerated() {
      switch k {
      case .use, .useDef: out.append(Int(ins.operand(i)))
      case .useRange:
        let count = kinds.firstIndex(of: .count).map { Int(ins.operand($0)) } ?? 0
        out += (0..<count).map { Int(ins.operand(i)) + $0 }
      default: break
      }
    }
    return out
  }
  func boolUses(_ ins: Instruction) -> [Int] {
    let a = Int(ins.a)
    let b = Int(ins.b)
    let c = Int(ins.c)
    switch ins.opcode {
    case .jumpIfFalse, .jumpIfTrue, .ruleResult, .ruleTwice, .andVar, .andTestVarConst, .andVarConst:
      return [a]
    case .logicalAnd, .logicalOr: return [a, b]
    case .moveJumpIfFalse: return [b]
    case .ruleMoveJumpIfFalse: return [a, c]
    default: return []
    }
  }

  // Webs: each def joined with the others that reach a common use (reaching definitions in pc
  // order: every jump is forward). A web is bool-valued when a bool consumer reads it.
  var parent: [Int: Int] = [:]
  func find(_ x: Int) -> Int {
    var x = x
    while let p = parent[x], p != x { x = p }
    return x
  }
  func union(_ x: Int, _ y: Int) { parent[find(x)] = find(y) }
  func node(_ pc: Int, _ r: Int) -> Int { pc * 64 + r }
  var reaching = [[Set<Int>]?](repeating: nil, count: n + 1)
  reaching[0] = [Set<Int>](repeating: [], count: regs)
  var useWebs: [Int: [Int]] = [:]  // node(pc, r) of a use → its reaching def nodes
  for pc in 0..<n {
    guard var state = reaching[pc] else { continue }
    let ins = code[pc]
    if ins.opcode != .ret {  // the harness ignores the returned value
      for r in uses(ins) {
        let ds = state[r].map { node($0, r) }
        useWebs[node(pc, r)] = ds
        for d in ds {
          if parent[d] == nil { parent[d] = d }
        }
        for d in ds.dropFirst() { union(d, ds[0]) }
      }
    }
    for r in defs(ins) {
      state[r] = [pc]
      if parent[node(pc, r)] == nil { parent[node(pc, r)] = node(pc, r) }
    }
    func merge(_ to: Int) {
      if var old = reaching[to] {
        for r in 0..<regs { old[r].formUnion(state[r]) }
        reaching[to] = old
      } else {
        reaching[to] = state
      }
    }
    if let op = ins.opcode.info.operands.firstIndex(of: .target) { merge(Int(ins.operand(op))) }
    if ins.opcode != .jump && ins.opcode != .ret { merge(pc + 1) }
  }
  var boolWeb = Set<Int>()
  var valueWeb = Set<Int>()
  for pc in 0..<n where reaching[pc] != nil && code[pc].opcode != .ret {
    let ins = code[pc]
    let bu = Set(boolUses(ins))
    for r in uses(ins) {
      guard let ds = useWebs[node(pc, r)], let d = ds.first else {
        fail("pc \(pc): r\(r) read with no reaching def")
        continue
      }
      if bu.contains(r) { boolWeb.insert(find(d)) } else if ins.opcode != .move { valueWeb.insert(find(d)) }
    }
  }
  // move: its source web and target web take one class.
  for _ in 0..<4 {
    for pc in 0..<n where code[pc].opcode == .move && reaching[pc] != nil {
      let ins = code[pc]
      guard let d = useWebs[node(pc, Int(ins.b))]?.first else { continue }
      let from = find(d)
      let to = find(node(pc, Int(ins.a)))
      if boolWeb.contains(to) || boolWeb.contains(from) {
        boolWeb.insert(to)
        boolWeb.insert(from)
      }
      if valueWeb.contains(to) || valueWeb.contains(from) {
        valueWeb.insert(to)
        valueWeb.insert(from)
      }
    }
  }
  for w in boolWeb.intersection(valueWeb) {
    fail("a register web read both as a bool and as a value (def \(w / 64))")
  }
  func defIsBool(_ pc: Int, _ r: Int) -> Bool { boolWeb.contains(find(node(pc, r))) }
  func useIsBool(_ pc: Int, _ r: Int) -> Bool {
    guard let d = useWebs[node(pc, r)]?.first else { return false }
    return boolWeb.contains(find(d))
  }
  // Bool webs with a non-bool constant def (the compiler's null initialisations): their
  // registers carry a poison bit, set by that def, cleared by the others, tested by their uses.
  var poisonable = Set<Int>()
  for pc in 0..<n where code[pc].opcode == .loadConst && reaching[pc] != nil {
    let a = Int(code[pc].a)
    if defIsBool(pc, a) {
      if case .bool = consts[Int(code[pc].b)] { continue }
      poisonable.insert(find(node(pc, a)))
    }
  }
  func defPoisonable(_ pc: Int, _ r: Int) -> Bool { poisonable.contains(find(node(pc, r))) }
  func usePoisonable(_ pc: Int, _ r: Int) -> Bool {
    guard let d = useWebs[node(pc, r)]?.first else { return false }
    return poisonable.contains(find(d))
  }

  // Steps per instruction; terminators per block.
  // The test of each pc that is one (for the blocks made of one test and their terminator).
  // (Made here, where the test's type is concrete, so that `testBlock` is specialized for it.)
  // (In a struct: a dictionary of bare closures stores them reabstracted, and the blocks they
  // made then ran behind a thunk per call.)
  struct BlockMaker { let make: (Term) -> (inout Ctx) -> Unmanaged<BlockBox>? }
  var testOf: [Int: BlockMaker] = [:]
  func testStep<T: BoolTest>(_ t: T, _ a: Int, and: Bool, at pc: Int) -> Step {
    testOf[pc] = BlockMaker { testBlock(t, a, and: and, $0) }
    return SentinelEvalClosures.testStep(t, a, and: and)
  }
  func step(_ pc: Int) -> Step? {
    let ins = code[pc]
    let a = Int(ins.a)
    let b = Int(ins.b)
    let c = Int(ins.c)
    let d = Int(ins.d)
    switch ins.opcode {
    case .nop: return nil
    case .loadConst:
      if defIsBool(pc, a) {
        if case .bool(let x) = consts[b] { return { $0.r[a] = x } }
        let bit: UInt64 = 1 << UInt64(a)
        return { $0.poison |= bit }
      }
      let k = consts[b]
      return { $0.v[a] = k }
    case .loadVar:
      if defIsBool(pc, a) {
        guard kinds[b] == .bool else {
          fail("pc \(pc): load.var of a non-bool slot into a bool register")
          return nil
        }
        return testStep(BoolVar(slot: b), a, and: false, at: pc)
      }
      let kind = kinds[b]
      return { ctx in
        if let x = ctx.slots[b], kind.admits(x) { ctx.v[a] = x } else { ctx.failed = true }
      }
    case .move:
      if defIsBool(pc, a) != useIsBool(pc, b) {
        fail("pc \(pc): move between a bool and a value web")
        return nil
      }
      if defIsBool(pc, a) { return { $0.r[a] = $0.r[b] } }
      return { $0.v[a] = $0.v[b] }
    case .logicalAnd, .logicalOr:
      let absorbing = ins.opcode == .logicalOr
      if usePoisonable(pc, a) || usePoisonable(pc, b) {
        // As Operations.logical: an absorbing bool on either side decides; a poisoned side
        // (a non-bool constant, which the VM would turn into an error) otherwise sends the
        // event to the VM.
        let ba: UInt64 = usePoisonable(pc, a) ? 1 << UInt64(a) : 0
        let bb: UInt64 = usePoisonable(pc, b) ? 1 << UInt64(b) : 0
        return { c in
          let pa = c.poison & ba != 0
          let pb = c.poison & bb != 0
          if (!pa && c.r[a] == absorbing) || (!pb && c.r[b] == absorbing) {
            c.r[a] = absorbing
          } else if pa || pb {
            c.failed = true
          } else {
            c.r[a] = !absorbing
          }
          c.poison &= ~ba
        }
      }
      if absorbing { return { $0.r[a] = $0.r[a] || $0.r[b] } }
      return { $0.r[a] = $0.r[a] && $0.r[b] }
    case .ruleResult: return { $0.out[b] = $0.r[a] }
    case .ruleTwice:
      return { ctx in
        let x = ctx.r[a]
        ctx.out[b] = x
        ctx.out[c] = x
      }
    case .andVar:
      guard kinds[b] == .bool else {
        fail("pc \(pc): and.v of a non-bool slot")
        return nil
      }
      return testStep(BoolVar(slot: b), a, and: true, at: pc)
    case .testVarConst, .andTestVarConst:
      let and = ins.opcode == .andTestVarConst
      let tt = tests[pc]
      switch tt.kind {
      case .orderIntInt:
        return testStep(OrderIntInt(slot: b, k: tt.int, rel: tt.relation), a, and: and, at: pc)
      case .orderDoubleDouble:
        return testStep(OrderDoubleDouble(slot: b, k: tt.double, rel: tt.relation), a, and: and, at: pc)
      case .equalsString:
        let p = tt.payload!.takeUnretainedValue()
        return testStep(
          EqualsString(slot: b, k: p.utf8, k0: p.string, negated: tt.negated), a, and: and, at: pc)
      case .inList, .inMap:
        let p = tt.payload!.takeUnretainedValue()
        return testStep(InSet(slot: b, payload: p, isMap: tt.kind == .inMap), a, and: and, at: pc)
      case .matches:
        guard let pat = tt.payload!.takeUnretainedValue().pattern else {
          fail("pc \(pc): matches without a pattern")
          return nil
        }
        return testStep(Matches(slot: b, pattern: pat), a, and: and, at: pc)
      default:
        fail("pc \(pc): typed test \(tt.kind)")
        return nil
      }
    case .testVarVar:
      let tt = tests[pc]
      guard tt.kind == .equalsStringVars else {
        fail("pc \(pc): test.vv \(tt.kind)")
        return nil
      }
      return testStep(StringVars(b: b, c: c, negated: tt.negated), a, and: false, at: pc)
    case .callVar, .callVarVar, .call:
      // Generic calls: the builtin's implementation on `Value`s (the VM's path), the result
      // into a bool register (checked) or a value register.
      let impl = vp.implementations[ins.opcode == .call ? b : (ins.opcode == .callVar ? c : d)]
      let toBool = defIsBool(pc, a)
      func put(_ ctx: inout Ctx, _ v: Value) {
        if toBool {
          if case .bool(let x) = v { ctx.r[a] = x } else { ctx.failed = true }
        } else {
          if v.isError { ctx.failed = true }
          ctx.v[a] = v
        }
      }
      switch (ins.opcode, impl) {
      case (.callVar, .unary(let f)):
        let kb = kinds[b]
        return { ctx in
          guard let x = ctx.slots[b], kb.admits(x) else {
            ctx.failed = true
            return
          }
          put(&ctx, f(x))
        }
      case (.callVarVar, .binary(let f)):
        let kb = kinds[b]
        let kc = kinds[c]
        return { ctx in
          guard let x = ctx.slots[b], kb.admits(x), let y = ctx.slots[c], kc.admits(y) else {
            ctx.failed = true
            return
          }
          put(&ctx, f(x, y))
        }
      case (.call, .unary(let f)):
        if vp.guardedCalls[pc] || useIsBool(pc, c) { break }
        return { ctx in put(&ctx, f(ctx.v[c])) }
      case (.call, .binary(let f)):
        if vp.guardedCalls[pc] || useIsBool(pc, c) || useIsBool(pc, c + 1) { break }
        return { ctx in put(&ctx, f(ctx.v[c], ctx.v[c + 1])) }
      default: break
      }
      fail("pc \(pc): \(ins.opcode) of this shape")
      return nil
    case .jump, .jumpIfFalse, .jumpIfTrue, .moveJumpIfFalse, .ruleMoveJumpIfFalse, .ret:
      return nil  // terminators
    default:
      fail("pc \(pc): opcode \(ins.opcode)")
      return nil
    }
  }

  // One closure per block: its steps, then its terminator inlined, which returns the next
  // block (nil: the end) to the driver loop in `ClosureRunner.run`. Built from the last block to
  // the first (every jump is forward), so a terminator holds its successors themselves, not
  // their indices. (A first form where each block called its successor directly nested ~40
  // calls per event: the returns overflowed the return-address predictor; and one with the
  // terminator as a closure of its own and block indices: measured in docs/performance.md.)
  var built = [BlockBox?](repeating: nil, count: starts.count)
  for i in starts.indices.reversed() {
    let start = starts[i]
    let end = i + 1 < starts.count ? starts[i + 1] : n
    var steps: [StepBox] = []
    for pc in start..<end where reaching[pc] != nil {
      let ins = code[pc]
      if ins.opcode != .logicalAnd && ins.opcode != .logicalOr {
        for r in uses(ins) where usePoisonable(pc, r) {
          fail("pc \(pc): a poisonable register read outside and/or")
        }
      }
      if let s = step(pc) { steps.append(StepBox(run: s)) }
      // A bool def into a poisonable web clears the register's poison bit.
      for r in defs(ins) where defPoisonable(pc, r) && ins.opcode != .loadConst {
        if ins.opcode == .moveJumpIfFalse || ins.opcode == .ruleMoveJumpIfFalse {
          fail("pc \(pc): a poisonable register written by a terminator")
        }
        let bit: UInt64 = 1 << UInt64(r)
        steps.append(StepBox { $0.poison &= ~bit })
      }
    }
    let last = code[end - 1]
    let la = Int(last.a)
    let lb = Int(last.b)
    let lc = Int(last.c)
    func box(_ pc: Int) -> Unmanaged<BlockBox>? {
      guard pc < n, blockOf[pc] >= 0, let b = built[blockOf[pc]] else { return nil }
      return .passUnretained(b)
    }
    let next = box(end)
    // A block that is one test and a conditional or fall-through end: one closure, the test's
    // kernel specialized into it (no inner call).
    if steps.count == 1,
      end - start == 2 || (end - start == 1 && last.opcode.info.operands.firstIndex(of: .target) == nil),
      let makeBlock = testOf[end - start == 2 ? start : end - 1]
    {
      let term: Term?
      switch last.opcode {
      case .jumpIfFalse: term = .jumpIfFalse(la, next, box(targetOf[end - 1]))
      case .ruleMoveJumpIfFalse: term = .ruleMoveJumpIfFalse(la, lb, lc, next, box(targetOf[end - 1]))
      case .jump, .jumpIfTrue, .moveJumpIfFalse, .ret: term = nil
      default: term = end - start == 1 ? .next(next) : nil
      }
      if let term {
        built[i] = BlockBox(makeBlock.make(term))
        continue
      }
    }
    // (Not `compose(steps) ?? { _ in }`: the generic `??` returned the closure reabstracted,
    // behind a thunk per call; measured in docs/performance.md.)
    t.shapes[code[start..<end].map { "\($0.opcode)" }.joined(separator: " "), default: 0] += 1
    // nil for a block that is only its end (a jump target): no call of an empty closure.
    let body: Step? = compose(steps)
    let run: (inout Ctx) -> Unmanaged<BlockBox>?
    switch last.opcode {
    case .jump:
      let tb = box(targetOf[end - 1])
      run = { c in
        body?(&c)
        return tb
      }
    case .jumpIfFalse:
      let tb = box(targetOf[end - 1])
      run = { c in
        body?(&c)
        return c.r[la] ? next : tb
      }
    case .jumpIfTrue:
      let tb = box(targetOf[end - 1])
      run = { c in
        body?(&c)
        return c.r[la] ? tb : next
      }
    case .moveJumpIfFalse:
      let tb = box(targetOf[end - 1])
      run = { c in
        body?(&c)
        let x = c.r[lb]
        c.r[la] = x
        return x ? next : tb
      }
    case .ruleMoveJumpIfFalse:
      let tb = box(targetOf[end - 1])
      run = { c in
        body?(&c)
        c.out[lb] = c.r[la]
        let x = c.r[lc]
        c.r[la] = x
        return x ? next : tb
      }
    case .ret:
      run = { c in
        body?(&c)
        return nil
      }
    default:
      run = { c in
        body?(&c)
        return next
      }
    }
    built[i] = BlockBox(run)
  }
  t.blocks = built.compactMap { $0 }
  return t
}

enum Term {
  case jumpIfFalse(Int, Unmanaged<BlockBox>?, Unmanaged<BlockBox>?)
  case ruleMoveJumpIfFalse(Int, Int, Int, Unmanaged<BlockBox>?, Unmanaged<BlockBox>?)
  case next(Unmanaged<BlockBox>?)
}

/// The closure of a block made of one test and its end, specialized for the test's kind.
func testBlock<T: BoolTest>(_ t: T, _ a: Int, and: Bool, _ term: Term) -> (inout Ctx) -> Unmanaged<BlockBox>?
{
  switch (term, and) {
  case (.jumpIfFalse(let la, let next, let tb), false) where la == a:
    return { c in
      let x = t.eval(&c)
      c.r[a] = x
      return x ? next : tb
    }
  case (.jumpIfFalse(let la, let next, let tb), true) where la == a:
    return { c in
      if c.r[a] { c.r[a] = t.eval(&c) }
      return c.r[a] ? next : tb
    }
  case (.ruleMoveJumpIfFalse(let la, let lb, let lc, let next, let tb), _) where la == a:
    return { c in
      if !and || c.r[a] { c.r[a] = t.eval(&c) }
      c.out[lb] = c.r[a]
      let x = c.r[lc]
      c.r[a] = x
      return x ? next : tb
    }
  case (.next(let next), _):
    return { c in
      if !and || c.r[a] { c.r[a] = t.eval(&c) }
      return next
    }
  default:
    let step = SentinelEvalClosures.testStep(t, a, and: and)
    switch term {
    case .jumpIfFalse(let la, let next, let tb):
      return { c in
        step(&c)
        return c.r[la] ? next : tb
      }
    case .ruleMoveJumpIfFalse(let la, let lb, let lc, let next, let tb):
      return { c in
        step(&c)
        c.out[lb] = c.r[la]
        let x = c.r[lc]
        c.r[la] = x
        return x ? next : tb
      }
    case .next(let next):
      return { c in
        step(&c)
        return next
      }
    }
  }
}

/// One closure running `steps` in order (a balanced tree of two- and three-step closures).
func compose(_ steps: [StepBox]) -> Step? {
  switch steps.count {
  case 0: return nil
  case 1: return steps[0].run
  case 2:
    let x = steps[0].run
    let y = steps[1].run
    return { c in
      x(&c)
      y(&c)
    }
  case 3:
    let x = steps[0].run
    let y = steps[1].run
    let z = steps[2].run
    return { c in
      x(&c)
      y(&c)
      z(&c)
    }
  default:
    let m = steps.count / 2
    guard let l = compose(Array(steps[..<m])), let r = compose(Array(steps[m...])) else { return nil }
    return { c in
      l(&c)
      r(&c)
    }
  }
}

/// Runs the closures on one event; false when the event needs the VM (`Ctx.failed`). Registers
/// and rule results live in buffers allocated once.
final class ClosureRunner {
  /// The blocks (owned here; they hold each other unowned); the first is the entry.
  let boxes: [BlockBox]
  let variableCount: Int
  let ruleCount: Int
  let bools: UnsafeMutablePointer<Bool>
  let values: UnsafeMutablePointer<Value>
  let results: UnsafeMutablePointer<Bool>
  let registerCount: Int

  init(_ t: Translation, variableCount: Int, ruleCount: Int) {
    boxes = t.blocks
    registerCount = max(1, t.registerCount)
    self.variableCount = variableCount
    self.ruleCount = ruleCount
    bools = .allocate(capacity: max(1, t.registerCount))
    bools.initialize(repeating: false, count: max(1, t.registerCount))
    values = .allocate(capacity: max(1, t.registerCount))
    values.initialize(repeating: .null, count: max(1, t.registerCount))
    results = .allocate(capacity: max(1, ruleCount))
    results.initialize(repeating: false, count: max(1, ruleCount))
  }

  deinit {
    bools.deallocate()
    values.deinitialize(count: registerCount)
    values.deallocate()
    results.deallocate()
  }

  /// The rule results of the last run.
  var resultArray: [Bool] { Array(UnsafeBufferPointer(start: results, count: ruleCount)) }

  @inline(__always) func run(_ slots: [Value?]) -> Bool {
    if slots.count < variableCount { return false }
    return slots.withUnsafeBufferPointer { s in
      var ctx = Ctx(r: bools, v: values, out: results, slots: s)
      var block = boxes.first.map { Unmanaged.passUnretained($0) }
      while let b = block { block = b._withUnsafeGuaranteedRef { $0.run(&ctx) } }
      return !ctx.failed
    }
  }
}
