// The loader's superinstructions (SentinelVerifier/Fusion.swift): which sequences fuse and which
// must not (a jump into the sequence, a guarded call, an argument register read later), that
// the fused code verifies and computes what the original computes, and that the verifier refuses
// malformed fused instructions in bundles that carry them.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

private let x = VariableSlot(name: "x", type: .int)
private let y = VariableSlot(name: "y", type: .int)
private let d = VariableSlot(name: "d", type: .dyn)
private let unfused = Verifier(catalog: Fixtures.catalog, fusion: false)

/// The opcodes of the code the VM runs for `p`.
private func executed(_ p: Program) throws -> [Opcode] {
  try Fixtures.verifier.verify(p).executedProgram.code.map(\.opcode)
}

/// Runs `p` fused and unfused on each input; the two renderings must be identical.
private func expectSameResults(
  _ p: Program, _ inputs: [[Value?]], sourceLocation: SourceLocation = #_sourceLocation
)
  throws
{
  let fused = try Fixtures.verifier.verify(p)
  let plain = try unfused.verify(p)
  #expect(plain.executedProgram.code == p.code, sourceLocation: sourceLocation)
  for input in inputs {
    var r1: [Value] = []
    var r2: [Value] = []
    let v1 = VM().run(fused, variables: input, results: &r1)
    let v2 = VM().run(plain, variables: input, results: &r2)
    #expect(render(v1) == render(v2), "\(input)", sourceLocation: sourceLocation)
    #expect(r1.map(render) == r2.map(render), "\(input)", sourceLocation: sourceLocation)
  }
}

/// Inputs for programs over `x` and `y`: values, an unbound slot and a value of the wrong kind.
private let inputs: [[Value?]] = [
  [.int(3), .int(2)], [.int(-5), .int(7)], [.int(0), .int(0)], [nil, .int(1)], [.int(1), nil],
  [.string("s"), .int(1)], [.int(.max), .int(1)],
]

@Suite struct FusionTests {
  @Test func varConstVarVarAndUnaryCallsFuse() throws {
    // r0 ← x > 1; r1 ← x + y; r2 ← -y; rule results, then r0.
    let p = program(
      [
        .loadVar(3, 0), .loadConst(4, 0), .call(0, 1, 3, 2),
        .loadVar(3, 0), .loadVar(4, 1), .call(1, 0, 3, 2),
        .loadVar(3, 1), .call(2, 2, 3, 1),
        Instruction(.ruleResult, 1, 0), Instruction(.ruleResult, 2, 1), .ret(0),
      ], registers: 5, constants: [.int(1)], variables: [x, y],
      builtins: ["add_int64", "greater_int64", "negate_int64"], ruleCount: 2)
    #expect(try executed(p) == [.callVarConst, .callVarVar, .callVar, .ruleResult, .ruleResult, .ret])
    try expectSameResults(p, inputs)
  }

  @Test func conjunctsFuseIntoAnd() throws {
    // r0 ← x > 1 && b && y > 1, then r1 ← x + y (unused).
    let b = VariableSlot(name: "b", type: .bool)
    let p = program(
      [
        .loadVar(3, 0), .loadConst(4, 0), .call(0, 1, 3, 2),
        Instruction(.jumpIfFalse, 0, 13),
        .loadVar(1, 2), Instruction(.logicalAnd, 0, 1),
        .loadVar(3, 1), .loadConst(4, 0), .call(1, 1, 3, 2), Instruction(.logicalAnd, 0, 1),
        .loadVar(3, 0), .loadVar(4, 1), .call(1, 0, 3, 2),
        .ret(0),  // @13
      ], registers: 5, constants: [.int(1)], variables: [x, y, b], builtins: ["add_int64", "greater_int64"])
    #expect(try executed(p) == [.callVarConst, .jumpIfFalse, .andVar, .andVarConst, .callVarVar, .ret])
    var cases: [[Value?]] = []
    for u in [Value.int(0), .int(2), .string("s")] {
      for v in [Value.int(0), .int(5)] {
        for w in [Value.bool(true), .bool(false), .int(1)] { cases.append([u, v, w]) }
      }
    }
    cases.append([.int(2), nil, .bool(true)])
    try expectSameResults(p, cases)
    // The `and`'s second operand read again later: `and.v` would leave it unwritten.
    let q = program(
      [.loadConst(0, 0), .loadVar(1, 2), Instruction(.logicalAnd, 0, 1), .ret(1)], registers: 2,
      constants: [.bool(true)], variables: [x, y, b])
    #expect(try executed(q) == q.code.map(\.opcode))
  }

