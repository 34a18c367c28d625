// Every opcode appears in the verifier, the VM and the disassembler: for each `Opcode.allCases`
// a tiny valid program using it verifies, runs, and disassembles to its mnemonic. The switch in
// `sample(for:)` is exhaustive, so a new opcode does not compile until it has a sample here.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

/// A small valid program that uses `op`, and variable values to run it with.
func sample(for op: Opcode) -> (Program, [Value?]) {
  var m = MapValue()
  m.insert(.string("a"), .int(1))
  let fieldTarget: [Value] = [.map(m), .string("a")]
  let iteration = program(
    [
      .loadConst(0, 0), Instruction(.makeList, 1, 0, 0), .iterInit(2, 0, 7),
      op == .iterNext2 ? .iterNext2(2, 0, 3, 7) : .iterNext(2, 0, 3, 7),
      Instruction(.listAppend, 1, 3), Instruction(.nop), .loop(3), .ret(1),
    ], registers: 5, constants: [.list([.int(1), .int(2)])])
  switch op {
  case .ruleResult:
    return (
      program(
        [.loadConst(0, 0), Instruction(.ruleResult, 0, 0), .ret(0)], registers: 1, constants: [.bool(true)],
        ruleCount: 1), []
    )
  case .nop:
    return (program([.loadConst(0, 0), Instruction(.nop), .ret(0)], registers: 1, constants: [.int(1)]), [])
  case .loadConst, .ret:
    return (program([.loadConst(0, 0), .ret(0)], registers: 1, constants: [.int(1)]), [])
  case .hasVariable:
    return (
      program(
        [Instruction(.hasVariable, 0, 0), .ret(0)], registers: 1,
        variables: [VariableSlot(name: "x", type: .int)]),
      [.int(2)]
    )
  case .loadVar:
    return (
      program([.loadVar(0, 0), .ret(0)], registers: 1, variables: [VariableSlot(name: "x", type: .int)]),
      [.int(2)]
    )
  case .move:
    return (program([.loadConst(0, 0), .move(1, 0), .ret(1)], registers: 2, constants: [.int(1)]), [])
  case .select, .hasField, .optSelect:
    return (
      program([.loadConst(0, 0), Instruction(op, 1, 0, 1), .ret(1)], registers: 2, constants: fieldTarget), []
    )
  case .call:
    return (
      program(
        [.loadConst(0, 0), .loadConst(1, 0), .call(2, 0, 0, 2), .ret(2)], registers: 3, constants: [.int(1)],
        builtins: ["add_int64"]), []
    )
  case .callDynamic:
    return (
      program(
        [.loadConst(0, 0), Instruction(.callDynamic, 1, 0, 0, 1), .ret(1)], registers: 2,
        constants: [.string("ab")],
        functions: [FunctionRef(name: "size", receiver: false)]), []
    )
  case .logicalAnd, .logicalOr, .listAppend, .listAppendOptional:
    let operands: [Value] =
      op == .listAppend
      ? [.list([]), .int(1)]
      : op == .listAppendOptional ? [.list([]), .optional(.int(1))] : [.bool(true), .bool(false)]
    return (
      program(
        [.loadConst(0, 0), .loadConst(1, 1), Instruction(op, 0, 1), .ret(0)], registers: 2,
        constants: operands), []
    )
  case .jump: return (program([.loadConst(0, 0), .jump(2), .ret(0)], registers: 1, constants: [.int(1)]), [])
  case .jumpIfFalse, .jumpIfTrue, .jumpIfNotBool:
    return (
      program([.loadConst(0, 0), Instruction(op, 0, 2), .ret(0)], registers: 1, constants: [.bool(false)]), []
    )
  case .conditionError, .notStrictlyFalse:
    return (
      program([.loadConst(0, 0), Instruction(op, 1, 0), .ret(1)], registers: 2, constants: [.int(1)]), []
    )
  case .makeList, .makeMap:
    return (
      program(
        [.loadConst(1, 0), .loadConst(2, 1), Instruction(op, 0, 1, op == .makeMap ? 1 : 2), .ret(0)],
        registers: 3,
        constants: [.string("k"), .int(1)]), []
    )
  case .mapInsert, .mapInsertOptional:
    return (
      program(
        [.loadConst(0, 0), .loadConst(1, 1), .loadConst(2, 2), Instruction(op, 0, 1, 2), .ret(0)],
        registers: 3,
        constants: [.map(MapValue()), .string("k"), op == .mapInsert ? .int(1) : .optional(.int(1))]), []
    )
  case .iterInit, .iterNext, .iterNext2, .loop:
    return (iteration, [])
  case .callVar, .callVarConst, .callVarVar:
    // Fused calls (the loader makes them; a bundle may carry them): -x, x + 1, x + y.
    let ins =
      op == .callVar ? Instruction(op, 0, 0, 1) : Instruction(op, 0, 0, op == .callVarConst ? 0 : 1, 0)
    return (
      program(
        [ins, .ret(0)], registers: 1, constants: [.int(1)],
        variables: [VariableSlot(name: "x", type: .int), VariableSlot(name: "y", type: .int)],
        builtins: ["add_int64", "negate_int64"]), [.int(2), .int(3)]
    )
  case .andVar, .andVarConst:
    // r0 ← true; r0 ← r0 && b (and.v), or r0 ← r0 && x > 1 (and.vk).
    let ins = op == .andVar ? Instruction(op, 0, 1) : Instruction(op, 0, 0, 1, 0)
    return (
      program(
        [.loadConst(0, 0), ins, .ret(0)], registers: 1, constants: [.bool(true), .int(1)],
        variables: [VariableSlot(name: "x", type: .int), VariableSlot(name: "b", type: .bool)],
        builtins: ["greater_int64"]), [.int(2), .bool(true)]
    )
  case .testVarConst, .andTestVarConst:
    // Typed tests: r0 ← x < 1 (test.vk), or r0 ← true && x < 1 (and.test.vk).
    return (
      program(
        [.loadConst(0, 1), Instruction(op, 0, 0, 0, 0), .ret(0)], registers: 1,
        constants: [.int(1), .bool(true)], variables: [VariableSlot(name: "x", type: .int)],
        builtins: ["less_int64"]), [.int(2)]
    )
  case .testVarVar:
    // r0 ← s == t on two string variables.
    return (
      program(
        [Instruction(op, 0, 0, 1, 0), .ret(0)], registers: 1,
        variables: [VariableSlot(name: "s", type: .string), VariableSlot(name: "t", type: .string)],
        builtins: ["equals"]), [.string("a"), .string("a")]
    )
  case .ruleMoveJumpIfFalse:
    // rule 0 ← r0 (true); r0 ← r1 (false), then to @4.
    return (
      program(
        [.loadConst(0, 0), .loadConst(1, 1), Instruction(op, 0, 0, 1, 4), .loadConst(0, 2), .ret(0)],
        registers: 2, constants: [.bool(true), .bool(false), .int(1)], ruleCount: 1), []
    )
  case .ruleTwice:
    // rules 0 and 1 ← r0.
    return (
      program(
        [.loadConst(0, 0), Instruction(op, 0, 0, 1), .ret(0)], registers: 1, constants: [.bool(true)],
        ruleCount: 2), []
    )
  case .ruleVar:
    // rule 0 ← x; r0 ← 1.
    return (
      program(
        [Instruction(op, 0, 0, 0), .loadConst(0, 0), .ret(0)], registers: 1, constants: [.int(1)],
        variables: [VariableSlot(name: "x", type: .int)], ruleCount: 1), [.int(2)]
    )
  case .andJumpIfFalse:
    // r0 ← true && false, then to @4.
    return (
      program(
        [.loadConst(0, 0), .loadConst(1, 1), Instruction(op, 0, 1, 4), .loadConst(0, 2), .ret(0)],
        registers: 2, constants: [.bool(true), .bool(false), .int(1)]), []
    )
  case .hasVariableJumpIfFalse:
    // r0 ← has(x) (true); then r0 ← 1.
    return (
      program(
        [Instruction(op, 0, 0, 2), .loadConst(0, 0), .ret(0)], registers: 1, constants: [.int(1)],
        variables: [VariableSlot(name: "x", type: .int)]), [.int(2)]
    )
  case .ruleRuleVar:
    // rule 0 ← r0 (true); rule 1 ← x.
    return (
      program(
        [.loadConst(0, 0), Instruction(op, 0, 0, 1, 0), .ret(0)], registers: 1, constants: [.bool(true)],
        variables: [VariableSlot(name: "x", type: .int)], ruleCount: 2), [.int(2)]
    )
  case .moveJumpIfFalse:
    // r0 ← r1 (false), then to @3.
    return (
      program(
        [.loadConst(1, 0), Instruction(op, 0, 1, 3), .loadConst(0, 1), .ret(0)], registers: 2,
        constants: [.bool(false), .int(1)]), []
    )
  }
}

