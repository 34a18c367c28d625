// Aggregates read on demand (RuleCompiler+Demand.swift): which filter the compiler names as each
// aggregate's demand, that reading on demand changes no decision (random rule sets and the
// reference corpus, against bundles without demands and against processors that read every
// aggregate), that reads are really skipped, the bundle format, and the short-circuit order that
// keeps the rules from looking at what was not read.

import Foundation
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelSyntax
import Testing

@Suite struct AggregateDemandTests {
  static func compile(_ text: String, readsOnDemand: Bool = true) throws -> RuleSetCompilation {
    let source = Source(name: "demand.rules", text: text)
    let (file, pd) = RuleParser.parse(source)
    try #require(!pd.hasErrors, "\(pd.map { SourcedDiagnostic(source, $0).rendered })")
    var options = RuleCompileOptions()
    options.readsOnDemand = readsOnDemand
    let (c, ds) = RuleCompiler.compile([try #require(file)], options: options)
    return try #require(c, "\(ds.map(\.rendered))\n\(text)")
  }

  static func load(_ c: RuleSetCompilation) throws -> LoadedBundle {
    try BundleLoader().load(try c.bundle.encoded(signedWith: nil))
  }

  static let referenceRules = packageRoot.appendingPathComponent("rules").path

  /// The reference rule set's demands: six aggregates by their own filter, `known_devices` by
  /// `payments_1h`'s (`is_payment`, the first test of its one reader), `credential_changes_24h`
  /// by none (its reader's `event.type == "withdrawal"` is no filter).
  @Test func referenceRulesDemands() throws {
    let c = try #require(RuleCompiler.compile(paths: [Self.referenceRules]).0)
    let names = c.bundle.aggregates.map(\.name)
    var byName: [String: String] = [:]
    for (i, d) in c.bundle.aggregateDemands.enumerated() {
      byName[names[i]] = d < 0 ? "-" : names[d / 3] + (d % 3 == 1 ? "" : "?")
    }
    #expect(
      byName == [
        "failed_logins_1m": "failed_logins_1m",
        "failed_login_users_by_ip_10m": "failed_login_users_by_ip_10m",
        "last_geo_login": "last_geo_login",
        "near_threshold_transactions_24h": "near_threshold_transactions_24h",
        "payments_1h": "payments_1h", "known_devices": "payments_1h",
        "transaction_amounts": "transaction_amounts", "credential_changes_24h": "-",
      ])
    #expect(c.bundle.encodedVersion == 5)
    var plain = RuleCompileOptions()
    plain.readsOnDemand = false
    let without = try #require(RuleCompiler.compile(paths: [Self.referenceRules], options: plain).0)
    #expect(without.bundle.aggregateDemands.isEmpty)
    #expect(without.bundle.encodedVersion == 3)
  }

  /// The reference corpus decides the same, line by line, with demands, without them in the
  /// bundle, and with a processor that reads every aggregate; and reads are skipped: a login
  /// event's bindings lack `payments_1h` on demand, and have it when every aggregate is read.
  @Test func referenceCorpusDecidesTheSameOnDemand() throws {
    let c = try #require(RuleCompiler.compile(paths: [Self.referenceRules]).0)
    var plain = RuleCompileOptions()
    plain.readsOnDemand = false
    let without = try #require(RuleCompiler.compile(paths: [Self.referenceRules], options: plain).0)
    let onDemand = EventProcessor(bundle: try Self.load(c), store: InMemoryStateStore())
    let readAll = EventProcessor(bundle: try Self.load(c), store: InMemoryStateStore())
    readAll.readsEveryAggregate = true
    let noDemands = EventProcessor(bundle: try Self.load(without), store: InMemoryStateStore())
    let path = packageRoot.appendingPathComponent("fixtures/reference-corpus/events.jsonl").path
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count > 2000)
    var skipped = 0
    for line in lines {
      let a = try onDemand.process(line).line
      let b = try readAll.process(line).line
      let d = try noDemands.process(line).line
      #expect(a == b && a == d, "\(line)")
      if line.contains("\"type\":\"login\""), onDemand.lastBindings["payments_1h"] == nil,
        readAll.lastBindings["payments_1h"] != nil
      {
        skipped += 1
      }
    }
    #expect(skipped > 100, "logins whose payments_1h was not read: \(skipped)")
  }

