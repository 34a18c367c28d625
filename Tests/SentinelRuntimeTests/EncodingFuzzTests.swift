// Encode → decode round trips, and fuzzing: random bytes, mutations of valid encoded programs,
// and random instruction sequences go through decode → verify → run (and the disassembler);
// nothing may trap, and whatever verifies must run to a value. Fixed seeds, bounded counts.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

/// Every valid program the other tests use, as a fuzzing corpus.
func corpus() -> [Program] {
  Opcode.allCases.map { sample(for: $0).0 } + [nestedLoops, existsGreaterThanTwo]
}

private let fuzzLimits = Limits(maxCollectionSize: 16, maxCost: 1_000_000)

/// Values to bind to variables of fuzzed programs.
private let fuzzValues: [Value?] = [
  nil, .null, .bool(true), .int(-1), .int(.max), .uint(3), .double(.nan), .string("a"), .bytes([0]),
  .list([.int(1), .string("a")]), .list((0..<20).map { .int(Int64($0)) }), .optional(nil), .optional(.int(1)),
  .error(CELError(.other, "e")), .type(.int),
]

private func fuzzMap() -> Value {
  var m = MapValue()
  m.insert(.string("a"), .int(1))
  m.insert(.int(2), .list([]))
  return .map(m)
}

/// Decodes, verifies, disassembles and runs; returns whether the program verified.
@discardableResult
private func exercise(_ bytes: [UInt8], _ rng: inout SplitMix64) -> Bool {
  guard let p = try? ProgramDecoder.decode(bytes) else { return false }
  return exercise(p, &rng)
}

@discardableResult
private func exercise(_ p: Program, _ rng: inout SplitMix64) -> Bool {
  _ = Disassembler.render(p, source: Source(text: "fuzz"))
  guard let verified = try? Verifier(catalog: Fixtures.catalog, limits: fuzzLimits).verify(p) else {
    return false
  }
  let pool = fuzzValues + [fuzzMap()]
  let variables = p.variables.map { _ in pool[Int(rng.next() % UInt64(pool.count))] }
  _ = VM().run(verified, variables: variables)
  return true
}

@Suite struct EncodingFuzzTests {
  @Test func encodeDecodeRoundTrip() throws {
    var everything = sample(for: .call).0
    var m = MapValue()
    m.insert(.string("k"), .list([.int(1), .uint(2)]))
    everything.constants += [
      .null, .bool(false), .int(.min), .uint(.max), .double(-0.5), .string("é\n"), .bytes([0, 255]), .map(m),
      .timestamp(Timestamp(seconds: 1_700_000_000, nanos: 5)), .duration(Duration(seconds: -3, nanos: -1)),
      .type(.map(.string, .list(.dyn))), .optional(nil), .optional(.optional(.int(1))),
      .error(CELError(.divideByZero, "division by zero")),
    ]
    everything.variables.append(VariableSlot(name: "request.amount", type: .optional(.opaque("T", [.int]))))
    everything.functions.append(FunctionRef(name: "contains", receiver: true))
    everything.sourceMap = [SourceMapEntry(pc: 2, span: Span(3, 9))]
    for p in corpus() + [everything] {
      let bytes = ProgramEncoder.encode(p)
      let decoded = try ProgramDecoder.decode(bytes)
      #expect(ProgramEncoder.encode(decoded) == bytes)
      #expect(Disassembler.render(decoded) == Disassembler.render(p))
      #expect(decoded.code == p.code && decoded.registerCount == p.registerCount)
      #expect((try? Fixtures.verifier.verify(decoded)) != nil)
    }
  }

