// Reason placeholders: `reason: "Beneficiary matches {screen(event.beneficiary_name, sdn).name}"`.
// Each `{expression}` (ReasonTemplate) is checked like a condition and compiled as an extra result
// of the rule-set program, after the rule results: `condition ? expression : null`, so that it is
// computed only for an event the rule matched (and equal subexpressions are shared with the
// condition in the IR). The runtime interpolates the values into the matched rule's reason.

import Foundation
import SentinelBytecode
import SentinelModel
import SentinelSyntax

extension RuleCompilerRun {
  /// The checked placeholders of a rule's reason; nil (with diagnostics at the reason) when one
  /// does not parse or check, or the template is malformed.
  mutating func compileReason(_ reason: Located<String>, file: Int, env: Environment) -> [CheckedAST]? {
    let (parts, malformed) = ReasonTemplate.parse(reason.value)
    if malformed {
      error(
        file, RuleCode.invalidReason, "reason has a `{` without its `}` (or a lone `}`)", reason.span,
        help: "placeholders are `{expression}`; write `{{` and `}}` for literal braces")
      return nil
    }
    var out: [CheckedAST] = []
    var ok = true
    for case .expression(let text) in parts {
      let source = Source(name: files[file].source.name, text: text)
      let (ast, parseDiagnostics) = CELParser.parse(source)
      var problems = parseDiagnostics.filter { $0.severity == .error }
      var checked: CheckedAST?
      if let ast, problems.isEmpty {
        let (c, ds) = Checker(environment: env).check(ast)
        checked = c
        problems += ds.filter { $0.severity == .error }
      }
      guard let checked, problems.isEmpty else {
        for d in problems {
          error(file, d.code, "in reason placeholder `{\(text)}`: \(d.message)", reason.span, help: d.help)
        }
        ok = false
        continue
      }
      out.append(checked)
    }
    return ok ? out : nil
  }

  /// Makes the placeholder roots (after the `ruleCount` rule roots; `counts[i]` of them for rule
  /// `i`) conditional on their rule's condition.
  static func guardPlaceholders(_ ir: IRFunction, ruleCount: Int, counts: [Int]) -> IRFunction {
    var ir = ir
    var k = ruleCount
    for (rule, n) in counts.enumerated() {
      for _ in 0..<n {
        let root = ir.ruleRoots[k]
        let null = ir.constant(.null, span: ir.spans[root])
        ir.ruleRoots[k] = ir.add(
          .conditional(ir.ruleRoots[rule], root, null), type: .dyn, span: ir.spans[root])
        k += 1
      }
    }
    return ir
  }

  /// A rule name used as its reason: braces are literal there.
  static func escapeBraces(_ s: String) -> String {
    // Most names have no brace: Foundation's search costs ~60 ms on 10,000 rules. No character
    // but `{` and `}` themselves is equivalent to them, so without either byte nothing changes.
    guard s.utf8.contains(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") }) else { return s }
    return s.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
  }
}
