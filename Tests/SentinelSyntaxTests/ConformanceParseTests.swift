// Every expression of the CEL conformance suite parses, with the invariants of a good AST, and
// prints back to CEL that parses to the same tree.

import Foundation
import SentinelModel
import SentinelSyntax
import Testing

/// One conformance test's expression.
struct ConformanceExpr: Sendable {
  let id: String
  let expr: String
  let disableMacros: Bool
  let ext: String?
}

/// The conformance expressions, from the project's vendored fixtures.
let conformanceExprs: [ConformanceExpr] = {
  let here = URL(fileURLWithPath: #filePath)
  let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  let candidates = [root.appendingPathComponent("fixtures/cel-conformance")]
  let fm = FileManager.default
  for dir in candidates {
    guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else { continue }
    let files = names.filter { $0.hasSuffix(".json") }.sorted()
    if files.isEmpty { continue }
    var out: [ConformanceExpr] = []
    for name in files {
      guard let data = try? Data(contentsOf: dir.appendingPathComponent(name)),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let sections = object["sections"] as? [[String: Any]]
      else { continue }
      let ext = object["ext"] as? String
      for section in sections {
        for test in section["tests"] as? [[String: Any]] ?? [] {
          guard let expr = test["expr"] as? String else { continue }
          out.append(
            ConformanceExpr(
              id: test["id"] as? String ?? name, expr: expr,
              disableMacros: test["disable_macros"] as? Bool ?? false, ext: ext))
        }
      }
    }
    return out
  }
  return []
}()

func conformanceOptions(_ c: ConformanceExpr, macros: Bool = true) -> ParseOptions {
  ParseOptions(enableMacros: macros && !c.disableMacros, enableBlockExtension: c.ext == "block")
}

@Suite("Conformance expressions")
struct ConformanceParseTests {
  @Test func theSuiteIsThere() {
    #expect(conformanceExprs.count > 1_500)
  }

  @Test func everyExpressionParses() {
    var failures: [String] = []
    for c in conformanceExprs {
      let (ast, diagnostics) = CELParser.parse(Source(text: c.expr), options: conformanceOptions(c))
      if let ast, diagnostics.isEmpty {
        if let problem = checkInvariants(ast) { failures.append("\(c.id): \(problem)") }
      } else {
        failures.append("\(c.id): \(c.expr.debugDescription): \(diagnostics)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(20).joined(separator: "\n"))")
  }

  @Test func everyExpressionPrintsBackToItself() {
    var failures: [String] = []
    for c in conformanceExprs {
      let options = conformanceOptions(c, macros: false)
      guard let ast = CELParser.parse(Source(text: c.expr), options: options).0 else { continue }
      let printed = ast.debugString
      let (again, diagnostics) = CELParser.parse(Source(text: printed), options: options)
      if again?.debugString != printed {
        failures.append("\(c.id): \(printed) → \(again?.debugString ?? diagnostics.description)")
      }
    }
    #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(20).joined(separator: "\n"))")
  }
}
