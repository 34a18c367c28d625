// The peer workload (bench/peer-workload): its rules compile, and on a sample of its events
// (every rule firing at least once) SentinelIQ decides exactly what the peers decided; the
// allocation-free decision path (`DecisionEngine.summarize`, a reused `VM.Registers`) agrees with
// `combine`; `sentinel bench`'s report has the promised shape and consistent figures.

import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelState
import SentinelVM
import SentinelVerifier
import Testing

@Suite struct PeerWorkloadTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("bench/peer-workload").path

  static func bundle() throws -> LoadedBundle {
    let (c, ds) = RuleCompiler.compile(paths: [folder + "/rules"], options: RuleCompileOptions())
    let compiled = try #require(c, "\(ds.map(\.rendered))")
    #expect(compiled.bundle.rules.count == 32)
    return try BundleLoader(catalog: compiled.environment.catalog).load(
      try compiled.bundle.encoded(signedWith: nil))
  }

  static func sample() throws -> (events: [String], decisions: [String]) {
    let events = try String(contentsOfFile: folder + "/sample/events.jsonl", encoding: .utf8)
    let decisions = try String(contentsOfFile: folder + "/sample/decisions.tsv", encoding: .utf8)
    return (
      events.split(separator: "\n").map(String.init), decisions.split(separator: "\n").map(String.init)
    )
  }

  /// A decision in the peers' format: id, action, score, sorted rule ids.
  static func peerLine(_ d: Decision) -> String {
    "\(d.eventID)\t\(d.action.rawValue)\t\(d.score)\t\(d.ruleIDs.joined(separator: ","))"
  }

  @Test func decisionsEqualThePeers() throws {
    let bundle = try Self.bundle()
    let (events, expected) = try Self.sample()
    try #require(events.count == expected.count)
    let processor = EventProcessor(bundle: bundle, store: InMemoryStateStore())
    var fired: Set<String> = []
    for (line, want) in zip(events, expected) {
      guard case .decided(let d, _) = try processor.process(Substring(line)) else {
        Issue.record("not decided: \(line.prefix(40))")
        continue
      }
      #expect(Self.peerLine(d) == want)
      fired.formUnion(d.ruleIDs)
    }
    #expect(fired.count == 32, "every rule fires in the sample")
  }

  @Test func summaryAndReusedRegistersAgreeWithCombine() throws {
    let bundle = try Self.bundle()
    let (events, _) = try Self.sample()
    let b = bundle.bundle
    let engine = DecisionEngine(program: bundle.program, rules: b.rules, policy: b.policy)
    let decoder = EventDecoder(schema: b.schema, slotOrder: b.program.variables.map(\.name))
    var slots = decoder.makeSlots()
    var results: [Value] = []
    var registers = VM.Registers()
    var matched: [Int] = []
    for line in events {
      let id = try decoder.decode(line, into: &slots)
      // A fresh register file per run (the plain API) and one reused across all events.
      let fresh = engine.decide(eventID: id, slots: slots)
      _ = VM().run(bundle.program, variables: slots, results: &results, registers: &registers)
      let summary = engine.summarize(results, matched: &matched)
      #expect(summary == DecisionSummary(action: fresh.action, score: fresh.score))
      #expect(Set(matched.map { b.rules[$0].id }) == Set(fresh.ruleIDs))
    }
  }

  /// The loader's fused code (SentinelVerifier/Fusion.swift) gives every rule result the
  /// original code gives, and is shorter (the figure in docs/performance.md: 360 → 240).
  @Test func fusedAndUnfusedCodeAgree() throws {
    let bundle = try Self.bundle()
    let (events, _) = try Self.sample()
    let b = bundle.bundle
    let fused = bundle.program
    let plain = try Verifier(catalog: fused.catalog, limits: fused.limits, fusion: false).verify(
      fused.program)
    #expect(fused.executedProgram.code.count < fused.program.code.count * 3 / 4)
    #expect(plain.executedProgram.code == fused.program.code)
    // The typed instructions (TypedTest.swift): every comparison with a literal, `in`, `matches`
    // and the string `!=` of two fields; `move; jump.false` pairs.
    let ops = fused.executedProgram.code.map(\.opcode)
    #expect(ops.filter { $0 == .testVarConst || $0 == .andTestVarConst }.count >= 40)
    #expect(ops.filter { $0 == .testVarVar }.count >= 2)
    #expect(ops.filter { $0 == .moveJumpIfFalse || $0 == .ruleMoveJumpIfFalse }.count >= 20)
    // Rule writes fused with their neighbour: `rule; move; jump.false` and `rule; rule`.
    #expect(ops.filter { $0 == .ruleMoveJumpIfFalse }.count >= 18)
    #expect(ops.filter { $0 == .ruleTwice }.count >= 10)
    #expect(!ops.contains(.callVarConst) && !ops.contains(.andVarConst))
    let decoder = EventDecoder(schema: b.schema, slotOrder: b.program.variables.map(\.name))
    var slots = decoder.makeSlots()
    var r1: [Value] = []
    var r2: [Value] = []
    // Every path writes every rule (RuleCoverage.swift), so the VM does not reset the kept
    // results between runs: they must still equal a fresh array's.
    #expect(fused.writesEveryRule && plain.writesEveryRule)
    for line in events {
      _ = try decoder.decode(line, into: &slots)
      _ = VM().run(fused, variables: slots, results: &r1)
      _ = VM().run(plain, variables: slots, results: &r2)
      var fresh: [Value] = []
      _ = VM().run(fused, variables: slots, results: &fresh)
      #expect(r1.map(\.description) == r2.map(\.description), "\(line.prefix(40))")
      #expect(r1.map(\.description) == fresh.map(\.description), "\(line.prefix(40))")
    }
  }

  @Test func benchReportShape() throws {
    let bundle = try Self.bundle()
    let (events, expected) = try Self.sample()
    let input = Array((events.joined(separator: "\n") + "\n\n").utf8)
    let report = try RuleSetBenchmark(bundle: bundle).run(input: input, iterations: 2)
    #expect(report.events == events.count)
    #expect(report.rejected == 0)
    #expect(report.rules == 32)
    #expect(report.iterations == 2)
    #expect(report.consistent)
    #expect(report.actions.values.reduce(0, +) == events.count)
    let blocks = expected.filter { $0.contains("\tblock\t") }.count
    #expect(report.actions[.block] == blocks)
    #expect(report.decodeNanosecondsPerEvent > 0 && report.evalNanosecondsPerEvent > 0)
    #expect(report.endToEndNanosecondsPerEvent > 0)
    #if os(Linux)
      #expect(report.allocationCounting)
      // Decoding builds the event's strings: some allocations; the eval pass none in an
      // optimized build (it reuses its registers, results and matched-rule buffer, and every
      // builtin it runs here returns scalars). Unoptimized builds allocate where optimized ones
      // do not (unspecialized generics, closure contexts), so there only the count is checked.
      #expect(report.decodeAllocationsPerEvent > 0)
      #if DEBUG
        #expect(report.evalAllocationsPerEvent >= 0)
      #else
        #expect(report.evalAllocationsPerEvent == 0)
      #endif
      #expect(report.endToEndAllocationsPerEvent >= report.decodeAllocationsPerEvent)
    #endif

    let parsed = try JSONReader.parse(report.json)
    guard case .map(let m) = parsed else {
      Issue.record("not an object: \(report.json)")
      return
    }
    for key in [
      "events", "eval_ns_per_event", "end_to_end_ns_per_event", "allocations_per_event",
      "decode_ns_per_event",
      "eval_events_per_s", "end_to_end_events_per_s", "rejected", "iterations", "actions", "consistent",
    ] {
      #expect(m[string: key] != nil, "\(key)")
    }
    #expect(m[string: "events"].map(JSONWriter.value) == String(events.count))
    if case .double(let e)? = m[string: "eval_ns_per_event"] {
      #expect(e > 0)
    } else if case .int(let e)? = m[string: "eval_ns_per_event"] {
      #expect(e > 0)
    } else {
      Issue.record("eval_ns_per_event is not a number")
    }
  }

  /// `sentinel bench --block N`: the end-to-end pass in blocks decides what the eval pass (and
  /// so the line-by-line pass) decides — blocks that do not divide the lines, a rejected line
  /// inside a block (it must leave no event behind), a block longer than the input.
  @Test(arguments: [2, 7, 64, 1_000])
  func benchInBlocksDecidesAsLineByLine(block: Int) throws {
    let bundle = try Self.bundle()
    let (events, _) = try Self.sample()
    var lines = events
    lines.insert("{\"type\": ", at: lines.count / 3)
    let input = Array((lines.joined(separator: "\n") + "\n").utf8)
    let plain = try RuleSetBenchmark(bundle: bundle).run(input: input, iterations: 1)
    let blocked = try RuleSetBenchmark(bundle: bundle, block: block).run(input: input, iterations: 1)
    #expect(plain.rejected == 1 && blocked.rejected == 1)
    #expect(blocked.events == events.count)
    #expect(plain.consistent && blocked.consistent)
    #expect(blocked.actions == plain.actions && blocked.scoreSum == plain.scoreSum)
    #expect(plain.endToEndBlock == 1 && blocked.endToEndBlock == block)
    #expect(blocked.json.contains("\"end_to_end_block\":\(block)"))
  }

  @Test func benchRefusesAggregates() throws {
    let rules = """
      aggregate n {
        kind: count
        key: event.user_id
        window: 60s
      }
      rule many { when: n > 3, score: 1 }
      """
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("peer-\(UUID())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try rules.write(toFile: dir + "/a.rules", atomically: true, encoding: .utf8)
    let (c, ds) = RuleCompiler.compile(paths: [dir], options: RuleCompileOptions())
    let compiled = try #require(c, "\(ds.map(\.rendered))")
    let bundle = try BundleLoader(catalog: compiled.environment.catalog).load(
      try compiled.bundle.encoded(signedWith: nil))
    #expect(throws: BenchmarkError.self) { try RuleSetBenchmark(bundle: bundle) }
  }
}
