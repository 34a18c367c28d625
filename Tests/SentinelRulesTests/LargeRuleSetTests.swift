// A rule set too large for bytecode format 1 (more than 65,535 instructions: 16-bit jump
// targets): it compiles, its bundle loads (digest, decode, verifier), codegen reuses registers
// across rules, and the VM decides as the reference evaluator does. Kept to a few seconds in
// debug builds; `bash bench/check.sh` times 10,000 rules in release.

import Foundation
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime
import SentinelSyntax
import Testing

@Suite struct LargeRuleSetTests {
  @Test func moreThan65535InstructionsCompileVerifyAndDecide() throws {
    var gen = RuleSetGenerator(rng: RulesRNG(state: 0x10_000))
    var text =
      "list sanctioned = [\"KP\", \"IR\", \"SY\", \"CU\"]\ncondition is_txn = event.type == \"transaction\"\n"
    let count = 4_200
    for i in 0..<count {
      text += "rule r\(i) {\n  when: \(gen.atom()) && \(gen.atom()) && \(gen.atom())\n  score: \(i % 7)\n}\n"
    }
    let source = Source(name: "large.rules", text: text)
    let (file, pd) = RuleParser.parse(source)
    #expect(!pd.hasErrors, "\(pd)")
    let parsed = try #require(file)
    // Condition dedupe computes each of the few distinct atoms once and would shrink the
    // program below the 65,535 instructions this test is about: it is off here.
    var options = RuleCompileOptions()
    options.disabledPasses = [Passes.conditionDedupe.name]
    let (c, ds) = RuleCompiler.compile([parsed], options: options)
    let compilation = try #require(c, "\(ds)")
    let program = compilation.bundle.program
    #expect(program.code.count > 65_535, "only \(program.code.count) instructions")
    #expect(program.ruleCount == count)
    // Registers are reused rule after rule: the program needs only its largest rule's.
    #expect(program.registerCount < 64, "\(program.registerCount) registers")
    // Some jumps reach past 65,535, which format 1 could not encode.
    #expect(program.code.contains { $0.opcode == .jumpIfFalse && $0.b > 65_535 })

    let loaded = try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    let decoder = EventDecoder(
      schema: compilation.schema, slotOrder: loaded.bundle.program.variables.map(\.name))
    let all = EventDecoder(
      schema: compilation.schema, slotOrder: compilation.schema.slots.map(\.qualifiedName))
    var matched = 0
    for i in 0..<3 {
      let json = gen.event(i)
      let results = engine.evaluate(try decoder.decode(json).slots)
      let full = try all.decode(json)
      var bindings: [String: Value] = [:]
      for (n, v) in zip(all.slotOrder, full.slots) { if let v { bindings[n] = v } }
      let explained = Explainer.explain(compilation, event: bindings)
      for k in compilation.rules.indices {
        var vm = false
        if case .bool(true) = results[k] { vm = true }
        if vm != explained[k].matched {
          Issue.record("rule r\(k) on \(json): VM \(results[k]), reference \(explained[k].condition.value)")
          return
        }
        if vm { matched += 1 }
      }
    }
    #expect(matched > 100, "the rules rarely match: \(matched)")
  }
}