  @Test func anArgumentRegisterReadLaterIsNotFused() throws {
    // r3 (x) is read again by `ret`: the fused call would leave it unwritten.
    let p = program(
      [.loadVar(3, 0), .loadConst(4, 0), .call(0, 1, 3, 2), Instruction(.ruleResult, 0, 0), .ret(3)],
      registers: 5, constants: [.int(1)], variables: [x], builtins: ["add_int64", "greater_int64"],
      ruleCount: 1)
    #expect(try executed(p) == p.code.map(\.opcode))
    try expectSameResults(p, inputs)
    // Read on one branch only (after a jump over a write): still live.
    let q = program(
      [
        .loadConst(0, 1), .loadVar(3, 0), .loadConst(4, 0), .call(1, 1, 3, 2),
        Instruction(.jumpIfTrue, 0, 6), .loadConst(3, 0), .ret(3),
      ], registers: 5, constants: [.int(1), .bool(true)], variables: [x],
      builtins: ["add_int64", "greater_int64"])
    #expect(try executed(q) == q.code.map(\.opcode))
    try expectSameResults(q, inputs)
  }

  @Test func anArgumentRegisterWrittenOnEveryPathBeforeItsReadIsFused() throws {
    // After the call, r3 is rewritten on both branches before `ret r3` reads it.
    let p = program(
      [
        .loadConst(0, 1), .loadVar(3, 0), .loadConst(4, 0), .call(1, 1, 3, 2),
        Instruction(.jumpIfTrue, 0, 7), .loadConst(3, 0), .jump(8), .move(3, 1), .ret(3),
      ], registers: 5, constants: [.int(1), .bool(true)], variables: [x],
      builtins: ["add_int64", "greater_int64"])
    #expect(try executed(p).first(where: { $0 != .loadConst }) == .callVarConst)
    try expectSameResults(p, inputs)
  }

  @Test func aJumpIntoTheSequenceBlocksFusion() throws {
    // `jump.true` lands on the `load.const` (pc 4): the sequence has two entries.
    let p = program(
      [
        .loadConst(3, 0), .loadConst(4, 1), Instruction(.jumpIfTrue, 4, 4), .loadVar(3, 0), .loadConst(4, 0),
        .call(0, 1, 3, 2), .ret(0),
      ], registers: 5, constants: [.int(1), .bool(false)], variables: [x],
      builtins: ["add_int64", "greater_int64"])
    #expect(!(try executed(p)).contains(.callVarConst))
  }

  @Test func guardedCallsAreNotFused() throws {
    // `d` is dyn: the call tests its argument at run time, which a fused call does not do.
    let p = program(
      [.loadVar(0, 0), .loadConst(1, 0), .call(2, 0, 0, 2), .ret(2)], registers: 3, constants: [.int(1)],
      variables: [d], builtins: ["add_int64"])
    #expect(try executed(p) == p.code.map(\.opcode))
    try expectSameResults(p, [[.int(1)], [.string("s")], [nil]])
  }

