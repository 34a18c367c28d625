// Translation validation of the optimizer: a rule set compiled without optimization (the
// baseline) and compiled with all passes, or with each pass alone, must decide every event the
// same way — action, score, matched rules, and each rule's outcome (matched / not / error) — on
// the reference corpus (stateful: aggregates included) and on random rule sets over random
// events. And the check has teeth: deliberately broken passes, run through the same validator,
// are reported as divergences naming the event and the rule.

import Foundation
import SentinelBytecode
import SentinelCompiler
import SentinelFixtures
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelSyntax
import Testing

/// One way of compiling a rule set.
struct OptimizerVariant: Sendable, CustomStringConvertible {
  var name: String
  var options: RuleCompileOptions
  var description: String { name }

  static var baseline: RuleCompileOptions {
    var o = RuleCompileOptions()
    o.optimize = false
    return o
  }

  /// All passes; each pass alone; all passes but one.
  static let all: [OptimizerVariant] = {
    var out = [OptimizerVariant(name: "all passes", options: RuleCompileOptions())]
    for pass in Passes.rulePipeline {
      var alone = RuleCompileOptions()
      alone.passes = [pass]
      out.append(OptimizerVariant(name: "only \(pass.name)", options: alone))
      var without = RuleCompileOptions()
      without.disabledPasses = [pass.name]
      out.append(OptimizerVariant(name: "without \(pass.name)", options: without))
    }
    return out
  }()
}

enum OptimizerFixtures {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static var rules: String { root + "/rules" }
  static var corpusEvents: String { root + "/fixtures/reference-corpus/events.jsonl" }

  static func events() throws -> [Substring] {
    CorpusReplay.lines(
      String(decoding: try Data(contentsOf: URL(fileURLWithPath: corpusEvents)), as: UTF8.self))
  }

  static func load(paths: [String], _ options: RuleCompileOptions) throws -> (
    RuleSetCompilation, LoadedBundle
  ) {
    let (c, ds) = RuleCompiler.compile(paths: paths, options: options)
    let compilation = try #require(c, "\(ds.map(\.rendered))")
    return (compilation, try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil)))
  }

  static func load(text: String, _ options: RuleCompileOptions) throws -> (RuleSetCompilation, LoadedBundle) {
    let (file, pd) = RuleParser.parse(Source(name: "gen.rules", text: text))
    try #require(!pd.hasErrors, "\(pd)")
    let (c, ds) = RuleCompiler.compile([try #require(file)], options: options)
    let compilation = try #require(c, "\(ds.map(\.rendered))\n\(text)")
    return (compilation, try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil)))
  }
}

/// Rule sets that give every pass something to do: type guards in any position of an `&&`
/// chain, constant-false rules, loops, subexpressions repeated across rules, negations.
extension RuleSetGenerator {
  mutating func optimizerCondition() -> String {
    let type = "\"\(rng.pick(["login", "transaction", "withdrawal"]))\""
    switch rng.next() % 8 {
    case 0: return "event.type == \(type) && \(condition())"
    case 1: return "\(atom()) && event.type == \(type) && \(condition())"
    case 2: return "1 > 2 && \(condition())"
    case 3: return "[1, 2, 3].exists(x, x > size(event.user_id) - 2) && \(condition())"
    case 4: return "\(atom()) && \(atom()) && \(atom())"
    case 5: return "!(\(atom())) || \(atom()) || event.type != \(type)"
    case 6: return "event.type == \(type) && !(\(atom())) && (\(atom()) || \(atom()))"
    default: return condition()
    }
  }

  mutating func optimizerRuleSet(rules n: Int) -> String {
    var out =
      "list sanctioned = [\"KP\", \"IR\", \"SY\", \"CU\"]\ncondition is_txn = event.type == \"transaction\"\n"
    for i in 0..<n {
      out += "rule r\(i) {\n  when: \(optimizerCondition())\n"
      if rng.chance(0.3) { out += "  action: \(rng.pick(["block", "review", "challenge"]))\n" }
      out += "  score: \(rng.pick([0, 5, 20, 40, 70]))\n}\n"
    }
    return out
  }
}

