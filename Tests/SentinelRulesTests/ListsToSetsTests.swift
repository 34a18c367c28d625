// The lists-to-sets pass: membership in a long constant string list becomes a map-key lookup,
// and decisions do not change — optimized vs unoptimized vs the reference evaluator, on members,
// non-members, absent fields and values of other kinds.

import SentinelBuiltins
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime
import SentinelState
import SentinelSyntax
import Testing

@Suite struct ListsToSetsTests {
  static let ips = (0..<1_000).map { "10.0.\($0 / 256).\($0 % 256)" }

  static let ruleText: String = {
    let list = ips.map { "\"\($0)\"" }.joined(separator: ", ")
    return """
      list blocked_ips = [\(list)]
      list few = ["KP", "IR"]
      rule blocked_ip {
        when: has(event.ip) && event.ip in blocked_ips
        action: block
      }
      rule amount_in_list {
        when: has(event.amount) && dyn(event.amount) in blocked_ips
        score: 5
      }
      rule user_in_list {
        when: event.user_id in blocked_ips || event.user_id in few
        score: 10
      }
      """
  }()

  func compile(optimize: Bool) throws -> RuleSetCompilation {
    let source = Source(name: "sets.rules", text: Self.ruleText)
    let (file, pd) = RuleParser.parse(source)
    try #require(!pd.hasErrors)
    var options = RuleCompileOptions()
    options.optimize = optimize
    let (c, ds) = RuleCompiler.compile([try #require(file)], options: options)
    return try #require(c, "\(ds.map(\.rendered))")
  }

  @Test func longStringListsBecomeMapLookups() throws {
    let c = try compile(optimize: true)
    let catalog = c.environment.catalog
    let inList = try #require(catalog.index(ofID: "in_list"))
    let inMap = try #require(catalog.index(ofID: "in_map"))
    var lists = 0
    var maps = 0
    for n in c.ir.nodes {
      if case .call(let o, _) = n, o == inList { lists += 1 }
      if case .call(let o, _) = n, o == inMap { maps += 1 }
    }
    // `blocked_ips` (1,000 entries) is read three times (hash-consed: one constant); `few` stays.
    #expect(maps >= 2)
    #expect(lists == 1, "only the 2-element list stays a list")
    let plain = try compile(optimize: false)
    #expect(
      plain.ir.nodes.contains { if case .call(let o, _) = $0 { return o == inMap } else { return false } }
        == false)
  }

  @Test func decisionsDoNotChange() throws {
    let optimized = try compile(optimize: true)
    let plain = try compile(optimize: false)
    let a = try BundleLoader().load(try optimized.bundle.encoded(signedWith: nil))
    let b = try BundleLoader().load(try plain.bundle.encoded(signedWith: nil))
    let pa = EventProcessor(bundle: a, store: InMemoryStateStore())
    let pb = EventProcessor(bundle: b, store: InMemoryStateStore())
    var rng = RulesRNG(state: 0x5E75)
    var blocked = 0
    for i in 0..<400 {
      var fields = [
        "\"event_id\":\"e\(i)\"", "\"type\":\"transaction\"", "\"ts\":\"2026-11-25T10:00:00Z\"",
        "\"user_id\":\"\(rng.chance(0.3) ? rng.pick(Self.ips) : rng.pick(["KP", "u1", "10.0.0"]))\"",
      ]
      if rng.chance(0.8) {
        fields.append("\"ip\":\"\(rng.chance(0.5) ? rng.pick(Self.ips) : "192.168.1.\(i % 256)")\"")
      }
      fields.append("\"amount\":\(rng.pick(["10", "10.5", "0"]))")
      let line = "{" + fields.joined(separator: ",") + "}"
      let x = try pa.process(line).line
      let y = try pb.process(line).line
      #expect(x == y, "\(line)")
      if x?.contains("blocked_ip") == true { blocked += 1 }
      // And the reference evaluator agrees with the optimized VM, rule by rule.
      let bindings = pa.lastBindings
      for e in Explainer.explain(optimized, event: bindings) {
        let fired = (x ?? "").contains("\"" + e.rule.id + "\"")
        #expect(e.matched == fired, "\(e.rule.id) on \(line)")
      }
    }
    #expect(blocked > 50)
  }
}
