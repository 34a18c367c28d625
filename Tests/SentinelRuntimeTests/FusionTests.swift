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

/// Runs `p` fused and unfused on each input; the two renderings must be identical. The
/// verifiers default to the fixtures' catalog.
private func expectSameResults(
  _ p: Program, _ inputs: [[Value?]], fusing: Verifier = Fixtures.verifier,
  plain unfusing: Verifier = unfused,
  sourceLocation: SourceLocation = #_sourceLocation
)
  throws
{
  let fused = try fusing.verify(p)
  let plain = try unfusing.verify(p)
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
  /// `load.var x, v; rule x, k` → `rule.var k, v` when x is dead after the rule (a state
  /// program's keys and values); not when x is read later. Unbound and mistyped variables give
  /// the unfused results.
  @Test func aVariableLoadedForARuleAloneFusesWithIt() throws {
    // rule 0 ← x; rule 1 ← y; rule 2 ← x, then r0 (still x) is returned.
    let p = program(
      [
        .loadVar(0, 0), Instruction(.ruleResult, 0, 0), .loadVar(0, 1), Instruction(.ruleResult, 0, 1),
        .loadVar(0, 0), Instruction(.ruleResult, 0, 2), .ret(0),
      ], registers: 1, variables: [x, y], ruleCount: 3)
    #expect(try executed(p) == [.ruleVar, .ruleVar, .loadVar, .ruleResult, .ret])
    try expectSameResults(p, inputs)
    // A jump onto the rule: not fused (the rule also runs after another path's load).
    let q = program(
      [
        .loadVar(0, 1), Instruction(.jumpIfFalse, 0, 3), .loadVar(0, 0), Instruction(.ruleResult, 0, 0),
        .loadConst(0, 0), .ret(0),
      ], registers: 1, constants: [.int(1)], variables: [x, y], ruleCount: 1)
    #expect(try !executed(q).contains(.ruleVar))
  }

  /// `rule a, k; load.var x, v; rule x, m` → `rule.rv a, k, m, v` when x is dead after the
  /// second rule (a state program's filter result, then a variable result), x = a included; not
  /// when x is read later, nor when a jump lands on the load.
  @Test func aRuleAndTheNextVariableRuleFuse() throws {
    // rule 0 ← true; rule 1 ← x (loaded into r0 itself); rule 2 ← true; rule 3 ← y, then r1
    // (still y) is returned.
    let p = program(
      [
        .loadConst(0, 0), Instruction(.ruleResult, 0, 0), .loadVar(0, 0), Instruction(.ruleResult, 0, 1),
        .loadConst(0, 0), Instruction(.ruleResult, 0, 2), .loadVar(1, 1), Instruction(.ruleResult, 1, 3),
        .ret(1),
      ], registers: 2, constants: [.bool(true)], variables: [x, y], ruleCount: 4)
    let code = try Fixtures.verifier.verify(p).executedProgram.code
    #expect(
      code.map(\.opcode) == [.loadConst, .ruleRuleVar, .loadConst, .ruleResult, .loadVar, .ruleResult, .ret])
    #expect(code[1] == Instruction(.ruleRuleVar, 0, 0, 1, 0))
    try expectSameResults(p, inputs)
    // A jump onto the load: the rule and the load stay apart (the load and its rule still fuse).
    let q = program(
      [
        .loadConst(0, 0), Instruction(.jumpIfTrue, 0, 3), Instruction(.ruleResult, 0, 0),
        .loadVar(1, 0),  // @3
        Instruction(.ruleResult, 1, 1), .ret(0),
      ], registers: 2, constants: [.bool(true)], variables: [x, y], ruleCount: 2)
    #expect(try executed(q) == [.loadConst, .jumpIfTrue, .ruleResult, .ruleVar, .ret])
    try expectSameResults(q, inputs)
  }

  /// `and a, b; jump.false a, T` → `and.jf a, b, T` and `has.var a, v; jump.false a, T` →
  /// `has.jf a, v, T`: a is written on both edges (the rule after the target reads it). Not when
  /// a jump lands on the `jump.false`, unless jump threading (before fusion) moves that jump on.
  @Test func testsFuseWithTheBranchAfterThem() throws {
    let b = VariableSlot(name: "b", type: .bool)
    // r0 ← b && has(x); if r0 { r1 ← has(y); if r1 { r0 ← x } }; rule 0 ← r0; rule 1 ← r1.
    let p = program(
      [
        .loadVar(0, 0), Instruction(.hasVariable, 1, 1), Instruction(.logicalAnd, 0, 1),
        Instruction(.jumpIfFalse, 0, 7), Instruction(.hasVariable, 1, 2), Instruction(.jumpIfFalse, 1, 7),
        .loadVar(0, 1),
        Instruction(.ruleResult, 0, 0),  // @7
        Instruction(.ruleResult, 1, 1), .ret(0),
      ], registers: 2, variables: [b, x, y], ruleCount: 2)
    let code = try Fixtures.verifier.verify(p).executedProgram.code
    #expect(
      code.map(\.opcode) == [
        .loadVar, .hasVariable, .andJumpIfFalse, .hasVariableJumpIfFalse, .loadVar, .ruleResult, .ruleResult,
        .ret,
      ])
    #expect(
      code[2] == Instruction(.andJumpIfFalse, 0, 1, 5)
        && code[3] == Instruction(.hasVariableJumpIfFalse, 1, 2, 5))
    var cases: [[Value?]] = []
    for u in [Value.bool(true), .bool(false), .int(1)] {
      for v in [Value.int(3), nil] {
        for w in [Value.int(4), nil] { cases.append([u, v, w]) }
      }
    }
    cases.append([nil, .int(3), .int(4)])
    try expectSameResults(p, cases)
    // A `jump.true` of another register lands on each `jump.false`: nothing fuses.
    let q = program(
      [
        .loadVar(0, 0), .loadVar(2, 0), Instruction(.hasVariable, 1, 1), Instruction(.jumpIfTrue, 2, 5),
        Instruction(.logicalAnd, 0, 1),
        Instruction(.jumpIfFalse, 0, 10),  // @5
        Instruction(.jumpIfTrue, 2, 8), Instruction(.hasVariable, 1, 2),
        Instruction(.jumpIfFalse, 1, 10),  // @8
        .loadVar(0, 1),
        Instruction(.ruleResult, 0, 0),  // @10
        Instruction(.ruleResult, 1, 1), .ret(0),
      ], registers: 3, variables: [b, x, y], ruleCount: 2)
    let fusedQ = try executed(q)
    #expect(!fusedQ.contains(.andJumpIfFalse) && !fusedQ.contains(.hasVariableJumpIfFalse), "\(fusedQ)")
    try expectSameResults(q, cases)
    // The `jump.false r0` at 4 is reached by the one at 1 too, which threading sends on to @6:
    // then no jump lands on it and the `and` before it fuses.
    let t = program(
      [
        .loadVar(0, 0), Instruction(.jumpIfFalse, 0, 4), Instruction(.hasVariable, 1, 1),
        Instruction(.logicalAnd, 0, 1),
        Instruction(.jumpIfFalse, 0, 6),  // @4
        Instruction(.hasVariable, 0, 2),
        Instruction(.ruleResult, 0, 0),  // @6
        .ret(0),
      ], registers: 2, variables: [b, x, y], ruleCount: 1)
    let fusedT = try Fixtures.verifier.verify(t).executedProgram.code
    #expect(
      fusedT.map(\.opcode) == [
        .loadVar, .jumpIfFalse, .hasVariable, .andJumpIfFalse, .hasVariable, .ruleResult, .ret,
      ])
    #expect(fusedT[1].b == 5 && fusedT[3].c == 5)
    try expectSameResults(t, cases)
  }

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

  @Test func deadLoadsAreDropped() throws {
    // r1 ← null at 0 is rewritten on both branches (3, 5) before `ret r1` reads it, and r2 ← x
    // at 6 is never read: the loader drops both. `jump @6` lands on the dropped load, so it
    // lands on the `ret` after it; the loads at 3 and 5 are read and stay.
    let b = VariableSlot(name: "b", type: .bool)
    let p = program(
      [
        .loadConst(1, 0), .loadVar(0, 0), Instruction(.jumpIfFalse, 0, 5), .loadVar(1, 1), .jump(6),
        .loadConst(1, 1),  // @5
        .loadVar(2, 1),  // @6
        .ret(1),
      ], registers: 3, constants: [.null, .int(7)], variables: [b, x])
    let code = try Fixtures.verifier.verify(p).executedProgram.code
    #expect(code.map(\.opcode) == [.loadVar, .jumpIfFalse, .loadVar, .jump, .loadConst, .ret])
    #expect(code[1].b == 4 && code[3].b == 5)
    var cases: [[Value?]] = []
    for u in [Value.bool(true), .bool(false), .int(1)] {
      for v in [Value.int(3), .string("s")] { cases.append([u, v]) }
      cases.append([u, nil])
    }
    cases.append([nil, .int(3)])
    try expectSameResults(p, cases)
    // Read on one path (the jump skips its rewrite): live, kept.
    let q = program(
      [.loadConst(1, 0), .loadVar(0, 0), Instruction(.jumpIfFalse, 0, 4), .loadVar(1, 1), .ret(1)],
      registers: 2, constants: [.null], variables: [b, x])
    #expect(try executed(q) == q.code.map(\.opcode))
    try expectSameResults(q, cases)
  }

  @Test func liveRegistersAreKnownAcrossLongSkippedBlocks() throws {
    // r0 ← x > 1; if r0 { 300 writes of r5 }; then r3 and r4 are rewritten (p: dead after the
    // call, so it fuses) or r3 is read (q: live, so it must not). The 300 instructions were
    // past the bounded search's budget (256): p did not fuse before `Liveness`.
    func code(_ tail: [Instruction]) -> [Instruction] {
      [.loadVar(3, 0), .loadConst(4, 0), .call(0, 1, 3, 2), Instruction(.jumpIfFalse, 0, 304)]
        + [Instruction](repeating: .loadConst(5, 0), count: 300) + tail
    }
    let p = program(
      code([.loadConst(3, 0), .loadConst(4, 0), .ret(0)]), registers: 6, constants: [.int(1)], variables: [x],
      builtins: ["add_int64", "greater_int64"])
    #expect(try executed(p).first == .callVarConst)
    try expectSameResults(p, inputs)
    let q = program(
      code([.ret(3)]), registers: 6, constants: [.int(1)], variables: [x],
      builtins: ["add_int64", "greater_int64"])
    // The call stays unfused; the 300 writes of r5, which nothing reads, are dropped (dead loads).
    #expect(try executed(q) == [.loadVar, .loadConst, .call, .jumpIfFalse, .ret])
    try expectSameResults(q, inputs)
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

  // MARK: - Typed instructions (test.vk, and.test.vk, test.vv; TypedTest.swift)

  @Test func callsWithATypedKernelAreSpecialized() throws {
    // r_k ← each test, rule k ← r_k: int, double, mixed, string, in, matches, string vars.
    let cases: [(builtin: String, variable: Int, operand: Value?, typed: Bool)] = [
      ("less_int64", 0, .int(3), true),  // i < 3
      ("greater_equals_double", 1, .double(2.5), true),  // f >= 2.5
      ("less_int64_double", 0, .double(2.5), true),  // i < 2.5
      ("greater_double_int64", 1, .int(2), true),  // f > 2
      ("equals", 0, .int(3), true),  // i == 3
      ("not_equals", 1, .double(2.5), true),  // f != 2.5
      ("equals", 0, .double(3), true),  // i == 3.0
      ("equals", 1, .int(3), true),  // f == 3
      ("equals", 2, .string("KP"), true),  // s == "KP"
      ("not_equals", 2, .string("é"), true),  // s != "é"
      ("in_list", 2, .list([.string("KP"), .int(1), .string("IR")]), true),
      ("in_map", 2, .map(Self.map), true),
      ("in_map", 2, .map(Self.asciiMap), true),  // ASCII keys: the VM's set answers ASCII queries
      (
        "in_list", 2, .list([.string("K"), .string("KP"), .string("K"), .string(""), .string("e\u{301}")]),
        true
      ),
      ("equals", 2, .string("guerrillamail.com"), true),  // a string longer than 15 bytes
      ("matches_string", 2, .string("^[0-9]{2,}@"), true),
      ("matches_string", 2, .string("("), true),  // an invalid pattern: the same error
      ("equals", 2, nil, true),  // s == t
      ("not_equals", 2, nil, true),  // s != t
      // Not specialized: no kernel, a kind pair without one, a dyn argument.
      ("add_int64", 0, .int(1), false),
      ("equals", 2, .int(1), false),  // string == int: always false, left to the closure
      ("equals", 0, nil, false),  // two ints: test.vv is for strings
      ("in_list", 0, .list([.int(1)]), false),  // an int in a list
      ("less_uint64", 4, .uint(3), false),
      ("equals", 3, .int(1), false),  // d is dyn: a guarded call, not fused at all
    ]
    var specialized = 0
    for c in cases {
      // r0 ← v op k (or v op t); rule 0 ← r0; ret r0.
      let second: Instruction =
        c.operand == nil ? .loadVar(2, UInt32(c.variable == 2 ? 5 : c.variable)) : .loadConst(2, 0)
      let p = program(
        [
          .loadVar(1, UInt32(c.variable)), second, .call(0, 0, 1, 2), Instruction(.ruleResult, 0, 0), .ret(0),
        ],
        registers: 3, constants: c.operand.map { [$0] } ?? [], variables: Self.variables,
        builtins: [c.builtin],
        ruleCount: 1)
      let ops = try Self.typed.verify(p).executedProgram.code.map(\.opcode)
      let isTyped = ops.contains(.testVarConst) || ops.contains(.testVarVar)
      #expect(isTyped == c.typed, "\(c.builtin) on v\(c.variable): \(ops.map(\.info.name))")
      if isTyped { specialized += 1 }
      try Self.expectSameTypedResults(p)
    }
    #expect(specialized == cases.filter(\.typed).count)
  }

  @Test func conjunctsWithATypedKernelBecomeAndTest() throws {
    // r0 ← s == "KP" && i > 2 && f < 1.5, each conjunct behind a jump.false.
    let p = program(
      [
        .loadVar(1, 2), .loadConst(2, 0), .call(0, 0, 1, 2),
        Instruction(.jumpIfFalse, 0, 12),
        .loadVar(2, 0), .loadConst(3, 1), .call(1, 1, 2, 2), Instruction(.logicalAnd, 0, 1),
        .loadVar(2, 1), .loadConst(3, 2), .call(1, 2, 2, 2), Instruction(.logicalAnd, 0, 1),
        Instruction(.ruleResult, 0, 0),  // @12
        .ret(0),
      ], registers: 4, constants: [.string("KP"), .int(2), .double(1.5)], variables: Self.variables,
      builtins: ["equals", "greater_int64", "less_double"], ruleCount: 1)
    #expect(
      try Self.typed.verify(p).executedProgram.code.map(\.opcode) == [
        .testVarConst, .jumpIfFalse, .andTestVarConst, .andTestVarConst, .ruleResult, .ret,
      ])
    try Self.expectSameTypedResults(p)
  }

  @Test func moveThenJumpIfFalseFuses() throws {
    // r1 ← s == "KP"; then twice: r0 ← r1; if false skip; r0 ← r0 && i > 2; rule.
    let p = program(
      [
        .loadVar(2, 2), .loadConst(3, 0), .call(1, 0, 2, 2),
        .move(0, 1), Instruction(.jumpIfFalse, 0, 8), .loadVar(2, 0), .loadConst(3, 1), .call(0, 1, 2, 2),
        Instruction(.ruleResult, 0, 0),  // @8
        .move(0, 1), Instruction(.jumpIfFalse, 1, 12), .loadConst(0, 2),  // tests r1, not r0: no fusion
        Instruction(.ruleResult, 0, 1),  // @12
        .ret(0),
      ], registers: 4, constants: [.string("KP"), .int(2), .bool(true)], variables: Self.variables,
      builtins: ["equals", "greater_int64"], ruleCount: 2)
    let code = try Self.typed.verify(p).executedProgram.code
    #expect(
      code.map(\.opcode) == [
        .testVarConst, .moveJumpIfFalse, .testVarConst, .ruleResult, .move, .jumpIfFalse, .loadConst,
        .ruleResult,
        .ret,
      ])
    #expect(code[1].c == 3 && code[5].b == 7)
    try Self.expectSameTypedResults(p)
    // A jump onto the `jump.false` keeps the pair apart.
    let q = program(
      [
        .loadConst(1, 0), Instruction(.jumpIfTrue, 1, 3), .move(0, 1), Instruction(.jumpIfFalse, 1, 5),
        .loadConst(1, 1), .ret(1),
      ], registers: 2, constants: [.bool(false), .int(1)])
    #expect(try Self.typed.verify(q).executedProgram.code.map(\.opcode) == q.code.map(\.opcode))
  }

  /// Jump threading (`Fusion.threadJumps`): a jump taken on a register's value whose target
  /// tests the same register goes where that test goes (its target when it tests the same value,
  /// the next instruction when the opposite); a `jump` to a `jump` goes to the latter's target.
  /// Results equal the unfused code's for true, false and error conditions.
  @Test func jumpsToATestOfTheSameRegisterAreThreaded() throws {
    let p = program(
      [
        .loadVar(2, 0), .loadConst(3, 0), .call(0, 0, 2, 2),  // r0 ← x > 2 (one fused test, pc 0)
        .loadConst(1, 1),  // 1: r1 ← 10
        Instruction(.jumpIfFalse, 0, 7),  // 2: → 5 (jump.false r0) → 8 (jump.true r0) → 9
        .loadConst(1, 2),  // 3: r1 ← 20
        Instruction(.ruleResult, 1, 0),  // 4
        Instruction(.jumpIfFalse, 0, 10),  // 5: → 8 (jump.true r0: the opposite) → 9
        Instruction(.jumpIfTrue, 0, 11),  // 6: → 9 (a rule write: stays)
        .loadConst(1, 3),  // 7: r1 ← 30 (r0 an error)
        Instruction(.jumpIfTrue, 0, 12),  // 8
        Instruction(.ruleResult, 1, 1),  // 9
        Instruction(.ruleResult, 0, 2),  // 10
        .jump(15),  // 11: → 13 (jump) → 15
        .loadConst(1, 4),  // 12 (unreachable)
        .jump(17),  // 13
        .loadConst(1, 5),  // 14 (unreachable)
        .ret(1),  // 15
      ], registers: 4, constants: [.int(2), .int(10), .int(20), .int(30), .int(40), .int(50)],
      variables: [x, y], builtins: ["greater_int64"], ruleCount: 3)
    let code = try Fixtures.verifier.verify(p).executedProgram.code
    // `jump`, `jump.false` and `jump.true` keep their target in b.
    func target(_ pc: Int) -> Int { Int(code[pc].b) }
    #expect(
      [2, 5, 6, 8, 11, 13].allSatisfy { [.jump, .jumpIfFalse, .jumpIfTrue].contains(code[$0].opcode) })
    #expect(code.count == 16)
    #expect(target(2) == 9 && target(5) == 9 && target(6) == 9 && target(8) == 10)
    #expect(target(11) == 15 && target(13) == 15)
    try expectSameResults(p, inputs)
  }

  @Test func ruleWritesFuseWithTheirNeighbour() throws {
    // r1 ← s == "KP" (a shared guard); rule 0 ← r1; r0 ← r1, if false skip; r0 ← i > 2;
    // rule 1 ← r0; r0 ← r1, if false skip; r0 ← true; rules 2 and 3 ← r0; rule 4 ← r1.
    let p = program(
      [
        .loadVar(2, 2), .loadConst(3, 0), .call(1, 0, 2, 2),
        Instruction(.ruleResult, 1, 0),  // rule r1 then move r0: another register, no rule.move.jf
        .move(0, 1), Instruction(.jumpIfFalse, 0, 9),
        .loadVar(2, 0), .loadConst(3, 1), .call(0, 1, 2, 2),
        Instruction(.ruleResult, 0, 1),  // @9
        .move(0, 1), Instruction(.jumpIfFalse, 0, 13), .loadConst(0, 2),
        Instruction(.ruleResult, 0, 2),  // @13
        Instruction(.ruleResult, 0, 3),
        Instruction(.ruleResult, 1, 4),  // another register: no rule.2
        .ret(0),
      ], registers: 4, constants: [.string("KP"), .int(2), .bool(true)], variables: Self.variables,
      builtins: ["equals", "greater_int64"], ruleCount: 5)
    let code = try Self.typed.verify(p).executedProgram.code
    #expect(
      code.map(\.opcode) == [
        .testVarConst, .ruleResult, .moveJumpIfFalse, .testVarConst, .ruleMoveJumpIfFalse, .loadConst,
        .ruleTwice, .ruleResult, .ret,
      ])
    #expect(code[2].c == 4 && code[4] == Instruction(.ruleMoveJumpIfFalse, 0, 1, 1, 6))
    #expect(code[6] == Instruction(.ruleTwice, 0, 2, 3))
    try Self.expectSameTypedResults(p)
    // A jump onto the second `rule` (or onto the `move`) keeps them apart.
    let q = program(
      [
        .loadConst(0, 0), .loadConst(1, 0), Instruction(.jumpIfTrue, 0, 4), Instruction(.ruleResult, 0, 0),
        Instruction(.ruleResult, 0, 1),  // @4
        Instruction(.jumpIfTrue, 0, 7), Instruction(.ruleResult, 0, 2),
        .move(0, 1),  // @7
        Instruction(.jumpIfFalse, 0, 9), .ret(0),
      ], registers: 2, constants: [.bool(false)], ruleCount: 3)
    let fusedQ = try Self.typed.verify(q).executedProgram.code.map(\.opcode)
    #expect(!fusedQ.contains(.ruleTwice) && !fusedQ.contains(.ruleMoveJumpIfFalse), "\(fusedQ)")
  }

  @Test func andVarOnABoolInASlotOfAnotherKindIsTheLoadsError() throws {
    // r0 ← true && s, s declared string: a bool in its slot is a wrong-kind error, as unfused.
    let p = program(
      [.loadConst(0, 0), .loadVar(1, 2), Instruction(.logicalAnd, 0, 1), .ret(0)], registers: 2,
      constants: [.bool(true)], variables: Self.variables)
    #expect(try Self.typed.verify(p).executedProgram.code.map(\.opcode) == [.loadConst, .andVar, .ret])
    let fused = try Self.typed.verify(p)
    let plain = try Self.typedUnfused.verify(p)
    for s in [Value.bool(true), .bool(false), .string("x")] {
      let input: [Value?] = [nil, nil, s]
      let v1 = VM().run(fused, variables: input)
      #expect(v1.description == VM().run(plain, variables: input).description)
      #expect(v1.isError)
    }
  }

  @Test func malformedTypedInstructionsAreRefused() {
    func rule(_ ins: Instruction, constants: [Value] = [.int(1)], builtins: [String]) -> VerificationError? {
      rejection(
        program(
          [.loadConst(0, 0), ins, .ret(0)], registers: 2, constants: constants, variables: Self.variables,
          builtins: builtins),
        catalog: Builtins.standard)
    }
    // No typed kernel: the builtin has none, or none for these kinds.
    let none = rule(Instruction(.testVarConst, 0, 0, 0, 0), builtins: ["add_int64"])
    #expect(none?.rule == .noTypedKernel && none?.operand == 3, "\(String(describing: none))")
    #expect(
      none?.description
        == "pc 1 (test.vk): operand d: overload 'add_int64' has no typed kernel for variable `i` (int) and constant #0 (int)"
    )
    // s == 1: no kernel for a string and an int
    #expect(
      rule(Instruction(.testVarConst, 0, 2, 0, 0), builtins: ["equals"])?.rule == .noTypedKernel)
    // the constant 1 is not a list
    #expect(
      rule(Instruction(.andTestVarConst, 0, 2, 0, 0), builtins: ["in_list"])?.rule == .typeMismatch)
    // test.vv is for two strings
    #expect(rule(Instruction(.testVarVar, 0, 0, 0, 0), builtins: ["equals"])?.rule == .noTypedKernel)
    // The fused call's own checks: kinds proven, arity, operands in bounds.
    // d is dyn, less_int64 takes an int
    #expect(rule(Instruction(.testVarConst, 0, 3, 0, 0), builtins: ["less_int64"])?.rule == .typeMismatch)
    // d == 1: no kernel for a dyn variable
    #expect(rule(Instruction(.testVarConst, 0, 3, 0, 0), builtins: ["equals"])?.rule == .noTypedKernel)
    #expect(rule(Instruction(.testVarConst, 0, 0, 0, 0), builtins: ["logical_not"])?.rule == .arityMismatch)
    #expect(rule(Instruction(.testVarConst, 0, 9, 0, 0), builtins: ["equals"])?.rule == .variableOutOfBounds)
    #expect(rule(Instruction(.testVarVar, 0, 2, 9, 0), builtins: ["equals"])?.rule == .variableOutOfBounds)
    #expect(rule(Instruction(.testVarConst, 0, 0, 7, 0), builtins: ["equals"])?.rule == .constantOutOfBounds)
    #expect(
      rule(Instruction(.andTestVarConst, 0, 0, 0, 4), builtins: ["equals"])?.rule == .builtinOutOfBounds)
    #expect(
      rejection(
        program(
          [Instruction(.andTestVarConst, 0, 0, 0, 0), .ret(0)], registers: 1, constants: [.int(1)],
          variables: Self.variables, builtins: ["less_int64"]), catalog: Builtins.standard)?.rule
        == .unassignedRegister)
    // move.jf: its source must be written, its target forward.
    #expect(rule(Instruction(.moveJumpIfFalse, 0, 1, 2), builtins: [])?.rule == .unassignedRegister)
    #expect(rule(Instruction(.moveJumpIfFalse, 1, 0, 0), builtins: [])?.rule == .backwardJump)
    // A verified bundle carrying typed instructions runs them: r0 ← i < 1.
    let ok = program(
      [Instruction(.testVarConst, 0, 0, 0, 0), .ret(0)], registers: 1, constants: [.int(1)],
      variables: Self.variables, builtins: ["less_int64"])
    #expect((try? Self.typed.verify(ok)).map { render(VM().run($0, variables: [.int(0)])) } == "true")
  }

  static let typed = Verifier(catalog: Builtins.standard)
  static let typedUnfused = Verifier(catalog: Builtins.standard, fusion: false)
  /// i: int, f: double, s: string, d: dyn, u: uint, t: string.
  static let variables = [
    VariableSlot(name: "i", type: .int), VariableSlot(name: "f", type: .double),
    VariableSlot(name: "s", type: .string), VariableSlot(name: "d", type: .dyn),
    VariableSlot(name: "u", type: .uint), VariableSlot(name: "t", type: .string),
  ]
  static let map: MapValue = {
    var m = MapValue()
    for k in ["KP", "185.0.1.2", "e\u{301}"] { m.insert(.string(k), .bool(true)) }
    m.insert(.int(7), .bool(true))
    return m
  }()

  /// A map with only ASCII string keys (and an int key), whose `in` the VM answers from a
  /// `StringSet` for ASCII queries.
  static let asciiMap: MapValue = {
    var m = MapValue()
    for k in ["K", "KP", "", "guerrillamail.com"] { m.insert(.string(k), .bool(true)) }
    m.insert(.int(7), .bool(true))
    return m
  }()

  /// Runs `p` fused (typed) and unfused over values of every kind at the edges: NaN, infinities,
  /// the int limits, strings equal only under canonical equivalence, unbound and wrong-kind slots.
  static func expectSameTypedResults(_ p: Program, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let ints: [Value?] = [.int(3), .int(2), .int(-1), .int(.max), .int(.min), nil, .string("3"), .double(3)]
    let doubles: [Value?] = [
      .double(2.5), .double(3), .double(.nan), .double(.infinity), .double(-.infinity), .double(-0.0),
      .double(9.3e18), nil, .int(3),
    ]
    let strings: [Value?] = [
      .string("KP"), .string("IR"), .string("é"), .string("e\u{301}"), .string("185.0.1.2"),
      .string("12345@x"), .string(""), nil, .int(1),
      // Equal to "K", "KP" only under canonical equivalence (the Kelvin sign), and longer than
      // Swift's 15-byte small strings.
      .string("\u{212A}"), .string("\u{212A}P"), .string("K"), .string("guerrillamail.com"),
      // `matches` on the bytes of a string longer than 15 bytes (not a small string), and one
      // the pattern's simple form leaves to the full engine (a byte outside printable ASCII).
      .string("1234567890123456@mail.example"), .string("12345\u{7F}@x"),
    ]
    var inputs: [[Value?]] = []
    for (k, i) in ints.enumerated() {
      for (j, f) in doubles.enumerated() {
        for (n, s) in strings.enumerated() {
          let t = strings[(n + k + j) % strings.count]
          inputs.append([i, f, s, .int(1), .uint(UInt64(k)), t])
        }
      }
    }
    inputs.append([])  // every slot unbound
    try expectSameResults(p, inputs, fusing: typed, plain: typedUnfused, sourceLocation: sourceLocation)
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