/// Deliberately broken passes: the validator must catch each.
enum BrokenPasses {
  /// Turns the first `&&` of the arena into `||`.
  static let andBecomesOr = Passes.Pass(name: "broken-and-becomes-or") { ir, _ in
    var done = false
    return ir.rebuild { node, type, span, out in
      guard !done, case .and(let a, let b) = node else { return nil }
      done = true
      return out.add(.or(a, b), type: type, span: span)
    }
  }

  /// Drops the first negation of the arena (`!x` becomes `x`).
  static let dropsNegation = Passes.Pass(name: "broken-drops-negation") { ir, context in
    var done = false
    return ir.rebuild { node, _, _, _ in
      guard !done, case .call(let o, let args) = node, context.catalog.overloads[o].function == "!_" else {
        return nil
      }
      done = true
      return args[0]
    }
  }

  /// Type dispatch that also takes a type test under `||` for a guard (skipping rules that a
  /// type test does not decide).
  static let dispatchesOnAnyTypeTest = Passes.Pass(name: "broken-type-dispatch") { ir, context in
    guard let field = context.typeField else { return ir }
    var groups: [IRRuleGroup] = []
    for (i, root) in ir.ruleRoots.enumerated() {
      var stack = [root]
      var found: IRNodeID?
      while let n = stack.popLast(), found == nil {
        if case .call(let o, let args) = ir.nodes[n], context.catalog.overloads[o].function == "_==_",
          case .variable(let v) = ir.nodes[args[0]], v == field
        {
          found = n
        }
        if case .comprehension = ir.nodes[n] { continue }
        stack += ir.children(of: n)
      }
      groups.append(IRRuleGroup(guardNode: found, rules: [i]))
    }
    var out = ir
    out.schedule = groups
    return out
  }
}

@Suite struct OptimizerValidationTests {
  static let variantNames = OptimizerVariant.all.map(\.name)

  func variant(_ name: String) throws -> OptimizerVariant {
    try #require(OptimizerVariant.all.first { $0.name == name })
  }

  @Test(arguments: variantNames)
  func referenceCorpusDecidesTheSame(variant name: String) throws {
    let v = try variant(name)
    let (_, baseline) = try OptimizerFixtures.load(
      paths: [OptimizerFixtures.rules], OptimizerVariant.baseline)
    let (c, candidate) = try OptimizerFixtures.load(paths: [OptimizerFixtures.rules], v.options)
    let events = try OptimizerFixtures.events()
    #expect(events.count > 2_900)
    let divergences = try TranslationValidation.compare(
      baseline: baseline, candidate: candidate, events: events)
    #expect(divergences.isEmpty, "\(name): \(divergences.prefix(3).map(\.description))")
    // The candidate really is a different program when passes ran.
    if name == "all passes" {
      #expect(c.ir.sharing != nil && c.ir.schedule != nil)
      #expect(candidate.bundle.program.code != baseline.bundle.program.code)
    }
  }

  @Test(arguments: 0..<10)
  func randomRuleSetsDecideTheSame(seed: Int) throws {
    var gen = RuleSetGenerator(rng: RulesRNG(state: 0x0971 &+ UInt64(seed) &* 7_919))
    let text = gen.optimizerRuleSet(rules: 24)
    let events = (0..<250).map { Substring(gen.event($0)) }
    let (_, baseline) = try OptimizerFixtures.load(text: text, OptimizerVariant.baseline)
    var matched = 0
    for v in OptimizerVariant.all {
      let (_, candidate) = try OptimizerFixtures.load(text: text, v.options)
      let divergences = try TranslationValidation.compare(
        baseline: baseline, candidate: candidate, events: events, limit: 3)
      #expect(divergences.isEmpty, "seed \(seed), \(v.name): \(divergences.map(\.description))\n\(text)")
    }
    // The rule sets are not vacuous: rules match.
    let p = EventProcessor(bundle: baseline, store: InMemoryStateStore())
    for e in events {
      if case .decided(let d, _) = try p.process(e) { matched += d.matched.count }
    }
    #expect(matched > 100, "only \(matched) matches")
  }