  /// Operands b, c, d are 32-bit in the encoding: values past 65,535 round-trip, and each
  /// instruction takes `ProgramEncoder.instructionSize` bytes.
  @Test func wideOperandsRoundTrip() throws {
    var p = Program(registerCount: 2, ruleCount: 70_001)
    p.constants = Array(repeating: .int(7), count: 70_001)
    p.code = [.loadConst(1, 70_000), Instruction(.ruleResult, 1, 70_000), .jump(70_003)]
    p.code += Array(repeating: Instruction(.nop), count: 70_000) + [.ret(1)]
    let bytes = ProgramEncoder.encode(p)
    let decoded = try ProgramDecoder.decode(bytes)
    #expect(decoded.code == p.code && decoded.ruleCount == 70_001)
    var shorter = p
    shorter.code.removeLast()
    #expect(bytes.count - ProgramEncoder.encode(shorter).count == ProgramEncoder.instructionSize)
    let verified = try Fixtures.verifier.verify(decoded)
    var results: [Value] = []
    #expect(render(VM().run(verified, variables: [], results: &results)) == "7")
    #expect(render(results[70_000]) == "7")
  }

  @Test func randomBytesNeverTrap() {
    var rng = SplitMix64(seed: 0x5E17_1E10)
    var header = ProgramEncoder.magic
    withUnsafeBytes(of: Program.formatVersion.littleEndian) { header += $0 }
    for i in 0..<20_000 {
      let n = Int(rng.next() % 160)
      var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      if i % 2 == 0 { bytes = header + bytes }
      exercise(bytes, &rng)
    }
  }

  @Test func mutatedProgramsNeverTrap() {
    var rng = SplitMix64(seed: 42)
    let encoded = corpus().map(ProgramEncoder.encode)
    var verified = 0
    for i in 0..<20_000 {
      var bytes = encoded[i % encoded.count]
      for _ in 0...(rng.next() % 4) {
        let at = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 8 {
        case 0: bytes.removeSubrange(at...)
        case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: at)
        case 2: bytes.remove(at: at)
        case 3: bytes[at] = [0, 1, 0xFF, 0x7F, 0x80][Int(rng.next() % 5)]
        default: bytes[at] ^= UInt8(1 << (rng.next() % 8))
        }
        if bytes.isEmpty { bytes = [0] }
      }
      if exercise(bytes, &rng) { verified += 1 }
    }
    #expect(verified > 100, "only \(verified) mutants verified")
  }

  @Test func randomInstructionSequencesNeverTrap() {
    var rng = SplitMix64(seed: 7)
    var generator = ProgramGenerator()
    var verified = 0
    var loops = 0
    var calls = 0
    // 30,000: the opcode table grew (rule, has.var, the fused calls), so fewer random programs
    // call a builtin; fused calls (`call.vk`…) count as calls.
    for _ in 0..<30_000 {
      let p = generator.next(&rng)
      if exercise(p, &rng) {
        verified += 1
        if p.code.contains(where: { $0.opcode == .loop }) { loops += 1 }
        if p.code.contains(where: { $0.opcode == .call || $0.opcode.fusedCall != nil }) { calls += 1 }
      }
    }
    // The generator must reach the VM often, loops and calls included.
    #expect(verified > 1000, "only \(verified) random programs verified")
    #expect(loops > 100, "only \(loops) verified random programs loop")
    #expect(calls > 100, "only \(calls) verified random programs call a builtin")
  }
}

/// Random programs: a prologue defining most registers, then chunks that are either one random
/// instruction (operands mostly in range) or a loop skeleton around a random body. Loop `d`
/// keeps its counter, range and variables in 4 registers above the scratch ones, which random
/// instructions mostly (not always) leave alone.
private struct ProgramGenerator {
  let constants: [Value] = [
    .int(0), .int(1), .string("a"), .bool(true), .bool(false), .list([.int(1), .int(2)]), fuzzMap(),
    .optional(.int(1)), .optional(nil), .error(CELError(.other, "e")), .null,
  ]
  let builtins: [(id: String, arity: UInt32)] = [
    ("add_int64", 2), ("greater_int64", 2), ("negate_int64", 1), ("clamp_int64", 3), ("sum4_int64", 4),
    ("size_list", 1), ("type_dyn", 1),
  ]
  var scratch = 1
  var registers: Int { scratch + 8 }

