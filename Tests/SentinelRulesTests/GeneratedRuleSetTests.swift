// Property tests over generated rule sets: every bundle the compiler emits loads (digest +
// verifier); on random events the VM's decisions equal the reference evaluator's, and optimized
// equal unoptimized, and the loader's fused code (rule writes fused included) gives every rule
// result the unfused code gives; mutated rule files produce diagnostics, never a crash.

import Foundation
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime
import SentinelSyntax
import SentinelVM
import SentinelVerifier
import Testing

/// SplitMix64, seedable so a failure reproduces.
struct RulesRNG: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }
  mutating func chance(_ p: Double) -> Bool { Double(next() % 10_000) / 10_000 < p }
}

/// Generates rule sets over the reference schema, and events for them.
struct RuleSetGenerator {
  var rng: RulesRNG

  mutating func condition(_ depth: Int = 0) -> String {
    if depth > 2 || rng.chance(0.3) { return "(" + atom() + ")" }
    switch rng.next() % 4 {
    case 0: return "(\(condition(depth + 1)) && \(condition(depth + 1)))"
    case 1: return "(\(condition(depth + 1)) || \(condition(depth + 1)))"
    case 2: return "!\(condition(depth + 1))"
    default: return "(\(condition(depth + 1)) ? \(condition(depth + 1)) : \(condition(depth + 1)))"
    }
  }

  mutating func atom() -> String {
    switch rng.next() % 10 {
    case 0: return "event.type == \"\(rng.pick(["login", "transaction", "withdrawal"]))\""
    case 1:
      return
        "has(event.amount) && event.amount \(rng.pick([">", ">=", "<"])) \(rng.pick(["100.0", "1000.0", "9000.0"]))"
    case 2: return "has(event.country_code) && event.country_code in sanctioned"
    case 3: return "event.amount > 500.0"  // unguarded: an error when absent
    case 4: return "has(event.geo) && event.geo.lat > \(rng.pick(["0.0", "45.0"]))"
    case 5: return "event.success"
    case 6: return "is_txn"
    case 7: return "size(event.user_id) > \(rng.pick(["2", "3"]))"
    case 8: return "has(event.merchant_category) && event.merchant_category.startsWith(\"6\")"
    default: return "event.user_id in [\"u1\", \"u2\"]"
    }
  }

  mutating func ruleSet(rules n: Int) -> String {
    var out =
      "list sanctioned = [\"KP\", \"IR\", \"SY\", \"CU\"]\ncondition is_txn = event.type == \"transaction\"\n"
    for i in 0..<n {
      out += "rule r\(i) {\n  when: \(condition())\n"
      if rng.chance(0.3) { out += "  action: \(rng.pick(["block", "review", "challenge"]))\n" }
      out += "  score: \(rng.pick([0, 5, 20, 40, 70]))\n}\n"
    }
    return out
  }

  mutating func event(_ i: Int) -> String {
    var fields = [
      "\"event_id\":\"e\(i)\"", "\"type\":\"\(rng.pick(["login", "transaction", "withdrawal"]))\"",
      "\"ts\":\"2026-11-25T10:00:00Z\"", "\"user_id\":\"\(rng.pick(["u1", "u2", "user-3"]))\"",
      "\"amount\":\(rng.pick(["50", "950.5", "1500", "9500", "12000"]))",
    ]
    if rng.chance(0.5) { fields.append("\"country_code\":\"\(rng.pick(["GB", "KP", "US"]))\"") }
    if rng.chance(0.5) { fields.append("\"geo\":{\"lat\":\(rng.pick(["10.5", "51.5"])),\"lon\":0}") }
    if rng.chance(0.5) { fields.append("\"success\":\(rng.pick(["true", "false"]))") }
    if rng.chance(0.5) { fields.append("\"merchant_category\":\"\(rng.pick(["6051", "5411"]))\"") }
    return "{" + fields.joined(separator: ",") + "}"
  }
}

