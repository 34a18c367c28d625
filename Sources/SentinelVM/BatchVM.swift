// EXPERIMENT (session 13), measured slower than the scalar loop and reverted in the next commit:
// docs/performance.md, "VM: dispatch is not what limits it". Kept in the history for the mechanism.
//
// Batched evaluation: one pass over the code for up to 64 events at once (lanes), each
// instruction run for every lane that reaches it. The decisions are the scalar VM's, lane by
// lane (`BatchVMTests` compares every rule result and return value); what changes is the cost of
// control: the scalar loop pays a dispatch — an indirect jump that this workload mispredicts
// often — and the branches around it per instruction and event; here per instruction and batch.
//
// Why it is exact: jumps only go forward (backward_jump; `loop` is the one exception and such
// programs run scalar), so every lane's path is an increasing sequence of pcs. Visiting the pcs
// in increasing order with, per pc, the set of lanes that reach it (`pending`, a 64-bit mask)
// runs each lane through exactly its scalar path: by the time pc is visited, every earlier pc
// that can send a lane to it has been visited. Lanes are independent: each has its own
// registers (register-major: register k of lane l is `registers[k * 64 + l]`), rule results
// and variables; no instruction reads another lane's.
//
// Programs with loops (`iter.*`, `loop`), collection builders or dynamic calls run through the
// scalar VM, lane by lane (`VM.runsInBatches` says which): rule sets seldom have them.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVerifier

extension VM {
  /// Events per batch: one bit per lane in a `UInt64` (at most 64; 8, 16 and 64 were measured).
  public static let batchWidth = 16

  /// The state of batched runs, kept by the caller between batches so that a batch allocates
  /// nothing (once sized): registers, the per-pc lane masks, and each lane's rule results and
  /// return value, which the caller reads after `runBatch`.
  public struct Batch: Sendable {
    /// Register-major: register k of lane l at `k * batchWidth + l`.
    var registers: [Value] = []
    /// Per pc (and one past the end): the lanes that reach it and have not run it yet.
    var pending: [UInt64] = []
    /// Arguments of a generic `call`, gathered from one lane's registers.
    var arguments: [Value] = []
    /// The lanes' variable arrays of the current batch, held so that their storage stays alive
    /// and unchanged while `variables` points into it.
    var lanes: [[Value?]] = []
    /// Lane l's variables: `lanes[l]`'s elements.
    nonisolated(unsafe) var variables: [UnsafeBufferPointer<Value?>] = []
    /// Lane-major rule results: rule k of lane l at `l * ruleCount + k`.
    public internal(set) var results: [Value] = []
    /// Each lane's `ret` value.
    public internal(set) var returns: [Value] = []
    /// The rule count `results` is laid out for.
    public internal(set) var ruleCount = 0

    /// Empty; the first batch sizes it.
    public init() {}

    /// The rule results of `lane` in the last batch (`VM.run`'s `results` for that event).
    public func results(ofLane lane: Int) -> ArraySlice<Value> {
      results[(lane * ruleCount)..<((lane + 1) * ruleCount)]
    }
  }

  /// Whether `runBatch` runs `program` batched (otherwise it runs each lane through `run`): no
  /// loops, collection builders or dynamic calls.
  public static func runsInBatches(_ program: VerifiedProgram) -> Bool {
    for ins in program.code {
      switch ins.opcode {
      case .callDynamic, .makeList, .listAppend, .listAppendOptional, .makeMap, .mapInsert,
        .mapInsertOptional,
        .iterInit, .iterNext, .iterNext2, .loop:
        return false
      default:
        continue
      }
    }
    return true
  }