  mutating func next(_ rng: inout SplitMix64) -> Program {
    scratch = 1 + Int(rng.next() % 6)
    var code: [Instruction] = []
    if rng.next() % 4 != 0 {
      for r in 0..<scratch {
        // A variable, an int constant (half the time, so calls type-check), or any constant.
        code.append(
          rng.next() % 3 == 0
            ? .loadVar(UInt16(r), small(2, &rng))
            : .loadConst(UInt16(r), small(rng.next() % 2 == 0 ? 2 : constants.count, &rng)))
      }
      for range in [scratch + 1, scratch + 5] {
        // A list, a map, `xs`, or `x`.
        code.append(
          rng.next() % 2 == 0
            ? .loadConst(UInt16(range), UInt32(5 + rng.next() % 2)) : .loadVar(UInt16(range), small(2, &rng)))
      }
    }
    emit(into: &code, chunks: 1 + Int(rng.next() % 8), depth: 0, &rng)
    code.append(.ret(UInt16(small(scratch, &rng))))
    // Forward targets past the end land on the final `ret`.
    let last = UInt32(code.count - 1)
    for i in code.indices where code[i].opcode != .loop {
      if let t = code[i].opcode.info.operands.firstIndex(of: .target) {
        switch t {
        case 0: break  // operand a is a register, never a target
        case 1: code[i].b = min(code[i].b, last)
        case 2: code[i].c = min(code[i].c, last)
        default: code[i].d = min(code[i].d, last)
        }
      }
    }
    return program(
      code, registers: registers, constants: constants,
      variables: [VariableSlot(name: "x", type: .dyn), VariableSlot(name: "xs", type: .list(.int))],
      builtins: builtins.map(\.id), functions: [FunctionRef(name: "size", receiver: false)])
  }

  func small(_ n: Int, _ rng: inout SplitMix64) -> UInt32 { UInt32(rng.next() % UInt64(max(1, n))) }

  /// Mostly a scratch register, sometimes any register, now and then one past the end.
  func register(_ rng: inout SplitMix64) -> UInt32 {
    switch rng.next() % 20 {
    case 0: return UInt32(registers)
    case 1, 2: return small(registers, &rng)
    default: return small(scratch, &rng)
    }
  }

  func emit(into code: inout [Instruction], chunks: Int, depth: Int, _ rng: inout SplitMix64) {
    for _ in 0..<chunks {
      if depth < 2 && rng.next() % 4 == 0 {
        let base = scratch + 4 * depth
        let initAt = code.count
        code.append(Instruction(.nop))
        let head = code.count
        code.append(Instruction(.nop))
        emit(into: &code, chunks: 1 + Int(rng.next() % 3), depth: depth + 1, &rng)
        code.append(.loop(UInt32(head)))
        let exit = UInt32(code.count)
        let (counter, range, vars) = (UInt16(base), UInt32(base + 1), UInt32(base + 2))
        code[initAt] = .iterInit(counter, range, exit)
        code[head] =
          rng.next() % 2 == 0
          ? .iterNext(counter, range, vars, exit) : .iterNext2(counter, range, vars, exit)
      } else {
        code.append(instruction(at: code.count, &rng))
      }
    }
  }

  func instruction(at pc: Int, _ rng: inout SplitMix64) -> Instruction {
    let op = Opcode.allCases[Int(rng.next() % UInt64(Opcode.allCases.count))]
    var operands: [UInt32] = [0, 0, 0, 0]
    for (i, kind) in op.info.operands.enumerated() {
      switch kind {
      case .none: break
      case .def, .use, .useDef, .useRange, .defRange: operands[i] = register(&rng)
      case .constant, .stringConstant: operands[i] = small(constants.count, &rng)
      case .variable: operands[i] = small(2, &rng)
      case .builtin: operands[i] = small(builtins.count, &rng)
      case .function: operands[i] = 0
      case .rule: operands[i] = small(2, &rng)
      case .count:
        // A call's count usually matches its builtin's arity.
        operands[i] =
          op == .call && rng.next() % 8 != 0 ? builtins[Int(operands[1])].arity : small(4, &rng)
      case .target: operands[i] = op == .loop ? small(pc + 1, &rng) : UInt32(pc + 1 + Int(small(4, &rng)))
      }
    }
    return Instruction(op, UInt16(truncatingIfNeeded: operands[0]), operands[1], operands[2], operands[3])
  }
}
