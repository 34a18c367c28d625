// The rule-coverage analysis (SentinelVerifier/RuleCoverage.swift): which programs write every
// rule result on every run — so the VM skips resetting the results — and which do not (a path
// that skips a rule, a loop that may end the run early), and that results reused between runs
// equal fresh ones either way.

import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelVM
import SentinelVerifier
import Testing

private let b = VariableSlot(name: "b", type: .bool)
private let unfused = Verifier(catalog: Fixtures.catalog, fusion: false)

/// Runs `p` on each input twice — with one results array kept across the inputs, and with a
/// fresh one per input — and expects the same rule results: whether or not the VM resets the
/// results, none of an earlier run may survive. Likewise with results followed by other values
/// (`resultsPrefix`), which stay as they are.
private func expectNoStaleResults(
  _ p: VerifiedProgram, _ inputs: [[Value?]], sourceLocation: SourceLocation = #_sourceLocation
) {
  var kept: [Value] = []
  var registers = VM.Registers()
  // `run(…resultsPrefix:…)` (`LinePreparer`): the same results first, the values after them kept.
  let tail: [Value] = [.string("after"), .int(7), .null]
  var prefixed: [Value] = []
  var prefixRegisters = VM.Registers()
  for input in inputs {
    var fresh: [Value] = []
    _ = VM().run(p, variables: input, results: &kept, registers: &registers)
    _ = VM().run(p, variables: input, results: &fresh)
    #expect(kept.map(render) == fresh.map(render), "\(input)", sourceLocation: sourceLocation)
    _ = VM().run(p, variables: input, resultsPrefix: &prefixed, registers: &prefixRegisters)
    if prefixed.count == fresh.count { prefixed += tail }
    #expect(prefixed.map(render) == (fresh + tail).map(render), "\(input)", sourceLocation: sourceLocation)
  }
}

private let inputs: [[Value?]] = [
  [.bool(true)], [.bool(false)], [.bool(true)], [nil], [.bool(true)], [.int(1)],
]

@Suite struct RuleCoverageTests {
  @Test func everyPathWritesEveryRule() throws {
    // if b { rule 0 ← b; rule 1 ← b } else { rule 1 ← b; rule 0 ← b }; rule 2 ← b
    let p = program(
      [
        .loadVar(0, 0), Instruction(.jumpIfFalse, 0, 5),
        Instruction(.ruleResult, 0, 0), Instruction(.ruleResult, 0, 1), .jump(7),
        Instruction(.ruleResult, 0, 1), Instruction(.ruleResult, 0, 0),  // @5
        Instruction(.ruleResult, 0, 2), .ret(0),  // @7
      ], registers: 1, variables: [b], ruleCount: 3)
    for verifier in [Fixtures.verifier, unfused] {
      let v = try verifier.verify(p)
      #expect(v.writesEveryRule)
      expectNoStaleResults(v, inputs)
    }
    // Fused, `rule; rule` is `rule.2`: its two rule operands count.
    #expect(try Fixtures.verifier.verify(p).executedProgram.code.contains { $0.opcode == .ruleTwice })
  }

  @Test func aPathThatSkipsARuleNeedsTheReset() throws {
    // if b { rule 0 ← b }; rule 1 ← b — when b is false, rule 0 is not written and must read null.
    let p = program(
      [
        .loadVar(0, 0), Instruction(.jumpIfFalse, 0, 3), Instruction(.ruleResult, 0, 0),
        Instruction(.ruleResult, 0, 1), .ret(0),  // @3
      ], registers: 1, variables: [b], ruleCount: 2)
    for verifier in [Fixtures.verifier, unfused] {
      let v = try verifier.verify(p)
      #expect(!v.writesEveryRule)
      expectNoStaleResults(v, inputs)
    }
    // After a run that wrote rule 0, a run that skips it reads null there.
    let v = try Fixtures.verifier.verify(p)
    var results: [Value] = []
    var registers = VM.Registers()
    _ = VM().run(v, variables: [.bool(true)], results: &results, registers: &registers)
    #expect(results.map(render) == ["true", "true"])
    _ = VM().run(v, variables: [.bool(false)], results: &results, registers: &registers)
    #expect(results.map(render) == [render(.null), "false"])
  }

  @Test func aRuleWrittenOnlyOnTheJumpEdgeOfRuleMoveJumpIfFalse() throws {
    // rule.move.jf writes its rule before it branches: both edges have it. The rule after the
    // branch is written only on the fall-through edge.
    let p = program(
      [
        .loadVar(0, 0), .loadVar(1, 0),
        Instruction(.ruleMoveJumpIfFalse, 0, 0, 1, 4), Instruction(.ruleResult, 0, 1),
        .ret(0),  // @4
      ], registers: 2, variables: [b], ruleCount: 2)
    let v = try unfused.verify(p)
    #expect(!v.writesEveryRule)
    expectNoStaleResults(v, inputs)
    let covered = program(
      [
        .loadVar(0, 0), .loadVar(1, 0),
        Instruction(.ruleMoveJumpIfFalse, 0, 0, 1, 4), Instruction(.ruleResult, 0, 1),
        Instruction(.ruleTwice, 0, 1, 1), .ret(0),  // @4
      ], registers: 2, variables: [b], ruleCount: 2)
    let w = try unfused.verify(covered)
    #expect(w.writesEveryRule)
    expectNoStaleResults(w, inputs)
  }

  @Test func programsWithALoopAlwaysReset() throws {
    // rule 0 ← b, then a loop over [1, 2] (a limit error could end the run inside it).
    let p = program(
      [
        .loadVar(0, 0), Instruction(.ruleResult, 0, 0),
        .loadConst(1, 0), .loadConst(2, 1), Instruction(.makeList, 3, 1, 2),
        Instruction(.iterInit, 4, 3, 8),
        Instruction(.iterNext, 4, 3, 5, 8), Instruction(.loop, 0, 6),  // @6
        .ret(0),  // @8
      ], registers: 6, constants: [.int(1), .int(2)], variables: [b], ruleCount: 1)
    let v = try Fixtures.verifier.verify(p)
    #expect(!v.writesEveryRule)
    expectNoStaleResults(v, inputs)
  }

  @Test func programsWithoutRules() throws {
    let v = try Fixtures.verifier.verify(program([.loadVar(0, 0), .ret(0)], registers: 1, variables: [b]))
    #expect(v.writesEveryRule)
    var results: [Value] = []
    #expect(render(VM().run(v, variables: [.bool(true)], results: &results)) == "true")
    #expect(results.isEmpty)
  }

  @Test func manyRulesAcrossWords() throws {
    // 130 rules (three 64-bit words): written in order, then one skipped on a branch.
    var code: [Instruction] = [.loadVar(0, 0)]
    for k in 0..<130 { code.append(Instruction(.ruleResult, 0, UInt32(k))) }
    code.append(.ret(0))
    let all = try unfused.verify(program(code, registers: 1, variables: [b], ruleCount: 130))
    #expect(all.writesEveryRule)
    var skip: [Instruction] = [.loadVar(0, 0)]
    for k in 0..<130 where k != 129 { skip.append(Instruction(.ruleResult, 0, UInt32(k))) }
    skip.append(Instruction(.jumpIfFalse, 0, UInt32(skip.count + 2)))
    skip.append(Instruction(.ruleResult, 0, 129))
    skip.append(.ret(0))
    let some = try unfused.verify(program(skip, registers: 1, variables: [b], ruleCount: 130))
    #expect(!some.writesEveryRule)
    expectNoStaleResults(some, inputs)
  }
}