@Suite struct GeneratedRuleSetTests {
  @Test(arguments: 0..<6)
  func bundlesLoadAndVMAgreesWithReference(seed: Int) throws {
    var gen = RuleSetGenerator(rng: RulesRNG(state: 0xA11CE + UInt64(seed)))
    let text = gen.ruleSet(rules: 12)
    let source = Source(name: "gen.rules", text: text)
    let (file, pd) = RuleParser.parse(source)
    #expect(!pd.hasErrors, "\(pd)")
    let parsed = try #require(file)
    let (c, ds) = RuleCompiler.compile([parsed])
    let compilation = try #require(c, "\(ds)")
    var plainOptions = RuleCompileOptions()
    plainOptions.optimize = false
    let plain = try #require(RuleCompiler.compile([parsed], options: plainOptions).0)

    let loaded = try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
    let loadedPlain = try BundleLoader().load(try plain.bundle.encoded(signedWith: nil))
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    let enginePlain = DecisionEngine(
      program: loadedPlain.program, rules: loadedPlain.bundle.rules, policy: loadedPlain.bundle.policy)
    let decoder = EventDecoder(
      schema: compilation.schema, slotOrder: loaded.bundle.program.variables.map(\.name))
    let decoderPlain = EventDecoder(
      schema: compilation.schema, slotOrder: loadedPlain.bundle.program.variables.map(\.name))
    let all = EventDecoder(
      schema: compilation.schema, slotOrder: compilation.schema.slots.map(\.qualifiedName))
    let fused = loaded.program
    let unfused = try Verifier(catalog: fused.catalog, limits: fused.limits, fusion: false).verify(
      fused.program)
    var unfusedResults: [Value] = []
    var matchedSomething = 0
    for i in 0..<150 {
      let json = gen.event(i)
      let e = try decoder.decode(json)
      let results = engine.evaluate(e.slots)
      _ = VM().run(unfused, variables: e.slots, results: &unfusedResults)
      #expect(results.map(\.description) == unfusedResults.map(\.description), "fused vs unfused on \(json)")
      let resultsPlain = enginePlain.evaluate(try decoderPlain.decode(json).slots)
      let full = try all.decode(json)
      var bindings: [String: Value] = [:]
      for (n, v) in zip(all.slotOrder, full.slots) { if let v { bindings[n] = v } }
      let explained = Explainer.explain(compilation, event: bindings)
      for (k, rule) in compilation.rules.enumerated() {
        var vm = false
        if case .bool(true) = results[k] { vm = true }
        var vmPlain = false
        if case .bool(true) = resultsPlain[k] { vmPlain = true }
        #expect(
          vm == explained[k].matched,
          "rule \(rule.entry.id) on \(json): VM \(results[k]), reference \(explained[k].condition.value)")
        #expect(vm == vmPlain, "optimized vs unoptimized differ for \(rule.entry.id) on \(json)")
        if vm { matchedSomething += 1 }
      }
    }
    #expect(matchedSomething > 50, "the generated rules rarely match: \(matchedSomething)")
  }

  @Test func mutatedRuleFilesNeverCrash() {
    var rng = RulesRNG(state: 0xF022)
    var gen = RuleSetGenerator(rng: RulesRNG(state: 7))
    let base = Array(gen.ruleSet(rules: 6).utf8)
    var diagnosed = 0
    for _ in 0..<400 {
      var bytes = base
      for _ in 0..<(1 + Int(rng.next() % 4)) {
        let at = Int(rng.next() % UInt64(bytes.count))
        switch rng.next() % 3 {
        case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
        case 1: bytes.remove(at: at)
        default: bytes.insert(rng.pick(Array("(){}[]\":.,!&|?".utf8)), at: at)
        }
      }
      let source = Source(name: "m.rules", text: String(decoding: bytes, as: UTF8.self))
      let (file, pd) = RuleParser.parse(source)
      var ds = pd.map { SourcedDiagnostic(source, $0) }
      if let file, !pd.hasErrors { ds += RuleCompiler.compile([file]).1 }
      if !ds.isEmpty { diagnosed += 1 }
      for d in ds { #expect(!d.rendered.isEmpty) }
    }
    #expect(diagnosed > 200)
  }
}