  /// Runs `program` on each of `events` (at most `batchWidth`: lane l is `events[l]`), as
  /// `run(_:variables:results:registers:)` would one by one: lane l's rule results are then
  /// `batch.results(ofLane: l)` and its return value `batch.returns[l]`.
  public func runBatch(_ program: VerifiedProgram, events: ArraySlice<[Value?]>, batch: inout Batch) {
    let width = VM.batchWidth
    let lanes = min(events.count, width)
    let ruleCount = program.program.ruleCount
    if batch.ruleCount != ruleCount || batch.results.count != ruleCount * width {
      batch.results = [Value](repeating: .null, count: ruleCount * width)
      batch.ruleCount = ruleCount
    }
    if batch.returns.count != width { batch.returns = [Value](repeating: .null, count: width) }
    guard lanes > 0 else { return }
    guard VM.runsInBatches(program) else {
      // Scalar, lane by lane, into the same places.
      var results: [Value] = []
      var registers = Registers()
      for l in 0..<lanes {
        let v = run(
          program, variables: events[events.startIndex + l], results: &results, registers: &registers)
        batch.returns[l] = v
        for k in 0..<ruleCount { batch.results[l * ruleCount + k] = results[k] }
      }
      return
    }
    let registerCount = program.program.registerCount
    if batch.registers.count < registerCount * width {
      batch.registers = [Value](repeating: .null, count: registerCount * width)
    }
    if batch.pending.count < program.code.count + 1 {
      batch.pending = [UInt64](repeating: 0, count: program.code.count + 1)
    }
    let all: UInt64 = lanes >= 64 ? ~0 : (1 << UInt64(lanes)) &- 1
    // NOTE: each lane's variables are read through a pointer to its array's elements, taken once
    // per batch: reading `events[l]` per instruction and lane retained and released the array
    // each time (13 % of the batched loop's samples). The pointers stay valid for the batch:
    // `batch.lanes` holds a reference to each array, so its storage is neither freed nor
    // written in place (a caller's write copies it first).
    batch.lanes.removeAll(keepingCapacity: true)
    batch.variables.removeAll(keepingCapacity: true)
    for l in 0..<lanes {
      batch.lanes.append(events[events.startIndex + l])
      batch.variables.append(batch.lanes[l].withUnsafeBufferPointer { $0 })
    }
    batch.registers.withUnsafeMutableBufferPointer { r in
      batch.results.withUnsafeMutableBufferPointer { out in
        batch.pending.withUnsafeMutableBufferPointer { pending in
          batch.returns.withUnsafeMutableBufferPointer { returns in
            // VERIFIED: as in `run` — when every run writes every rule, no result of an earlier
            // batch survives this one.
            if !program.writesEveryRule {
              for i in 0..<(lanes * ruleCount) { VM.store(out, i, .null) }
            }
            batch.variables.withUnsafeBufferPointer { vars in
              executeBatch(
                program, vars, all, r, out, pending, returns, ruleCount: ruleCount,
                arguments: &batch.arguments)
            }
          }
        }
      }
    }
  }

