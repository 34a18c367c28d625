// Definite assignment and register kinds, by abstract interpretation over the control-flow graph.
//
// The state at a program point is one `RegisterFact` per register: its `ValueKind` (`unset`,
// "possibly unwritten", absorbs in the join, so one lattice serves definite assignment and kind
// inference) and an upper bound on its element count when it is a collection built from a
// constant or a `list`/`map` instruction, which bounds loops over it (CostBound.swift). Edges are forward except `loop`'s
// back edge, so a sweep in pc order visits every forward predecessor of an instruction before
// it; states are stored only at leaders (jump targets). When a back edge grows a loop header's
// state, the sweep resumes at that header. Phase 1 runs that to a fixpoint; phase 2 sweeps once
// more with the final states and checks every read: that it is assigned, that `iter.*` counters
// and ranges have the right kinds, and how each `call` argument fits its parameter type.
//
// Why the fixpoint terminates: kinds have height 3 and counts only grow by joins (max) over the
// finitely many counts the program's constants and `list`/`map` operands name.

/// What the analysis knows about one register at one program point (8 bytes: states are stored
/// per leader and register, so their size is what bounds the analysis's memory).
struct RegisterFact: Hashable {
  var kind: ValueKind
  /// An upper bound on the element count if the value is a list or map; `Int32.max` when unknown.
  private var bound: Int32

  init(_ kind: ValueKind, maxCount: Int = .max) {
    self.kind = kind
    // An error-only register never reaches an `iter.next` body: its count bound is 0.
    self.bound = kind == .never ? 0 : Int32(clamping: maxCount)
  }

  /// The bound on the element count, `Int.max` when unknown.
  var maxCount: Int { bound == .max ? .max : Int(bound) }

  static let unset = RegisterFact(.unset)

  func join(_ other: RegisterFact) -> RegisterFact {
    var r = RegisterFact(kind.join(other.kind))
    r.bound = r.kind == .never ? 0 : max(bound, other.bound)
    return r
  }
}

/// What the verifier learned from the dataflow analysis.
struct DataflowResult {
  /// Per pc: whether a `call` there needs a run-time argument test.
  var guardedCalls: [Bool]
  /// Per pc: for a reachable `iter.next`/`iter.next2`, a bound on its range's element count
  /// (`Int.max` when unknown); 0 for unreachable headers, which never run.
  var rangeBounds: [Int]
}

import SentinelBuiltins
import SentinelBytecode
import SentinelModel

/// The dataflow analysis of one program.
struct Dataflow {
  let program: Program
  let overloads: [Overload]
  let maxWork: Int
  /// The kind each variable slot's declared type promises.
  let variableKinds: [ValueKind]
  private let registers: Int
  private var isLeader: [Bool]
  /// The joined state on entry to each leader that is reachable; nil elsewhere.
  private var entry: [[RegisterFact]?]
  private var work = 0

  init(program: Program, overloads: [Overload], maxWork: Int) {
    self.program = program
    self.overloads = overloads
    self.maxWork = maxWork
    self.variableKinds = program.variables.map { ValueKind(declared: $0.type) ?? .any }
    registers = program.registerCount
    isLeader = Array(repeating: false, count: program.code.count)
    entry = Array(repeating: nil, count: program.code.count)
    isLeader[0] = true
    for ins in program.code {
      if let t = ins.targetOperand { isLeader[Int(ins.operand(t))] = true }
    }
  }

  /// Runs both phases.
  mutating func run() throws(VerificationError) -> DataflowResult {
    entry[0] = Array(repeating: .unset, count: registers)
    try fixpoint()
    return try checkAll()
  }

  // MARK: - Phase 1: fixpoint

  private mutating func fixpoint() throws(VerificationError) {
    let code = program.code
    var pc = 0
    var current: [RegisterFact]?
    while pc < code.count {
      if isLeader[pc] {
        if let c = current { _ = try merge(c, refining: nil, into: pc) }
        current = entry[pc]
      }
      guard var state = current else {
        pc += 1
        continue
      }
      current = nil
      try charge(1)
      let ins = code[pc]
      let flow = Flow(ins)
      if flow.writesBeforeBranch { apply(ins, to: &state) }
      if let t = flow.target {
        let changed = try merge(state, refining: flow.refinesAtTarget ? Int(ins.a) : nil, into: t)
        if flow.isBackEdge && changed {
          // A loop header's state grew: sweep its body (and everything after) again.
          current = entry[t]
          pc = t
          continue
        }
      }
      if flow.fallsThrough {
        if !flow.writesBeforeBranch { apply(ins, to: &state) }
        current = state
      }
      pc += 1
    }
    if current != nil {
      throw VerificationError(
        .fallsOffEnd, pc: code.count - 1, opcode: code[code.count - 1].opcode,
        "a path falls off the end of the code")
    }
  }

