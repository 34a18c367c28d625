// What each optimizer pass does, on small rule sets: the IR or program it produces (its effect
// can be seen and measured), and that the result still verifies and decides as the unoptimized
// program does (OptimizerValidationTests holds every pass to that at scale).

import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelFixtures
import SentinelModel
import SentinelRuntime
import SentinelSyntax
import SentinelVM
import Testing

@Suite struct OptimizerPassTests {
  static let typed = """
    rule a {
      when: event.type == "transaction" && has(event.amount) && event.amount > 1000.0
      score: 10
    }
    rule b {
      when: event.type == "transaction" && has(event.card_country) && event.card_country == "KP"
      score: 20
    }
    rule c {
      when: event.type == "login" && !event.success
      score: 30
    }
    rule d {
      when: event.type == "transaction" && has(event.amount) && event.amount > 1000.0 && event.amount < 5000.0
      score: 40
    }
    rule e {
      when: 1 > 2 && event.type == "login"
      score: 50
    }
    rule f {
      when: [1, 2].exists(x, x == size(event.user_id)) && event.type == "login"
      score: 60
    }
    """

  static let events: [Substring] = [
    #"{"event_id":"1","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u1","amount":2000}"#,
    #"{"event_id":"2","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u1","amount":5,"card_country":"KP"}"#,
    #"{"event_id":"3","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u1","success":false}"#,
    #"{"event_id":"4","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u1","success":true}"#,
    #"{"event_id":"5","type":"withdrawal","ts":"2026-11-25T10:00:00Z","user_id":"u2","amount":9000}"#,
    #"{"event_id":"6","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u","amount":20000}"#,
  ]

  func compile(_ text: String = typed, passes: [Passes.Pass]? = nil, optimize: Bool = true) throws
    -> (RuleSetCompilation, LoadedBundle)
  {
    var options = RuleCompileOptions()
    options.optimize = optimize
    if let passes { options.passes = passes }
    return try OptimizerFixtures.load(text: text, options)
  }

  func decidesLikeBaseline(_ candidate: LoadedBundle, _ text: String = typed) throws {
    let (_, baseline) = try compile(text, optimize: false)
    let d = try TranslationValidation.compare(baseline: baseline, candidate: candidate, events: Self.events)
    #expect(d.isEmpty, "\(d.map(\.description))")
  }

  /// The bool in a rule result, nil for anything else (null: not written).
  static func bool(_ v: Value) -> Bool? {
    if case .bool(let b) = v { return b }
    return nil
  }

  /// `call` instructions of the overload `id` in a program.
  func calls(_ p: Program, _ id: String) -> Int {
    guard let b = p.builtins.firstIndex(of: id) else { return 0 }
    return p.code.filter { $0.opcode == .call && $0.b == UInt32(b) }.count
  }

  // MARK: - Placeholder attachment

  /// Every result slot (rules and reason placeholders) of two bundles of the same rules, per
  /// event: equal descriptions, errors included.
  func sameResults(_ a: LoadedBundle, _ b: LoadedBundle, _ events: [Substring]) throws {
    let da = EventDecoder(schema: a.bundle.schema, slotOrder: a.bundle.program.variables.map(\.name))
    let db = EventDecoder(schema: b.bundle.schema, slotOrder: b.bundle.program.variables.map(\.name))
    var sa = da.makeSlots()
    var sb = db.makeSlots()
    var ra: [Value] = []
    var rb: [Value] = []
    for line in events {
      guard (try? da.decode(line, into: &sa)) != nil else { continue }
      _ = try db.decode(line, into: &sb)
      _ = VM().run(a.program, variables: sa, results: &ra)
      _ = VM().run(b.program, variables: sb, results: &rb)
      #expect(ra.count == b.bundle.program.ruleCount)
      #expect(ra.map(\.description) == rb.map(\.description), "\(line)")
    }
  }

  static let withoutAttachment = Passes.rulePipeline.filter { $0.name != "placeholder-attachment" }

  @Test func placeholdersAreComputedAfterTheirRuleFromItsValue() throws {
    let text = """
      rule big {
        when: has(event.amount) && event.amount > 1000.0 && size(event.user_id) > 1
          && 100 / (size(event.user_id) - 2) >= 0
        score: 10
        reason: "{size(event.user_id)} chars, {event.amount * 2.0}, {event.user_id}"
      }
      rule failed {
        when: event.type == "login" && !event.success
        score: 1
        reason: "failed for {event.user_id}"
      }
      """
    let (on, onBundle) = try compile(text)
    let (off, offBundle) = try compile(text, passes: Self.withoutAttachment)
    // `big`'s three; `failed` is in a dispatch group (`event.type == "login"`): not attached.
    #expect(on.ir.attachedConditionals.attached.count == 3)
    #expect(off.ir.attachedConditionals.attached.isEmpty)
    // `size(event.user_id)`: computed by the condition, read back by its placeholder.
    #expect(calls(onBundle.bundle.program, "size_string") == 1)
    #expect(calls(offBundle.bundle.program, "size_string") == 2)
    #expect(onBundle.bundle.program.code.count < offBundle.bundle.program.code.count)
    // Conditions true, false and an error (a two-character user id: division by zero).
    let events =
      Self.events + [
        #"{"event_id":"7","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u123","amount":2000}"#,
        #"{"event_id":"8","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u9","success":false,"amount":5000}"#,
      ]
    try sameResults(offBundle, onBundle, events)
    try decidesLikeBaseline(onBundle, text)
    // The error path writes the condition's error to the placeholders.
    let decoder = EventDecoder(
      schema: onBundle.bundle.schema, slotOrder: onBundle.bundle.program.variables.map(\.name))
    var slots = decoder.makeSlots()
    var results: [Value] = []
    _ = try decoder.decode(events[0], into: &slots)
    _ = VM().run(onBundle.program, variables: slots, results: &results)
    #expect(results[0].isError && results[2].isError && results[3].isError && results[4].isError)
    _ = try decoder.decode(events[6], into: &slots)
    _ = VM().run(onBundle.program, variables: slots, results: &results)
    #expect(results[0].description == "true" && results[2].description == "4")
    #expect(results[4].description == Value.string("u123").description)
  }

