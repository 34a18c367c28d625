// Explanations: why a rule matched or not. Each rule's condition is evaluated by the reference
// evaluator with tracing on, and decomposed at `&&`, `||`, `!` and `?:` into sub-conditions,
// each shown with its source text and value; named conditions are expanded in place.

import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelSyntax

/// A sub-condition: its source text, its value on the event, and its parts.
public struct ConditionExplanation: Sendable {
  public var text: String
  public var value: Value
  public var children: [ConditionExplanation]
}

/// One rule's explanation.
public struct RuleExplanation: Sendable {
  public var rule: RuleEntry
  /// Whether the condition was exactly `true`.
  public var matched: Bool
  public var condition: ConditionExplanation
}

/// Explains rule-set decisions.
public enum Explainer {
  /// The bindings for evaluating a compilation's conditions: the event slots by qualified name,
  /// the lists, and the named conditions' values (evaluated in dependency order).
  public static func bindings(_ c: RuleSetCompilation, event slots: [String: Value]) -> [String: Value] {
    var b = slots
    for (k, v) in c.constants { b[k] = v }
    let evaluator = ReferenceEvaluator(environment: c.environment)
    var remaining = c.definitions
    // Definitions only reference earlier ones; evaluate whichever has its inputs bound.
    while !remaining.isEmpty {
      var progressed = false
      for (name, def) in remaining {
        let needs = def.references.values.compactMap { r -> String? in
          if case .variable(let q) = r, c.definitions[q] != nil { return q }
          return nil
        }
        guard needs.allSatisfy({ b[$0] != nil }) else { continue }
        b[name] = evaluator.evaluate(def, bindings: b)
        remaining[name] = nil
        progressed = true
      }
      if !progressed { break }
    }
    return b
  }

  /// Explains every rule of the compilation on one event.
  public static func explain(_ c: RuleSetCompilation, event slots: [String: Value]) -> [RuleExplanation] {
    let b = bindings(c, event: slots)
    let evaluator = ReferenceEvaluator(environment: c.environment)
    return c.rules.map { rule in
      let (value, trace) = evaluator.evaluateTraced(rule.checked, bindings: b)
      let tree = decompose(rule.checked.ast.root, rule.checked, trace, c, b)
      var matched = false
      if case .bool(true) = value { matched = true }
      return RuleExplanation(rule: rule.entry, matched: matched, condition: tree)
    }
  }

  static func text(_ e: Expr, _ ast: AST) -> String {
    let s = ast.span(of: e.id)
    let bytes = ast.source.utf8
    guard s.start >= 0, s.end <= bytes.count, s.start < s.end else { return "" }
    return String(decoding: bytes[s.start..<s.end], as: UTF8.self)
      .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(
        separator: " ")
  }

  static func decompose(
    _ e: Expr, _ checked: CheckedAST, _ trace: [ExprID: Value], _ c: RuleSetCompilation, _ b: [String: Value]
  ) -> ConditionExplanation {
    let value = trace[e.id] ?? .error(CELError(.other, "not evaluated (short-circuited)"))
    var children: [ConditionExplanation] = []
    switch e.kind {
    case .call(nil, "_&&_", let args), .call(nil, "_||_", let args):
      // Flatten chains of the same operator.
      let op: String
      if case .call(_, let f, _) = e.kind { op = f } else { op = "" }
      var stack = args
      var flat: [Expr] = []
      while !stack.isEmpty {
        let x = stack.removeFirst()
        if case .call(nil, op, let inner) = x.kind {
          stack.insert(contentsOf: inner, at: 0)
        } else {
          flat.append(x)
        }
      }
      children = flat.map { decompose($0, checked, trace, c, b) }
    case .call(nil, "!_", let args), .call(nil, "_?_:_", let args):
      children = args.map { decompose($0, checked, trace, c, b) }
    case .ident, .select:
      if case .variable(let q)? = checked.references[e.id], let def = c.definitions[q] {
        let (_, inner) = ReferenceEvaluator(environment: c.environment).evaluateTraced(def, bindings: b)
        children = [decompose(def.ast.root, def, inner, c, b)]
      }
    default: break
    }
    return ConditionExplanation(text: text(e, checked.ast), value: value, children: children)
  }
}