  /// Joins `state` into the entry state of `target` (with register `refining` known to be a bool
  /// on that edge); returns whether the entry state changed.
  private mutating func merge(
    _ state: [RegisterFact], refining: Int?, into target: Int
  ) throws(VerificationError) -> Bool {
    try charge(registers)
    guard var e = entry[target] else {
      var s = state
      if let r = refining, s[r].kind != .unset { s[r] = RegisterFact(.bool) }
      entry[target] = s
      return true
    }
    entry[target] = nil  // keep `e` uniquely referenced while it is updated
    var changed = false
    for i in 0..<registers {
      var k = state[i]
      if i == refining && k.kind != .unset { k = RegisterFact(.bool) }
      let j = e[i].join(k)
      if j != e[i] {
        e[i] = j
        changed = true
      }
    }
    entry[target] = e
    return changed
  }

  private mutating func charge(_ units: Int) throws(VerificationError) {
    work += units
    guard work <= maxWork else {
      throw VerificationError(.tooComplex, "dataflow analysis exceeds its budget of \(maxWork) steps")
    }
  }

  /// The state after `ins` on its fall-through edge.
  private func apply(_ ins: Instruction, to s: inout [RegisterFact]) {
    let a = Int(ins.a)
    let b = Int(ins.b)
    let c = Int(ins.c)
    switch ins.opcode {
    case .nop, .jump, .jumpIfFalse, .jumpIfTrue, .loop, .ret, .ruleResult, .ruleTwice, .ruleVar, .ruleRuleVar:
      break
    case .jumpIfNotBool:
      if s[a].kind != .unset { s[a] = RegisterFact(.bool) }
    case .loadConst:
      let v = program.constants[b]
      switch v {
      case .list(let xs): s[a] = RegisterFact(.list, maxCount: xs.count)
      case .map(let m): s[a] = RegisterFact(.map, maxCount: m.count)
      default: s[a] = RegisterFact(ValueKind(of: v))
      }
    case .loadVar: s[a] = RegisterFact(variableKinds[b])
    case .hasVariable, .hasVariableJumpIfFalse: s[a] = RegisterFact(.bool)
    case .move, .moveJumpIfFalse: s[a] = s[b].kind == .counter ? RegisterFact(.int) : s[b]
    case .ruleMoveJumpIfFalse: s[a] = s[c].kind == .counter ? RegisterFact(.int) : s[c]
    case .select: s[a] = RegisterFact(s[b].kind == .optional ? .optional : .any)
    case .hasField: s[a] = RegisterFact(.bool)
    case .optSelect: s[a] = RegisterFact(.optional)
    case .call: s[a] = RegisterFact(ValueKind(declared: overloads[b].result) ?? .any)
    case .callVar, .callVarConst, .callVarVar, .testVarConst, .testVarVar:
      let builtin = ins.opcode.fusedCall.map { Int(ins.operand($0.builtin)) } ?? 0
      s[a] = RegisterFact(ValueKind(declared: overloads[builtin].result) ?? .any)
    case .andVar, .andVarConst, .andTestVarConst, .andJumpIfFalse: s[a] = RegisterFact(.bool)
    case .callDynamic: s[a] = RegisterFact(.any)
    case .logicalAnd, .logicalOr, .notStrictlyFalse: s[a] = RegisterFact(.bool)
    case .conditionError: s[a] = RegisterFact(.never)
    // A `list`/`map` of c elements/entries holds at most c (duplicate keys make an error).
    case .makeList: s[a] = RegisterFact(.list, maxCount: c)
    case .makeMap: s[a] = RegisterFact(.map, maxCount: c)
    // Accumulators grow inside loops: their count is not tracked (no widening needed).
    case .listAppend, .listAppendOptional: s[a] = RegisterFact(.list)
    case .mapInsert, .mapInsertOptional: s[a] = RegisterFact(.map)
    case .iterInit: s[a] = RegisterFact(.counter)
    case .iterNext:
      s[a] = RegisterFact(.counter)
      s[c] = RegisterFact(.any)
    case .iterNext2:
      s[a] = RegisterFact(.counter)
      s[c] = RegisterFact(s[b].kind == .list ? .int : .any)
      s[c + 1] = RegisterFact(.any)
    }
  }