  /// Ordering by measured selectivities (`--profile`) decides the corpus as the baseline does.
  @Test func profiledOrderingDecidesTheSame() throws {
    let events = try OptimizerFixtures.events()
    let (plain, baseline) = try OptimizerFixtures.load(
      paths: [OptimizerFixtures.rules], OptimizerVariant.baseline)
    var options = RuleCompileOptions()
    options.profile = try SelectivityProfiler.profile(plain, events: events)
    #expect((options.profile?.events ?? 0) > 2_000)
    let (_, candidate) = try OptimizerFixtures.load(paths: [OptimizerFixtures.rules], options)
    let divergences = try TranslationValidation.compare(
      baseline: baseline, candidate: candidate, events: events)
    #expect(divergences.isEmpty, "\(divergences.prefix(3).map(\.description))")
  }

  /// Each broken pass, appended to the real pipeline, is reported on random rule sets, with
  /// the event and the rule.
  @Test(arguments: ["broken-and-becomes-or", "broken-drops-negation", "broken-type-dispatch"])
  func brokenPassesAreCaught(pass name: String) throws {
    let broken = try #require(
      [BrokenPasses.andBecomesOr, BrokenPasses.dropsNegation, BrokenPasses.dispatchesOnAnyTypeTest].first {
        $0.name == name
      })
    var caught = 0
    var example: Divergence?
    for seed in 0..<4 {
      var gen = RuleSetGenerator(rng: RulesRNG(state: 0xB40C &+ UInt64(seed)))
      let text = gen.optimizerRuleSet(rules: 24)
      let events = (0..<250).map { Substring(gen.event($0)) }
      let (_, baseline) = try OptimizerFixtures.load(text: text, OptimizerVariant.baseline)
      var options = RuleCompileOptions()
      // Broken dispatch replaces the real one; the others run after the real pipeline's rewrites.
      options.passes =
        name == "broken-type-dispatch"
        ? Passes.rulePipeline.filter { $0.name != "type-dispatch" && $0.name != "condition-dedupe" }
          + [broken, Passes.conditionDedupe]
        : [broken] + Passes.rulePipeline
      let (_, candidate) = try OptimizerFixtures.load(text: text, options)
      let divergences = try TranslationValidation.compare(
        baseline: baseline, candidate: candidate, events: events)
      if let d = divergences.first(where: { $0.rule != nil }) {
        caught += 1
        example = example ?? d
      }
    }
    #expect(caught >= 2, "\(name) caught on \(caught) of 4 rule sets")
    let d = try #require(example)
    #expect(d.rule?.hasPrefix("r") == true && d.event.contains("\"event_id\""))
    #expect(d.description.contains("rule `\(d.rule ?? "")`"))
  }

  /// On the reference rule set, too: flipping an `&&` changes decisions of the corpus.
  @Test func brokenPassIsCaughtOnTheReferenceCorpus() throws {
    let (_, baseline) = try OptimizerFixtures.load(
      paths: [OptimizerFixtures.rules], OptimizerVariant.baseline)
    var options = RuleCompileOptions()
    options.passes = [BrokenPasses.andBecomesOr] + Passes.rulePipeline
    let (_, candidate) = try OptimizerFixtures.load(paths: [OptimizerFixtures.rules], options)
    let divergences = try TranslationValidation.compare(
      baseline: baseline, candidate: candidate, events: try OptimizerFixtures.events(), limit: 5)
    #expect(!divergences.isEmpty)
    #expect(divergences.first?.rule != nil)
  }
}
