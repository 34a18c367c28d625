// Definite assignment and register kinds, by abstract interpretation over the control-flow graph.
//
// The state at a program point is one `ValueKind` per register; `unset` (possibly unwritten)
// absorbs in the join, so one lattice serves both analyses. Edges are forward except `loop`'s
// back edge, so a sweep in pc order visits every forward predecessor of an instruction before
// it; states are stored only at leaders (jump targets). When a back edge grows a loop header's
// state, the sweep resumes at that header. Phase 1 runs that to a fixpoint; phase 2 sweeps once
// more with the final states and checks every read: that it is assigned, that `iter.*` counters
// and ranges have the right kinds, and how each `call` argument fits its parameter type.

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
  private var entry: [[ValueKind]?]
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

  /// Runs both phases; returns, per pc, whether a `call` there needs a run-time argument test.
  mutating func run() throws(VerificationError) -> [Bool] {
    entry[0] = Array(repeating: .unset, count: registers)
    try fixpoint()
    return try checkAll()
  }

  // MARK: - Phase 1: fixpoint

  private mutating func fixpoint() throws(VerificationError) {
    let code = program.code
    var pc = 0
    var current: [ValueKind]?
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
        apply(ins, to: &state)
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
    _ state: [ValueKind], refining: Int?, into target: Int
  ) throws(VerificationError) -> Bool {
    try charge(registers)
    guard var e = entry[target] else {
      var s = state
      if let r = refining, s[r] != .unset { s[r] = .bool }
      entry[target] = s
      return true
    }
    entry[target] = nil  // keep `e` uniquely referenced while it is updated
    var changed = false
    for i in 0..<registers {
      var k = state[i]
      if i == refining && k != .unset { k = .bool }
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
  private func apply(_ ins: Instruction, to s: inout [ValueKind]) {
    let a = Int(ins.a)
    let b = Int(ins.b)
    switch ins.opcode {
    case .nop, .jump, .jumpIfFalse, .jumpIfTrue, .loop, .ret:
      break
    case .jumpIfNotBool:
      if s[a] != .unset { s[a] = .bool }
    case .loadConst: s[a] = ValueKind(of: program.constants[b])
    case .loadVar: s[a] = variableKinds[b]
    case .move: s[a] = s[b] == .counter ? .int : s[b]
    case .select: s[a] = s[b] == .optional ? .optional : .any
    case .hasField: s[a] = .bool
    case .optSelect: s[a] = .optional
    case .call: s[a] = ValueKind(declared: overloads[b].result) ?? .any
    case .callDynamic: s[a] = .any
    case .logicalAnd, .logicalOr, .notStrictlyFalse: s[a] = .bool
    case .conditionError: s[a] = .never
    case .makeList, .listAppend, .listAppendOptional: s[a] = .list
    case .makeMap, .mapInsert, .mapInsertOptional: s[a] = .map
    case .iterInit: s[a] = .counter
    case .iterNext:
      s[a] = .counter
      s[Int(ins.c)] = .any
    case .iterNext2:
      s[a] = .counter
      s[Int(ins.c)] = s[b] == .list ? .int : .any
      s[Int(ins.c) + 1] = .any
    }
  }

  // MARK: - Phase 2: checks

  private func checkAll() throws(VerificationError) -> [Bool] {
    let code = program.code
    var guarded = Array(repeating: false, count: code.count)
    var current: [ValueKind]?
    for pc in code.indices {
      if isLeader[pc] { current = entry[pc] }
      guard var state = current else { continue }
      let ins = code[pc]
      guarded[pc] = try check(ins, pc: pc, state)
      let flow = Flow(ins)
      if flow.fallsThrough {
        apply(ins, to: &state)
        current = state
      } else {
        current = nil
      }
    }
    return guarded
  }

  /// Checks the reads of one reachable instruction; returns whether it is a guarded call.
  private func check(_ ins: Instruction, pc: Int, _ s: [ValueKind]) throws(VerificationError) -> Bool {
    func fail(_ rule: VerificationError.Rule, _ operand: Int, _ message: String) -> VerificationError {
      VerificationError(rule, pc: pc, opcode: ins.opcode, operand: operand, message)
    }
    for read in ins.readRegisters() {
      for r in read.first..<(read.first + read.count) where s[r] == .unset {
        throw fail(.unassignedRegister, read.operand, "r\(r) is read before it is written on some path")
      }
    }
    switch ins.opcode {
    case .call:
      let o = overloads[Int(ins.b)]
      var guarded = false
      for (j, param) in o.params.enumerated() {
        let r = Int(ins.c) + j
        switch ArgumentFit(s[r], param) {
        case .proven: break
        case .guarded: guarded = true
        case .impossible:
          throw fail(
            .typeMismatch, 2,
            "argument \(j) (r\(r)) is \(article(s[r])), but overload '\(o.id)' takes \(param)")
        }
      }
      return guarded
    case .iterInit:
      try checkRange(s, ins.b, operand: 1, fail)
    case .iterNext, .iterNext2:
      guard s[Int(ins.a)] == .counter else {
        throw fail(
          .typeMismatch, 0,
          "counter r\(ins.a) is \(article(s[Int(ins.a)])), not a loop counter set by iter.init or iter.next")
      }
      try checkRange(s, ins.b, operand: 1, fail)
    default:
      break
    }
    return false
  }

  private func checkRange(
    _ s: [ValueKind], _ register: UInt16, operand: Int,
    _ fail: (VerificationError.Rule, Int, String) -> VerificationError
  ) throws(VerificationError) {
    let k = s[Int(register)]
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

  init(_ ins: Instruction) {
    switch ins.opcode {
    case .jump:
      target = Int(ins.a)
      fallsThrough = false
    case .jumpIfFalse, .jumpIfTrue:
      target = Int(ins.b)
      refinesAtTarget = true
    case .jumpIfNotBool:
      target = Int(ins.b)
    case .iterInit:
      target = Int(ins.c)
    case .iterNext, .iterNext2:
      target = Int(ins.d)
    case .loop:
      target = Int(ins.a)
      isBackEdge = true
      fallsThrough = false
    case .ret:
      fallsThrough = false
    case .nop, .loadConst, .loadVar, .move, .select, .hasField, .optSelect, .call, .callDynamic,
      .logicalAnd, .logicalOr, .conditionError, .notStrictlyFalse, .makeList, .listAppend,
      .listAppendOptional, .makeMap, .mapInsert, .mapInsertOptional:
      break
    }
  }
}