  @Test func jumpTargetsAreRenumbered() throws {
    // if x > 1 then x + 1 else -x, with fused sequences before, inside and after the branches.
    let p = program(
      [
        .loadVar(3, 0), .loadConst(4, 0), .call(1, 1, 3, 2),  // r1 ← x > 1
        Instruction(.jumpIfFalse, 1, 8),
        .loadVar(3, 0), .loadConst(4, 0), .call(0, 0, 3, 2),  // r0 ← x + 1
        .jump(10),
        .loadVar(3, 0), .call(0, 2, 3, 1),  // @8: r0 ← -x
        .ret(0),  // @10
      ], registers: 5, constants: [.int(1)], variables: [x],
      builtins: ["add_int64", "greater_int64", "negate_int64"])
    let verified = try Fixtures.verifier.verify(p)
    let code = verified.executedProgram.code
    #expect(
      code.map(\.opcode) == [.callVarConst, .jumpIfFalse, .callVarConst, .jump, .callVar, .ret])
    #expect(code[1].b == 4 && code[3].b == 5)
    try expectSameResults(p, inputs)
  }

  @Test func fusedInstructionsVerifyAndRunWhenABundleCarriesThem() {
    let p = program(
      [Instruction(.callVarConst, 0, 0, 0, 0), Instruction(.callVarVar, 1, 0, 1, 0), .ret(1)], registers: 2,
      constants: [.int(4)], variables: [x, y], builtins: ["add_int64"])
    #expect(render(run(p, [.int(1), .int(2)])) == "3")
    #expect(errorKind(run(p, [nil, .int(2)])) == .unboundVariable)
  }

  @Test func malformedFusedInstructionsAreRefused() {
    let vars = [x, y, d]
    func rule(_ ins: Instruction, constants: [Value] = [.int(1)], builtins: [String] = ["add_int64"])
      -> VerificationError?
    {
      rejection(
        program([ins, .ret(0)], registers: 1, constants: constants, variables: vars, builtins: builtins))
    }
    // Operands: each index against its table.
    #expect(rule(Instruction(.callVarConst, 0, 9, 0, 0))?.rule == .variableOutOfBounds)
    #expect(rule(Instruction(.callVarConst, 0, 0, 9, 0))?.rule == .constantOutOfBounds)
    #expect(rule(Instruction(.callVarConst, 0, 0, 0, 9))?.rule == .builtinOutOfBounds)
    #expect(rule(Instruction(.callVarVar, 0, 0, 9, 0))?.rule == .variableOutOfBounds)
    #expect(rule(Instruction(.callVar, 0, 0, 0))?.rule == .arityMismatch)  // add_int64 takes 2
    #expect(rule(Instruction(.callVar, 0, 0, 0, 1))?.rule == .nonZeroUnusedOperand)
    #expect(
      rejection(
        program(
          [Instruction(.callVar, 5, 0, 0), .ret(0)], registers: 1, variables: vars,
          builtins: ["negate_int64"]))?.rule == .registerOutOfBounds)
    #expect(
      rule(Instruction(.callVarConst, 0, 0, 0, 0), builtins: ["negate_int64"])?.rule == .arityMismatch)
    #expect(
      rule(Instruction(.andVarConst, 0, 0, 0, 0), builtins: ["negate_int64"])?.rule == .arityMismatch)
    // and.v / and.vk read their accumulator: it must be written first.
    #expect(rule(Instruction(.andVar, 0, 0))?.rule == .unassignedRegister)
    // Kinds: a fused call runs unguarded, so a dyn argument is refused, and an impossible one.
    let dyn = rule(Instruction(.callVarConst, 0, 2, 0, 0))
    #expect(dyn?.rule == .typeMismatch && dyn?.operand == 1, "\(String(describing: dyn))")
    let string = rule(Instruction(.callVarConst, 0, 0, 0, 0), constants: [.string("s")])
    #expect(string?.rule == .typeMismatch && string?.operand == 2, "\(String(describing: string))")
    #expect(
      string?.description
        == "pc 0 (call.vk): operand c: argument 1 (constant #0) is a string, but overload 'add_int64' takes int"
    )
  }

  @Test func fusionChargesTheSameCost() throws {
    let p = program(
      [.loadVar(3, 0), .loadConst(4, 0), .call(0, 1, 3, 2), .ret(0)], registers: 5, constants: [.int(1)],
      variables: [x], builtins: ["add_int64", "greater_int64"])
    let fused = try Fixtures.verifier.verify(p)
    let q = fused.executedProgram
    #expect(q.code.count == 2)
    #expect(try Fixtures.verifier.verify(q).costBound == fused.costBound)
  }
}