  @Test func theReferenceRulesScreenOnceForTheirPlaceholders() throws {
    var options = RuleCompileOptions()
    let (_, on) = try OptimizerFixtures.load(paths: [OptimizerFixtures.rules], options)
    options.passes = Self.withoutAttachment
    let (_, off) = try OptimizerFixtures.load(paths: [OptimizerFixtures.rules], options)
    // `sanctioned_beneficiary` and its three placeholders: one `screen` call, not four.
    #expect(calls(on.bundle.program, "screen_string_screening_list") == 1)
    #expect(calls(off.bundle.program, "screen_string_screening_list") == 4)
    // The corpus, and beneficiaries on the list, off it, and absent.
    let extra: [Substring] = [
      #"{"event_id":"s1","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u1","amount":50,"beneficiary_name":"BANCO NACIONAL DE CUBA"}"#,
      #"{"event_id":"s2","type":"withdrawal","ts":"2026-11-25T10:00:00Z","user_id":"u1","amount":50,"beneficiary_name":"Jane Q. Public"}"#,
      #"{"event_id":"s3","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u1","beneficiary_name":"BANCO NACIONAL DE CUBA"}"#,
    ]
    try sameResults(off, on, try OptimizerFixtures.events() + extra)
    let d = try TranslationValidation.compare(baseline: off, candidate: on, events: extra)
    #expect(d.isEmpty, "\(d.map(\.description))")
  }

  // MARK: - Condition dedupe

