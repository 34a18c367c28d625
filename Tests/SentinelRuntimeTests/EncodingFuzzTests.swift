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
  guard let verified = try? Verifier(catalog: Fixtures.catalog, limits: fuzzLimits).verify(p) else { return false }
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
    let constants: [Value] = [
      .int(0), .int(1), .string("a"), .bool(true), .bool(false), .list([.int(1), .int(2)]), fuzzMap(),
      .optional(.int(1)), .optional(nil), .error(CELError(.other, "e")), .null,
    ]
    let builtins = ["add_int64", "greater_int64", "negate_int64", "clamp_int64", "sum4_int64", "size_list", "type_dyn"]
    var verified = 0
    for _ in 0..<20_000 {
      let registers = 1 + Int(rng.next() % 6)
      let count = 1 + Int(rng.next() % 14)
      func small(_ n: Int) -> UInt16 { UInt16(rng.next() % UInt64(max(1, n))) }
      var code: [Instruction] = []
      for pc in 0..<count {
        let op = Opcode.allCases[Int(rng.next() % UInt64(Opcode.allCases.count))]
        var operands: [UInt16] = [0, 0, 0, 0]
        for (i, kind) in op.info.operands.enumerated() {
          switch kind {
          case .none: break
          case .def, .use, .useDef, .useRange, .defRange: operands[i] = small(registers + 1)
          case .constant, .stringConstant: operands[i] = small(constants.count)
          case .variable: operands[i] = small(2)
          case .builtin: operands[i] = small(builtins.count)
          case .function: operands[i] = 0
          case .count: operands[i] = small(4)
          case .target:
            operands[i] = op == .loop ? small(pc + 1) : UInt16(min(pc + 1 + Int(small(4)), count))
          }
        }
        code.append(Instruction(op, operands[0], operands[1], operands[2], operands[3]))
      }
      code.append(.ret(small(registers)))
      let p = program(
        code, registers: registers, constants: constants,
        variables: [VariableSlot(name: "x", type: .dyn), VariableSlot(name: "xs", type: .list(.int))],
        builtins: builtins, functions: [FunctionRef(name: "size", receiver: false)])
      if exercise(p, &rng) { verified += 1 }
    }
    #expect(verified > 100, "only \(verified) random programs verified")
  }
}
