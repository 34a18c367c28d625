// Run-time lists (`runtime list`): the compiled program reads them from slots (never a folded
// constant; `x in name` is one hash lookup through the set slot), the bundle carries their
// defaults (format 4; bundles without run-time lists stay format 3), the loader checks their
// slots, and — the differential — a processor whose list was replaced decides exactly as a
// bundle compiled with that list as a constant, on generated events, optimized or not.

import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelSyntax
import Testing

@Suite struct RuntimeListTests {
  static let ipPool = (0..<40).map { "10.0.\($0 / 10).\($0 % 10)" }
  static let users = (0..<12).map { "u\($0)" }

  /// A rule set over the reference schema reading three lists (`blocked_ips` also in an
  /// aggregate's filter and a reason), declared `runtime` or as constants with `values`.
  static func ruleText(runtime: Bool, ips: [String], users: [String], mccs: [Int]) -> String {
    let r = runtime ? "runtime " : ""
    func strings(_ xs: [String]) -> String { "[" + xs.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
    return """
      \(r)list blocked_ips: string = \(strings(ips))
      \(r)list watched_users: string = \(strings(users))
      \(r)list blocked_mccs: int = [\(mccs.map(String.init).joined(separator: ", "))]
      aggregate blocked_hits {
        kind: count
        key: event.user_id
        where: has(event.ip) && event.ip in blocked_ips
        window: 1h
      }
      rule blocked_ip {
        when: has(event.ip) && event.ip in blocked_ips
        action: block
        score: 100
        reason: "IP {event.ip} is one of {size(blocked_ips)}"
      }
      rule watched {
        when: event.user_id in watched_users || watched_users.exists(u, u == event.device_id)
        action: review
        score: 30
      }
      rule mcc {
        when: has(event.merchant_category) && int(event.merchant_category) in blocked_mccs
        score: 25
      }
      rule repeated { when: blocked_hits >= 2, score: 10 }
      """
  }

  static func compile(_ text: String, optimize: Bool = true) throws -> RuleSetCompilation {
    let source = Source(name: "lists.rules", text: text)
    let (file, pd) = RuleParser.parse(source)
    try #require(!pd.hasErrors, "\(pd)")
    var options = RuleCompileOptions()
    options.optimize = optimize
    let (c, ds) = RuleCompiler.compile([try #require(file)], options: options)
    return try #require(c, "\(ds.map(\.rendered))")
  }

  static func load(_ c: RuleSetCompilation) throws -> LoadedBundle {
    try BundleLoader().load(try c.bundle.encoded(signedWith: nil))
  }

  /// Events over the pools, in time order (so the aggregate counts).
  static func events(_ n: Int, seed: UInt64) -> [String] {
    var rng = RulesRNG(state: seed)
    return (0..<n).map { i in
      var fields = [
        "\"event_id\":\"e\(i)\"", "\"type\":\"transaction\"",
        "\"ts\":\"2026-11-25T10:\(String(format: "%02d", i / 60 % 60)):\(String(format: "%02d", i % 60))Z\"",
        "\"user_id\":\"\(rng.pick(users + ["u-watch"]))\"", "\"amount\":\(rng.next() % 5000)",
      ]
      if rng.chance(0.8) { fields.append("\"ip\":\"\(rng.pick(ipPool))\"") }
      if rng.chance(0.5) { fields.append("\"device_id\":\"\(rng.pick(users))\"") }
      if rng.chance(0.6) {
        fields.append("\"merchant_category\":\"\(rng.pick(["7995", "6051", "0042", "x1"]))\"")
      }
      return "{" + fields.joined(separator: ",") + "}"
    }
  }

  static func lines(_ p: EventProcessor, _ events: ArraySlice<String>) throws -> [String] {
    try events.map { try p.process($0).line ?? "" }
  }

  @Test func theProgramReadsSlotsAndMembershipIsAHashLookup() throws {
    for optimize in [true, false] {
      let c = try Self.compile(
        Self.ruleText(runtime: true, ips: Self.ipPool, users: ["u1"], mccs: [7995]), optimize: optimize)
      let catalog = c.environment.catalog
      let inList = try #require(catalog.index(ofID: "in_list"))
      // No `in_list` at all: every membership test reads a set slot.
      for n in c.ir.nodes {
        if case .call(let o, _) = n {
          #expect(o != inList, "a scan of a list remains (optimize: \(optimize))")
        }
      }
      let vars = Dictionary(uniqueKeysWithValues: c.bundle.program.variables.map { ($0.name, $0.type) })
      #expect(vars["blocked_ips#set"] == .map(.string, .bool))
      #expect(vars["blocked_ips"] == .list(.string), "size(blocked_ips) reads the list slot")
      #expect(vars["blocked_mccs#set"] == .map(.int, .bool))
      #expect(c.bundle.runtimeLists.map(\.name) == ["blocked_ips", "watched_users", "blocked_mccs"])
      #expect(c.bundle.runtimeLists[0].entries.count == Self.ipPool.count)
      // No constant holds the list: it can change without a recompile.
      #expect(
        !c.bundle.program.constants.contains { if case .list(let xs) = $0 { xs.count == 40 } else { false } })
    }
  }

  @Test func bundlesCarryTheDefaultsInFormat4AndOthersStayFormat3() throws {
    let c = try Self.compile(Self.ruleText(runtime: true, ips: ["10.0.0.1"], users: [], mccs: [1, 2, 2]))
    let bytes = try c.bundle.encoded(signedWith: nil)
    #expect(bytes[4] == 4 && bytes[5] == 0)
    let decoded = try BundleDecoder.decode(bytes)
    #expect(decoded.runtimeLists.map(\.name) == ["blocked_ips", "watched_users", "blocked_mccs"])
    #expect(decoded.runtimeLists[2].entries.map { Value.render($0) } == ["1", "2"], "duplicates dropped")
    let constant = try Self.compile(Self.ruleText(runtime: false, ips: ["10.0.0.1"], users: [], mccs: [1]))
    let old = try constant.bundle.encoded(signedWith: nil)
    #expect(old[4] == 3, "no run-time lists: still format 3")
    #expect(try BundleLoader().load(old).bundle.runtimeLists.isEmpty)
  }

  @Test func theLoaderRefusesSlotsOfTheWrongType() throws {
    var b = try Self.compile(Self.ruleText(runtime: true, ips: ["10.0.0.1"], users: ["u1"], mccs: [1])).bundle
    b.runtimeLists[0].elementType = .int
    b.runtimeLists[0].entries = [.int(1)]
    do {
      _ = try BundleLoader().load(try b.encoded(signedWith: nil))
      Issue.record("a list slot of the wrong type was accepted")
    } catch let e as BundleLoadError {
      #expect(e.kind == .inconsistent)
      #expect(e.message.contains("blocked_ips"), "\(e.message)")
    }
    // Without its section-10 entry, the program's slots are unknown variables.
    var missing = try Self.compile(Self.ruleText(runtime: true, ips: ["10.0.0.1"], users: ["u1"], mccs: [1]))
      .bundle
    missing.runtimeLists.removeFirst()
    do {
      _ = try BundleLoader().load(try missing.encoded(signedWith: nil))
      Issue.record("a program reading an undeclared list slot was accepted")
    } catch let e as BundleLoadError {
      #expect(e.kind == .inconsistent)
    }
  }

  /// Replaced lists decide as constant lists: the same lines as a bundle compiled with them.
  @Test(arguments: [true, false]) func aReplacedListDecidesAsTheConstantList(optimize: Bool) throws {
    var rng = RulesRNG(state: 0x11575)
    let events = Self.events(600, seed: 0xE7E7)
    var matched = 0
    for round in 0..<6 {
      let ips = Self.ipPool.filter { _ in rng.chance(0.3) }
      let users = Self.users.filter { _ in rng.chance(0.2) }
      let mccs = [7995, 6051, 42].filter { _ in rng.chance(0.5) }
      let runtime = try Self.load(
        Self.compile(
          Self.ruleText(runtime: true, ips: ["10.0.0.1"], users: ["u1"], mccs: [1]), optimize: optimize))
      let constant = try Self.load(
        Self.compile(Self.ruleText(runtime: false, ips: ips, users: users, mccs: mccs), optimize: optimize))
      let p = EventProcessor(bundle: runtime, store: InMemoryStateStore())
      #expect(
        p.setRuntimeList(
          "blocked_ips", RuntimeListValue(elementType: .string, entries: ips.map { .string($0) })))
      #expect(
        p.setRuntimeList(
          "watched_users", RuntimeListValue(elementType: .string, entries: users.map { .string($0) })))
      #expect(
        p.setRuntimeList(
          "blocked_mccs", RuntimeListValue(elementType: .int, entries: mccs.map { .int(Int64($0)) })))
      let q = EventProcessor(bundle: constant, store: InMemoryStateStore())
      let a = try Self.lines(p, events[...])
      let b = try Self.lines(q, events[...])
      #expect(a == b, "round \(round): \(zip(a, b).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "")")
      matched += a.filter { $0.contains("\"blocked_ip\"") || $0.contains("\"watched\"") }.count
    }
    #expect(matched > 100, "the lists matched too rarely to tell anything: \(matched)")
  }

  /// A change between two events: events before it decide with the old list, after it with the
  /// new one (a stateless rule set, so each event depends on the list alone).
  @Test func aChangeAppliesFromTheNextEvent() throws {
    let text = { (r: Bool, ips: [String]) in
      """
      \(r ? "runtime " : "")list blocked_ips: string = [\(ips.map { "\"\($0)\"" }.joined(separator: ", "))]
      rule blocked_ip { when: has(event.ip) && event.ip in blocked_ips, action: block }
      rule many { when: size(blocked_ips) > 3, score: 1 }
      """
    }
    let before = Array(Self.ipPool.prefix(10))
    let after = Array(Self.ipPool.suffix(15))
    let p = EventProcessor(
      bundle: try Self.load(Self.compile(text(true, before))), store: InMemoryStateStore())
    let old = EventProcessor(
      bundle: try Self.load(Self.compile(text(false, before))), store: InMemoryStateStore())
    let new = EventProcessor(
      bundle: try Self.load(Self.compile(text(false, after))), store: InMemoryStateStore())
    let events = Self.events(300, seed: 7)
    #expect(try Self.lines(p, events[..<150]) == Self.lines(old, events[..<150]))
    p.setRuntimeList(
      "blocked_ips", RuntimeListValue(elementType: .string, entries: after.map { .string($0) }))
    #expect(try Self.lines(p, events[150...]) == Self.lines(new, events[150...]))
    // Starting with a stored value (`lists:`) is the same as setting it before the first event.
    let started = EventProcessor(
      bundle: try Self.load(Self.compile(text(true, before))), store: InMemoryStateStore(),
      lists: ["blocked_ips": RuntimeListValue(elementType: .string, entries: after.map { .string($0) })])
    #expect(
      try Self.lines(started, events[...])
        == Self.lines(
          EventProcessor(
            bundle: try Self.load(Self.compile(text(false, after))), store: InMemoryStateStore()), events[...]
        ))
    // A value of another element type, or an unknown list, changes nothing.
    #expect(!p.setRuntimeList("blocked_ips", RuntimeListValue(elementType: .int, entries: [.int(1)])))
    #expect(!p.setRuntimeList("nope", RuntimeListValue(elementType: .string, entries: [])))
  }

  /// Lines decoded ahead (`EventProcessor.prepare` into a ring of reused slot buffers, as
  /// `replay`'s decoding thread does) decide exactly as `process(bytes:)`: the same lines, with
  /// blank and rejected lines among them, aggregates counting, and a run-time list changed
  /// between two events — the list's slots are not decoded, so they must survive the swap.
  @Test(arguments: [true, false]) func preparedLinesDecideAsProcessedBytes(optimize: Bool) throws {
    var events = Self.events(500, seed: 0xDEC0DE)
    for i in stride(from: 13, to: events.count, by: 41) { events[i] = "  " }
    for i in stride(from: 29, to: events.count, by: 53) {
      events[i] = "{\"event_id\":\"bad\(i)\",\"type\":7}"
    }
    let bundle = try Self.load(
      Self.compile(
        Self.ruleText(runtime: true, ips: Array(Self.ipPool.prefix(8)), users: ["u1", "u2"], mccs: [7995]),
        optimize: optimize))
    let plain = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    let ahead = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    // Through a `LinePreparer`: the aggregate's filter reads `blocked_ips`, so its state program
    // must not run ahead (the list changes midway), and the processor runs it.
    let prepping = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    #expect(!prepping.runsStateAhead)
    var preparer = prepping.makePreparer()
    let change = RuntimeListValue(elementType: .string, entries: Self.ipPool.suffix(20).map { .string($0) })
    var ring = (0..<3).map { _ in ahead.eventDecoder.makeSlots() }
    var ring2 = (0..<3).map { _ in prepping.eventDecoder.makeSlots() }
    var results = [[Value]](repeating: [], count: 3)
    var a: [String] = []
    var b: [String] = []
    var kinds: [String: Int] = [:]
    for (i, e) in events.enumerated() {
      if i == 250 {
        #expect(
          plain.setRuntimeList("blocked_ips", change) && ahead.setRuntimeList("blocked_ips", change)
            && prepping.setRuntimeList("blocked_ips", change))
      }
      var line = e
      let x = try line.withUTF8 { try plain.process(bytes: $0) }
      let prepared = line.withUTF8 {
        EventProcessor.prepare($0, decoder: ahead.eventDecoder, into: &ring[i % 3])
      }
      let y = try ahead.process(prepared: prepared, slots: &ring[i % 3])
      let prepared2 = line.withUTF8 {
        preparer.prepare($0, into: &ring2[i % 3], stateResults: &results[i % 3])
      }
      #expect(results[i % 3].isEmpty, "the state program ran ahead though it reads a run-time list")
      let z = try prepping.process(prepared: prepared2, slots: &ring2[i % 3], stateResults: &results[i % 3])
      #expect(z.line == x.line, "line \(i): \(z.line ?? "(blank)") vs \(x.line ?? "(blank)")")
      a.append(x.line ?? "(blank)")
      b.append(y.line ?? "(blank)")
      switch y {
      case .decided: kinds["decided", default: 0] += 1
      case .rejected: kinds["rejected", default: 0] += 1
      case .blank: kinds["blank", default: 0] += 1
      case .duplicate: kinds["duplicate", default: 0] += 1
      }
    }
    // The first line that differs, not both arrays (500 lines each) in the failure message.
    let firstDifference = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }
    #expect(a.count == b.count)
    #expect(
      firstDifference == nil,
      "line \(firstDifference?.offset ?? -1): \(firstDifference?.element.0 ?? "") vs \(firstDifference?.element.1 ?? "")"
    )
    #expect(
      kinds["decided", default: 0] > 400 && kinds["rejected", default: 0] >= 9
        && kinds["blank", default: 0] >= 12)
    #expect(a.filter { $0.contains("\"blocked_ip\"") }.count > 20, "the list never matched")
  }

  /// The state program runs ahead of the processor only when it reads no run-time list: the
  /// same rules with the lists as constants run ahead, with run-time lists do not.
  @Test func onlyAStateProgramReadingNoRunTimeListRunsAhead() throws {
    for runtime in [false, true] {
      let bundle = try Self.load(
        Self.compile(Self.ruleText(runtime: runtime, ips: ["10.0.0.1"], users: ["u1"], mccs: [7995])))
      let processor = EventProcessor(bundle: bundle, store: InMemoryStateStore())
      #expect(processor.runsStateAhead == !runtime)
      var preparer = processor.makePreparer()
      var slots = processor.eventDecoder.makeSlots()
      var results: [Value] = []
      var line = Self.events(1, seed: 7)[0]
      _ = line.withUTF8 { preparer.prepare($0, into: &slots, stateResults: &results) }
      #expect(results.isEmpty == runtime)
    }
  }

  @Test func entriesAsTextFitTheElementType() {
    #expect(RuntimeListValue.value("42", .int).map(Value.render) == "42")
    #expect(RuntimeListValue.value("-7", .int).map(Value.render) == "-7")
    #expect(RuntimeListValue.value("-7", .uint) == nil)
    #expect(RuntimeListValue.value("4 2", .int) == nil)
    #expect(RuntimeListValue.value("+1", .int) == nil)
    #expect(RuntimeListValue.value("99999999999999999999", .int) == nil)
    #expect(RuntimeListValue.value("", .string).map(Value.render) == "\"\"")
    guard case .failure(let e) = RuntimeListValue.values(["1", "x2"], .int) else {
      Issue.record("x2 fits an int list")
      return
    }
    #expect(e.message.contains("entry 1") && e.message.contains("\"x2\""), "\(e.message)")
  }

  @Test func invalidRunTimeListsAreErrors() throws {
    for (text, needle) in [
      (
        "runtime list empty = []\nrule r { when: event.user_id in empty, score: 1 }",
        "declare its element type"
      ),
      ("runtime list ds: double = [1.0]\nrule r { when: event.amount in ds, score: 1 }", "double"),
      (
        "runtime list sdn from \"../../fixtures/sanctions/sdn.csv\" format screening\nrule r { when: true, score: 1 }",
        "screening"
      ),
    ] {
      let source = Source(name: "Tests/SentinelRulesTests/x.rules", text: text)
      let (file, pd) = RuleParser.parse(source)
      #expect(!pd.hasErrors, "\(pd)")
      let (c, ds) = RuleCompiler.compile([try #require(file)])
      #expect(c == nil)
      let e = ds.first { $0.diagnostic.code == RuleCode.invalidRuntimeList }
      #expect(e != nil, "\(ds.map(\.rendered))")
      #expect(ds.map(\.rendered).joined().contains(needle), "\(ds.map(\.rendered))")
    }
  }

  @Test func theDSLFormatsAndYAMLAgree() throws {
    let dsl = "runtime list blocked_ips: string = [\"10.0.0.1\", \"10.0.0.2\"]\n"
    let (file, pd) = RuleParser.parse(Source(name: "a.rules", text: dsl))
    #expect(!pd.hasErrors)
    let parsed = try #require(file)
    guard case .list(let l)? = parsed.declarations.first else {
      Issue.record("no list")
      return
    }
    #expect(l.runtime)
    #expect(RuleFormatter.format(parsed) == dsl)
    let yaml = parseYAML(
      "lists:\n  blocked_ips: {type: string, values: [\"10.0.0.1\", \"10.0.0.2\"], runtime: true}\n")
    #expect(yaml.diagnostics.isEmpty, "\(yaml.rendered)")
    #expect(try normalizedDump(#require(yaml.file)) == normalizedDump(parsed))
    // `runtime` must be followed by `list`.
    let (_, bad) = RuleParser.parse(Source(name: "b.rules", text: "runtime rule r { when: true }\n"))
    #expect(bad.hasErrors)
  }
}