@Suite struct OpcodeCoverageTests {
  @Test(arguments: Opcode.allCases)
  func everyOpcodeVerifiesRunsAndDisassembles(_ op: Opcode) throws {
    let (p, variables) = sample(for: op)
    #expect(p.code.contains { $0.opcode == op })
    let verified = try Fixtures.verifier.verify(p)
    let result = VM().run(verified, variables: variables)
    // `cond.error` exists to produce an error; every other sample computes a value.
    #expect(result.isError == (op == .conditionError), "\(op.info.name): \(result)")
    #expect(Disassembler.render(p).contains("  \(op.info.name)"))
  }

  @Test func opcodeTableIsIndexedByRawValue() {
    for op in Opcode.allCases {
      #expect(Opcode(rawValue: op.rawValue) == op)
      #expect(op.info.operands.count <= 4)
    }
    #expect(Set(Opcode.allCases.map(\.info.name)).count == Opcode.allCases.count)
  }

  /// Operand a is 16 bits wide (`Instruction`): only registers, which the format keeps below
  /// 65,536, may go there; indices and jump targets need b, c or d (32 bits).
  @Test func operandAIsOnlyEverARegister() {
    let registerKinds: Set<OperandKind> = [.none, .def, .use, .useDef]
    for op in Opcode.allCases {
      #expect(registerKinds.contains(op.info.operands.first ?? .none), "\(op.info.name): operand a")
    }
    #expect(Program.maxRegisterCount == Int(Instruction.maxOperand(0)) + 1)
    #expect(MemoryLayout<Instruction>.stride == 16)
  }
}