  /// The batched loop: pcs in increasing order, each for the lanes pending there.
  func executeBatch(
    _ program: VerifiedProgram, _ events: UnsafeBufferPointer<UnsafeBufferPointer<Value?>>, _ all: UInt64,
    _ r: UnsafeMutableBufferPointer<Value>, _ results: UnsafeMutableBufferPointer<Value>,
    _ pending: UnsafeMutableBufferPointer<UInt64>, _ returns: UnsafeMutableBufferPointer<Value>,
    ruleCount: Int, arguments: inout [Value]
  ) {
    let code = program.code
    let constants = program.program.constants
    let tests = program.typedTests.tests
    let w = VM.batchWidth
    let n = code.count
    pending[0] = all
    pending[n] = 0
    var pc = 0
    while pc < n {
      let active = pending[pc]
      if active == 0 {
        pc += 1
        continue
      }
      pending[pc] = 0
      let ins = code[pc]
      let a = Int(ins.a)
      let b = Int(ins.b)
      let c = Int(ins.c)
      let ra = a &* w
      // The lanes that go on to pc + 1 (the others jumped or returned).
      var next = active
      var m = active
      switch ins.opcode {
      case .nop:
        break

      case .loadConst:
        let k = constants[b]
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, k)
        }

      case .loadVar:
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, loadVariable(program, b, events[l]))
        }

      case .move:
        let rb = b &* w
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.copy(r, ra + l, r, rb + l)
        }

      case .call:
        let count = Int(ins.d)
        if arguments.count < count { arguments = [Value](repeating: .null, count: count) }
        arguments.withUnsafeMutableBufferPointer { args in
          while m != 0 {
            let l = m.trailingZeroBitCount
            m &= m &- 1
            for j in 0..<count { args[j] = r[(c + j) &* w + l] }
            VM.store(r, ra + l, call(program, pc: pc, overload: b, first: 0, count: count, args))
          }
        }

      case .logicalAnd, .logicalOr:
        let rb = b &* w
        let absorbing = ins.opcode == .logicalOr
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, Operations.logical(r[ra + l], r[rb + l], absorbing: absorbing))
        }

      case .jump:
        // VERIFIED: forward and in bounds (backward_jump, target_out_of_bounds).
        pending[b] |= active
        next = 0

      case .jumpIfFalse, .jumpIfTrue:
        let when = ins.opcode == .jumpIfTrue
        var taken: UInt64 = 0
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          if case .bool(let x) = r[ra + l], x == when { taken |= 1 << UInt64(l) }
        }
        pending[b] |= taken
        next = active & ~taken

      case .jumpIfNotBool:
        var taken: UInt64 = 0
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          if case .bool = r[ra + l] {} else { taken |= 1 << UInt64(l) }
        }
        pending[b] |= taken
        next = active & ~taken

      case .ret:
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          returns[l] = r[ra + l]
        }
        next = 0

      case .ruleResult:
        // VERIFIED: b < ruleCount (rule_out_of_bounds).
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.writeRule(results, l &* ruleCount + b, r, ra + l)
        }

      case .ruleTwice:
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.writeRule(results, l &* ruleCount + b, r, ra + l)
          VM.writeRule(results, l &* ruleCount + c, r, ra + l)
        }

      case .callVar:
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, callFused(program, overload: c, loadVariable(program, b, events[l])))
        }

      case .callVarConst:
        let k = constants[c]
        let d = Int(ins.d)
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, callFused(program, overload: d, loadVariable(program, b, events[l]), k))
        }

      case .callVarVar:
        let d = Int(ins.d)
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          let e = events[l]
          VM.store(
            r, ra + l,
            callFused(program, overload: d, loadVariable(program, b, e), loadVariable(program, c, e)))
        }

      case .andVar:
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          let v = loadVariable(program, b, events[l])
          VM.store(r, ra + l, Operations.logical(r[ra + l], v, absorbing: false))
        }

      case .andVarConst:
        let k = constants[c]
        let d = Int(ins.d)
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          let v = callFused(program, overload: d, loadVariable(program, b, events[l]), k)
          VM.store(r, ra + l, Operations.logical(r[ra + l], v, absorbing: false))
        }

      case .testVarConst:
        let t = tests[pc]
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, test(program, t, ins, events[l], constants))
        }

      case .andTestVarConst:
        let t = tests[pc]
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          let v = test(program, t, ins, events[l], constants)
          VM.store(r, ra + l, Operations.logical(r[ra + l], v, absorbing: false))
        }

      case .testVarVar:
        let t = tests[pc]
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.store(r, ra + l, testVars(program, t, ins, events[l]))
        }

      case .moveJumpIfFalse:
        let rb = b &* w
        var taken: UInt64 = 0
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.copy(r, ra + l, r, rb + l)
          if case .bool(false) = r[ra + l] { taken |= 1 << UInt64(l) }
        }
        // VERIFIED: c forward and in bounds.
        pending[c] |= taken
        next = active & ~taken

      case .ruleMoveJumpIfFalse:
        // VERIFIED: b < ruleCount; d forward and in bounds.
        let rc = c &* w
        var taken: UInt64 = 0
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          VM.writeRule(results, l &* ruleCount + b, r, ra + l)
          VM.copy(r, ra + l, r, rc + l)
          if case .bool(false) = r[ra + l] { taken |= 1 << UInt64(l) }
        }
        pending[Int(ins.d)] |= taken
        next = active & ~taken

      case .select, .hasField, .optSelect, .conditionError, .notStrictlyFalse, .hasVariable:
        let rb = b &* w
        while m != 0 {
          let l = m.trailingZeroBitCount
          m &= m &- 1
          let v: Value
          switch ins.opcode {
          case .select: v = Operations.select(r[rb + l], program.fieldNames[c])
          case .hasField: v = Operations.has(r[rb + l], program.fieldNames[c])
          case .optSelect: v = Operations.optionalSelect(r[rb + l], program.fieldNames[c])
          case .conditionError:
            let x = r[rb + l]
            v = x.isError ? x : .error(.noOverload("_?_:_", [x]))
          case .notStrictlyFalse:
            if case .bool(false) = r[rb + l] { v = .bool(false) } else { v = .bool(true) }
          default:
            let e = events[l]
            v = .bool(b < e.count && e[b] != nil)
          }
          VM.store(r, ra + l, v)
        }

      case .callDynamic, .makeList, .listAppend, .listAppendOptional, .makeMap, .mapInsert,
        .mapInsertOptional,
        .iterInit, .iterNext, .iterNext2, .loop:
        // INVARIANT: `runsInBatches` sent programs with these to the scalar VM.
        next = 0
      }
      // VERIFIED: pc + 1 ≤ n, and `pending` has n + 1 entries; nothing reaches n (every path
      // ends at a `ret`), so that entry stays clear.
      pending[pc + 1] |= next
      pc += 1
    }
  }
}
