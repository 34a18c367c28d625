// `sentinel explain --rules PATH --event JSON`: the decision for one event, every rule, and the
// value of each sub-condition — why a rule fired or not.

import ArgumentParser
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime
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

  @Flag(help: "Show only rules that matched.")
  var matchedOnly = false

  public init() {}

  public func run() throws {
    let c = try compileRuleSet(rules, quiet: true)
    let text = try readArgumentText(event)
    let program = try Verifier(catalog: c.environment.catalog).verify(c.bundle.program)
    let decoder = EventDecoder(schema: c.schema, slotOrder: c.bundle.program.variables.map(\.name))
    let decoded: DecodedEvent
    do {
      decoded = try decoder.decode(text)
    } catch {
      printError("rejected: \(error)")
      throw ExitCode(1)
    }
    let engine = DecisionEngine(program: program, rules: c.bundle.rules, policy: c.bundle.policy)
    let decision = engine.decide(eventID: decoded.eventID, slots: decoded.slots)
    print(decision.jsonLine)
    print("")
    // The reference evaluator reads every schema slot by name (not only the program's).
    let all = EventDecoder(schema: c.schema, slotOrder: c.schema.slots.map(\.qualifiedName))
    var bindings: [String: Value] = [:]
    if let full = try? all.decode(text) {
      for (name, v) in zip(all.slotOrder, full.slots) { if let v { bindings[name] = v } }
    }
    for e in Explainer.explain(c, event: bindings) where e.matched || !matchedOnly {
      let mark = e.matched ? "✔" : "✘"
      let effect = [
        e.rule.outcome == .score ? nil : e.rule.outcome.name, e.rule.score > 0 ? "+\(e.rule.score)" : nil,
      ]
      .compactMap { $0 }.joined(separator: " ")
      print("\(mark) \(e.rule.id)\(effect.isEmpty ? "" : "  [\(effect)]")")
      render(e.condition, indent: "    ")
    }
  }

  func render(_ c: ConditionExplanation, indent: String) {
    print("\(indent)\(c.text)  →  \(c.value)")
    for child in c.children { render(child, indent: indent + "  ") }
  }
}
