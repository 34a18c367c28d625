// `sentinel explain --rules PATH --event JSON`: the decision for one event, every rule, and the
// value of each sub-condition — why a rule fired or not.

import ArgumentParser
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime
import SentinelState
import SentinelVerifier

/// Explains the decision for one event.
public struct ExplainCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain the decision for one event: every rule and every sub-condition.",
    discussion: """
      Compiles the rule set, decodes the event against its schema, decides it with the VM, and
      shows each rule — matched or not — with the value of each part of its condition (split at
      &&, ||, ! and ?:, named conditions expanded). --event takes inline JSON, @FILE, or - for
      standard input.

      Example:
        sentinel explain --rules rules/ --event '{"event_id":"e1","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u1","country_code":"KP"}'
      """)

  @Option(help: "Rule files or directories.")
  var rules: [String]

  @Option(help: ArgumentHelp("The event: JSON, @FILE, or - for stdin.", valueName: "json"))
  var event: String

  @Option(
    help: ArgumentHelp(
      "Events to replay first (JSON lines), so that aggregates hold their state.", valueName: "events.jsonl"))
  var history: String?

  @Flag(help: "Show only rules that matched.")
  var matchedOnly = false

  public init() {}

  public func run() throws {
    let c = try compileRuleSet(rules, quiet: true)
    let text = try readArgumentText(event)
    // The event is decided as `sentinel replay` decides it: with state (empty, or built by
    // replaying --history first), so aggregates read what they would read in a corpus.
    let loaded = try BundleLoader(catalog: c.environment.catalog).load(try c.bundle.encoded(signedWith: nil))
    let processor = EventProcessor(bundle: loaded, store: InMemoryStateStore())
    // Every rule's readings are shown, also those of rules that could not match this event.
    processor.readsEveryAggregate = true
    if let history {
      let lines = String(decoding: try readFileBytes(history), as: UTF8.self).split(separator: "\n")
      for line in lines { _ = try processor.process(line) }
    }
    switch try processor.process(text) {
    case .decided(_, let line), .duplicate(_, let line): print(line)
    case .rejected(let error, _):
      printError("rejected: \(error)")
      throw ExitCode(1)
    case .blank:
      printError("rejected: the event is empty")
      throw ExitCode(1)
    }
    print("")
    // The reference evaluator reads every schema slot by name (not only the program's), and the
    // aggregate readings the processor computed for this event.
    let all = EventDecoder(schema: c.schema, slotOrder: c.schema.slots.map(\.qualifiedName))
    var bindings: [String: Value] = [:]
    if let full = try? all.decode(text) {
      for (name, v) in zip(all.slotOrder, full.slots) { if let v { bindings[name] = v } }
    }
    let schemaSlots = Set(all.slotOrder)
    for (name, v) in processor.lastBindings where !schemaSlots.contains(name) { bindings[name] = v }
    let ruleIndex = Dictionary(
      c.bundle.rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    for e in Explainer.explain(c, event: bindings) where e.matched || !matchedOnly {
      let mark = e.matched ? "✔" : "✘"
      let effect = [
        e.rule.outcome == .score ? nil : e.rule.outcome.name, e.rule.score > 0 ? "+\(e.rule.score)" : nil,
      ]
      .compactMap { $0 }.joined(separator: " ")
      print("\(mark) \(e.rule.id)\(effect.isEmpty ? "" : "  [\(effect)]")")
      render(e.condition, indent: "    ")
      // The state the rule read: each aggregate variable's value for this event.
      if let k = ruleIndex[e.rule.id], k < c.bundle.ruleReads.count {
        let reads = c.bundle.ruleReads[k].flatMap { c.bundle.aggregates[$0].variables.map(\.name) }
        if !reads.isEmpty {
          print(
            "    state: "
              + reads.map { "\($0) = \(bindings[$0].map { "\($0)" } ?? "absent")" }.joined(separator: ", "))
        }
      }
    }
  }

  func render(_ c: ConditionExplanation, indent: String) {
    print("\(indent)\(c.text)  →  \(c.value)")
    for child in c.children { render(child, indent: indent + "  ") }
  }
}