  // MARK: - Phase 2: checks

  private func checkAll() throws(VerificationError) -> DataflowResult {
    let code = program.code
    var result = DataflowResult(
      guardedCalls: Array(repeating: false, count: code.count),
      rangeBounds: Array(repeating: 0, count: code.count))
    var current: [RegisterFact]?
    for pc in code.indices {
      if isLeader[pc] { current = entry[pc] }
      guard var state = current else { continue }
      current = nil  // keep `state` uniquely referenced: `apply` then updates it in place
      let ins = code[pc]
      result.guardedCalls[pc] = try check(ins, pc: pc, state)
      if ins.opcode == .iterNext || ins.opcode == .iterNext2 {
        // INVARIANT: the range register is not written in the loop body, so its entry fact
        // at the header holds on every iteration.
        result.rangeBounds[pc] = state[Int(ins.b)].maxCount
      }
      let flow = Flow(ins)
      if flow.fallsThrough {
        apply(ins, to: &state)
        current = state
      } else {
        current = nil
      }
    }
    return result
  }

  /// A typed instruction needs a typed kernel for its operands (TypedTest.swift): the same
  /// resolution the VM's program makes, so a verified `test.*` always has one.
  private func checkTypedKernel(
    _ ins: Instruction, _ o: Overload, _ fail: (VerificationError.Rule, Int, String) -> VerificationError
  ) throws(VerificationError) {
    let x = variableKinds[Int(ins.b)]
    let test: TypedTest.Kind?
    switch ins.opcode {
    case .testVarConst, .andTestVarConst:
      test = TypedTest.kind(o.kernel, variable: x, constant: program.constants[Int(ins.c)])
    case .testVarVar:
      test = TypedTest.kind(o.kernel, variable: x, variable: variableKinds[Int(ins.c)])
    default:
      return
    }
    guard test == nil else { return }
    let second =
      ins.opcode == .testVarVar
      ? "variable `\(program.variables[Int(ins.c)].name)` (\(variableKinds[Int(ins.c)]))"
      : "constant #\(ins.c) (\(ValueKind(of: program.constants[Int(ins.c)])))"
    throw fail(
      .noTypedKernel, 3,
      "overload '\(o.id)' has no typed kernel for variable `\(program.variables[Int(ins.b)].name)` (\(x)) and \(second)"
    )
  }