  /// Random stateful rule sets whose rules are often guarded by the event tests the aggregates'
  /// filters are made of: bundles with and without demands, and a processor reading every
  /// aggregate, decide every event the same (also with a cache of 2 keys, states evicted and read
  /// back), and demands are named and skip reads.
  @Test(arguments: 0..<6)
  func demandsChangeNoDecision(seed: Int) throws {
    var gen = StatefulGenerator(rng: RulesRNG(state: 0xDE3A + UInt64(seed) * 7919))
    var text = gen.ruleSet()
    // Guard most rules by a filter's test, so that many aggregates have a demand.
    var guarded = ""
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("  when: "), gen.rng.chance(0.8) {
        let test = gen.rng.pick(StatefulGenerator.filters)
        guarded += "  when: \(test) && (\(line.dropFirst(8)))\n"
      } else {
        guarded += line + "\n"
      }
    }
    text = guarded
    let c = try Self.compile(text)
    let without = try Self.compile(text, readsOnDemand: false)
    #expect(c.bundle.aggregateDemands.contains { $0 >= 0 }, "no demand named\n\(text)")
    for capacity in [EventProcessor.defaultCacheCapacity, 2] {
      let onDemand = EventProcessor(
        bundle: try Self.load(c), store: InMemoryStateStore(), cacheCapacity: capacity)
      let readAll = EventProcessor(
        bundle: try Self.load(c), store: InMemoryStateStore(), cacheCapacity: capacity)
      readAll.readsEveryAggregate = true
      let noDemands = EventProcessor(
        bundle: try Self.load(without), store: InMemoryStateStore(), cacheCapacity: capacity)
      var mismatches = 0
      var skipped = 0
      for (n, line) in gen.events(300).enumerated() {
        let a = try onDemand.process(line).line ?? ""
        let b = try readAll.process(line).line ?? ""
        let d = try noDemands.process(line).line ?? ""
        if a != b || a != d {
          mismatches += 1
          if mismatches <= 3 {
            Issue.record("seed \(seed) line \(n + 1): \(line)\n \(a)\n \(b)\n \(d)\n\(text)")
          }
        }
        if onDemand.lastBindings.count < readAll.lastBindings.count { skipped += 1 }
        if n % 7 == 6 {
          for p in [onDemand, readAll, noDemands] { try p.commit() }
        }
      }
      #expect(mismatches == 0)
      #expect(skipped > 0, "no read was skipped\n\(text)")
    }
  }

  /// A filter is a demand only when its conjuncts are the rule's own: `event.card_country ==
  /// "US"` is not `event.card_country == "FR"` (same shape, constants of the same length: they
  /// are compared byte for byte), and the rule counting US cards at a FR card still sees them.
  @Test func aFilterThatDiffersInAConstantIsNoDemand() throws {
    let c = try Self.compile(
      """
      aggregate us_cards {
        kind: count
        key: event.user_id
        where: event.card_country == "US"
        window: 1h
      }
      rule fr_after_us {
        when: event.card_country == "FR" && us_cards >= 2
        score: 10
      }
      """)
    #expect(c.bundle.aggregateDemands.allSatisfy { $0 < 0 })
    let p = EventProcessor(bundle: try Self.load(c), store: InMemoryStateStore())
    var last = ""
    for (i, country) in ["US", "US", "FR"].enumerated() {
      let line =
        #"{"event_id":"e\#(i)","type":"login","ts":"2026-11-23T00:28:2\#(i)Z","user_id":"u1","card_country":"\#(country)"}"#
      last = try p.process(line).line ?? ""
    }
    #expect(last == #"{"event_id":"e2","action":"allow","score":10,"rules":["fr_after_us"]}"#)
  }

  /// An aggregate read only by a rule's reason is read: its placeholder shows the count (the
  /// compiler listed only the aggregates conditions read, and the placeholder read nothing).
  @Test func anAggregateAReasonReadsIsRead() throws {
    let c = try Self.compile(
      """
      aggregate logins {
        kind: count
        key: event.user_id
        where: event.type == "login"
        window: 60s
      }
      rule r1 {
        when: event.type == "login"
        score: 10
        reason: "{logins} logins in a minute"
      }
      """)
    #expect(c.bundle.ruleReads == [[0]])
    #expect(
      !c.diagnostics.contains { $0.rendered.contains("never read") }, "\(c.diagnostics.map(\.rendered))")
    let p = EventProcessor(bundle: try Self.load(c), store: InMemoryStateStore())
    var reasons: [String] = []
    for (i, s) in ["25", "26", "27"].enumerated() {
      let line = #"{"event_id":"e\#(i)","type":"login","ts":"2026-11-23T00:28:\#(s)Z","user_id":"u1"}"#
      guard case .decided(let d, _) = try p.process(line) else {
        Issue.record("not decided: \(line)")
        continue
      }
      reasons += d.matched.map(\.reason)
    }
    #expect(reasons == ["1 logins in a minute", "2 logins in a minute", "3 logins in a minute"])
  }

  /// Format 5 names the demands in section 7; the loader refuses a demand that is not a filter's
  /// result, and the decoder a table of the wrong length.
  @Test func bundleFormat() throws {
    let c = try #require(RuleCompiler.compile(paths: [Self.referenceRules]).0)
    let decoded = try BundleDecoder.decode(try c.bundle.encoded(signedWith: nil))
    #expect(decoded.aggregateDemands == c.bundle.aggregateDemands)
    var bad = c.bundle
    bad.aggregateDemands[0] = 0  // aggregate 0's key
    #expect {
      _ = try BundleLoader().load(try bad.encoded(signedWith: nil))
    } throws: { "\($0)".contains("not an aggregate's filter") }
    var short = c.bundle
    short.aggregateDemands.removeLast()
    #expect {
      _ = try BundleLoader().load(try short.encoded(signedWith: nil))
    } throws: { "\($0)".contains("aggregate demands for") }
  }

  /// Short-circuit ordering counts an aggregate read as a state read: the event test of
  /// `is_payment && payments_1h > 10` runs first, so an event whose demand is false never
  /// reads the unread aggregate.
  @Test func eventTestsGoBeforeStateReads() throws {
    let c = try Self.compile(
      """
      aggregate payments_1h {
        kind: count
        key: event.user_id
        where: event.type in ["transaction", "withdrawal"]
        window: 1h
      }
      rule velocity {
        when: payments_1h > 10 && event.type in ["transaction", "withdrawal"]
        score: 40
      }
      """)
    let code = c.bundle.program.code
    let typeSlot = try #require(c.bundle.program.variables.firstIndex { $0.name == "event.type" })
    let stateSlot = try #require(c.bundle.program.variables.firstIndex { $0.name == "payments_1h" })
    // The first instruction that names either slot names the event's type.
    let first = code.first { ins in
      ins.opcode.info.operands.enumerated().contains { o, kind in
        kind == .variable && [typeSlot, stateSlot].contains(Int(ins.operand(o)))
      }
    }
    let ins = try #require(first)
    let named = ins.opcode.info.operands.enumerated().compactMap { o, kind in
      kind == .variable ? Int(ins.operand(o)) : nil
    }
    #expect(named.contains(typeSlot) && !named.contains(stateSlot), "\(ins)")
  }
}