  @Test func conditionDedupeComputesASharedTestOnce() throws {
    let (plain, plainBundle) = try compile(passes: [Passes.conditionDedupe])
    let (_, baseline) = try compile(optimize: false)
    let catalog = plain.environment.catalog
    // `event.type == "transaction"` is one IR node; without dedupe codegen emits it per rule.
    let shared = try #require(plain.ir.sharing)
    #expect(shared.registers.count >= 2)
    #expect(plain.ir.conditionCount(catalog: catalog) < plain.loweredIR.conditionCount(catalog: catalog))
    // `_>_` on `event.amount > 1000.0`: rules a and d test it; it is computed once.
    #expect(
      calls(plainBundle.bundle.program, "greater_double") < calls(baseline.bundle.program, "greater_double"))
    #expect(plainBundle.bundle.program.code.count < baseline.bundle.program.code.count)
    try decidesLikeBaseline(plainBundle)
  }

  @Test func aSharedValueComputedInSkippableCodeIsComputedAgainOutsideIt() throws {
    // In r0 `event.amount > 10.0` is the right operand of `&&` (skipped when the amount is
    // absent); r1 must not read a register r0 may not have written: the verifier would refuse
    // the program (unassigned register), and the decisions would differ.
    let text = """
      rule r0 {
        when: has(event.amount) && event.amount > 10.0
        score: 1
      }
      rule r1 {
        when: event.amount > 10.0 || event.amount < 0.0
        score: 2
      }
      rule r2 {
        when: event.amount > 10.0 && event.amount > 10.0 + 1.0
        score: 3
      }
      """
    let (c, bundle) = try compile(text, passes: [Passes.conditionDedupe])
    #expect(c.ir.sharing != nil)
    try decidesLikeBaseline(bundle, text)
  }

  @Test func sharedRegistersStayWithinTheBudget() throws {
    var gen = RuleSetGenerator(rng: RulesRNG(state: 0xB0D6E7))
    var text = "list sanctioned = [\"KP\", \"IR\"]\ncondition is_txn = event.type == \"transaction\"\n"
    for i in 0..<1_500 {
      text +=
        "rule r\(i) {\n  when: \(gen.atom()) && \(gen.atom()) && (\(gen.atom()) || \(gen.atom()))\n  score: 1\n}\n"
    }
    let (c, bundle) = try compile(text)
    let sharing = try #require(c.ir.sharing)
    #expect(sharing.registerCount <= ConditionDedupe.registerBudget)
    #expect(bundle.bundle.program.registerCount <= sharing.registerCount + 64)
  }

  // MARK: - Short-circuit ordering

  @Test func shortCircuitOrderingPutsTheTypeTestAndCheapTestsFirst() throws {
    let text = """
      rule r {
        when: event.user_id.matches("^u[0-9]+$") && has(event.amount) && event.type == "transaction"
        score: 1
      }
      """
    let (c, bundle) = try compile(text, passes: [Passes.shortCircuitOrdering])
    let catalog = c.environment.catalog
    // The chain's first operand is now the type test, and the regex last.
    var n = c.ir.ruleRoots[0]
    var first = n
    var operands: [IRNodeID] = []
    while case .and(let a, let b) = c.ir.nodes[n] {
      operands.insert(b, at: 0)
      n = a
      first = a
    }
    operands.insert(first, at: 0)
    #expect(operands.count == 3)
    guard case .call(let o, _) = c.ir.nodes[operands[0]] else {
      Issue.record("first operand: \(c.ir.nodes[operands[0]])")
      return
    }
    #expect(catalog.overloads[o].function == "_==_")
    guard case .call(let last, _) = c.ir.nodes[operands[2]] else {
      Issue.record("last operand: \(c.ir.nodes[operands[2]])")
      return
    }
    #expect(catalog.overloads[last].function == "matches")
    try decidesLikeBaseline(bundle, text)
  }

  @Test func aProfileOrdersByMeasuredSelectivity() throws {
    // Statically `has(event.ip)` looks likely (tested late) and `==` unlikely (tested first); on
    // these events the ip is never there and the user mostly is u1, so with the profile the
    // presence test decides the `&&` first.
    let text = """
      rule r {
        when: event.user_id == "u1" && has(event.ip)
        score: 1
      }
      """
    let (plain, _) = try compile(text, optimize: false)
    let profile = try SelectivityProfiler.profile(plain, events: Self.events)
    #expect(profile.events == Self.events.count)
    #expect(profile.probabilities.values.contains(0))
    var options = RuleCompileOptions()
    options.passes = [Passes.shortCircuitOrdering]
    let (static_, _) = try OptimizerFixtures.load(text: text, options)
    options.profile = profile
    let (measured, bundle) = try OptimizerFixtures.load(text: text, options)
    func firstOperand(_ c: RuleSetCompilation) -> IRNode? {
      guard case .and(let a, _) = c.ir.nodes[c.ir.ruleRoots[0]] else { return nil }
      return c.ir.nodes[a]
    }
    #expect(firstOperand(static_).map { if case .present = $0 { true } else { false } } == false)
    #expect(firstOperand(measured).map { if case .present = $0 { true } else { false } } == true)
    try decidesLikeBaseline(bundle, text)
  }

  // MARK: - Dead rules and type dispatch

  @Test func constantFalseRulesHaveNoCode() throws {
    let (c, bundle) = try compile(passes: [Passes.constantFolding, Passes.deadRuleElimination])
    #expect(c.ir.deadRules == [4])
    // Its result is still written — false, as without the pass.
    let engine = DecisionEngine(
      program: bundle.program, rules: bundle.bundle.rules, policy: bundle.bundle.policy)
    let decoder = EventDecoder(schema: c.schema, slotOrder: bundle.bundle.program.variables.map(\.name))
    let results = engine.evaluate(try decoder.decode(String(Self.events[0])).slots)
    #expect(Self.bool(results[4]) == false)
    try decidesLikeBaseline(bundle)
  }

  @Test func typeDispatchGroupsRulesByTheTypeTheyTest() throws {
    let (c, bundle) = try compile(passes: [Passes.typeDispatch])
    let schedule = try #require(c.ir.schedule)
    let guarded = schedule.filter { $0.guardNode != nil }
    // transaction: a, b, d; login: c, e (e's type test is a conjunct too). f has a loop: alone,
    // unguarded.
    #expect(guarded.map(\.rules) == [[0, 1, 3], [2, 4]])
    #expect(schedule.contains { $0.guardNode == nil && $0.rules == [5] })
    #expect(Set(schedule.flatMap(\.rules)) == Set(0..<6))
    // Skipped rules get false, as they would have: every result is written.
    let engine = DecisionEngine(
      program: bundle.program, rules: bundle.bundle.rules, policy: bundle.bundle.policy)
    let decoder = EventDecoder(schema: c.schema, slotOrder: bundle.bundle.program.variables.map(\.name))
    let results = engine.evaluate(try decoder.decode(String(Self.events[2])).slots)
    #expect(Self.bool(results[0]) == false && Self.bool(results[1]) == false && Self.bool(results[2]) == true)
    try decidesLikeBaseline(bundle)
  }

  @Test func statsCountConditionsAndTheAllPassesProgramIsSmaller() throws {
    let (c, bundle) = try compile()
    let (_, baseline) = try compile(optimize: false)
    let catalog = c.environment.catalog
    #expect(c.ir.conditionCount(catalog: catalog) < c.loweredIR.conditionCount(catalog: catalog))
    #expect(bundle.bundle.program.code.count < baseline.bundle.program.code.count)
    try decidesLikeBaseline(bundle)
  }
}