  /// Checks the reads of one reachable instruction; returns whether it is a guarded call.
  private func check(_ ins: Instruction, pc: Int, _ s: [RegisterFact]) throws(VerificationError) -> Bool {
    func fail(_ rule: VerificationError.Rule, _ operand: Int, _ message: String) -> VerificationError {
      VerificationError(rule, pc: pc, opcode: ins.opcode, operand: operand, message)
    }
    for read in ins.readRegisters() {
      for r in read.first..<(read.first + read.count) where s[r].kind == .unset {
        throw fail(.unassignedRegister, read.operand, "r\(r) is read before it is written on some path")
      }
    }
    switch ins.opcode {
    case .call:
      let o = overloads[Int(ins.b)]
      var guarded = false
      for (j, param) in o.params.enumerated() {
        let r = Int(ins.c) + j
        switch ArgumentFit(s[r].kind, param) {
        case .proven: break
        case .guarded: guarded = true
        case .impossible:
          throw fail(
            .typeMismatch, 2,
            "argument \(j) (r\(r)) is \(article(s[r].kind)), but overload '\(o.id)' takes \(param)")
        }
      }
      return guarded
    case .callVar, .callVarConst, .callVarVar, .andVarConst, .testVarConst, .andTestVarConst, .testVarVar:
      // A fused call reads variables and constants, not registers, and runs unguarded: every
      // argument's kind must be proven (Fusion.swift fuses only unguarded calls).
      guard let fused = ins.opcode.fusedCall else { return false }
      let o = overloads[Int(ins.operand(fused.builtin))]
      for (j, param) in o.params.enumerated() {
        let operand = fused.arguments[j]
        let x = Int(ins.operand(operand))
        let isConstant = ins.opcode.info.operands[operand] == .constant
        let kind = isConstant ? ValueKind(of: program.constants[x]) : variableKinds[x]
        let what = isConstant ? "constant #\(x)" : "variable `\(program.variables[x].name)`"
        switch ArgumentFit(kind, param) {
        case .proven: break
        case .guarded:
          throw fail(
            .typeMismatch, operand,
            "argument \(j) (\(what)) is a dyn value; a fused call takes only arguments of proven kinds")
        case .impossible:
          throw fail(
            .typeMismatch, operand,
            "argument \(j) (\(what)) is \(article(kind)), but overload '\(o.id)' takes \(param)")
        }
      }
      try checkTypedKernel(ins, o, fail)
      return false
    case .iterInit:
      try checkRange(s, ins.b, operand: 1, fail)
    case .iterNext, .iterNext2:
      guard s[Int(ins.a)].kind == .counter else {
        throw fail(
          .typeMismatch, 0,
          "counter r\(ins.a) is \(article(s[Int(ins.a)].kind)), not a loop counter set by iter.init or iter.next"
        )
      }
      try checkRange(s, ins.b, operand: 1, fail)
    default:
      break
    }
    return false
  }

  private func checkRange(
    _ s: [RegisterFact], _ register: UInt32, operand: Int,
    _ fail: (VerificationError.Rule, Int, String) -> VerificationError
  ) throws(VerificationError) {
    let k = s[Int(register)].kind
    guard k.mayBeRange else {
      throw fail(.typeMismatch, operand, "range r\(register) is \(article(k)), not a list or map")
    }
  }

  private func article(_ k: ValueKind) -> String {
    switch k {
    case .int, .uint, .optional, .never: return "an \(k)"
    case .any: return "a dyn value"
    default: return "a \(k)"
    }
  }
}

/// The control edges of one instruction.
private struct Flow {
  /// The jump target, if any.
  var target: Int?
  /// Whether register a is known to be a bool on the jump edge (`jump.false`, `jump.true`).
  var refinesAtTarget = false
  /// Whether the jump goes backward (`loop`).
  var isBackEdge = false
  /// Whether execution can continue at pc + 1.
  var fallsThrough = true
  /// Whether the instruction's writes happen before it branches, so they hold on the jump edge
  /// too (`move.jf`); otherwise they hold on the fall-through edge only (`iter.*`).
  var writesBeforeBranch = false

  init(_ ins: Instruction) {
    switch ins.opcode {
    case .jump:
      target = Int(ins.b)
      fallsThrough = false
    case .jumpIfFalse, .jumpIfTrue:
      target = Int(ins.b)
      refinesAtTarget = true
    case .jumpIfNotBool:
      target = Int(ins.b)
    case .moveJumpIfFalse:
      target = Int(ins.c)
      refinesAtTarget = true
      writesBeforeBranch = true
    case .ruleMoveJumpIfFalse:
      target = Int(ins.d)
      refinesAtTarget = true
      writesBeforeBranch = true
    case .andJumpIfFalse, .hasVariableJumpIfFalse:
      target = Int(ins.c)
      refinesAtTarget = true
      writesBeforeBranch = true
    case .iterInit:
      target = Int(ins.c)
    case .iterNext, .iterNext2:
      target = Int(ins.d)
    case .loop:
      target = Int(ins.b)
      isBackEdge = true
      fallsThrough = false
    case .ret:
      fallsThrough = false
    case .nop, .loadConst, .loadVar, .move, .select, .hasField, .optSelect, .call, .callDynamic,
      .logicalAnd, .logicalOr, .conditionError, .notStrictlyFalse, .makeList, .listAppend,
      .listAppendOptional, .makeMap, .mapInsert, .mapInsertOptional, .ruleResult, .ruleTwice, .ruleVar,
      .ruleRuleVar, .hasVariable,
      .callVar,
      .callVarConst, .callVarVar, .andVar, .andVarConst, .testVarConst, .andTestVarConst, .testVarVar:
      break
    }
  }
}
