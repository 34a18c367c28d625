// The same rule set written in the DSL and in YAML (or in seed conditions and in CEL) gives the
// same rule-set AST and compiles to the same program.

import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelSyntax
import SentinelYAML
import Testing

@Suite struct YAMLEquivalenceTests {
  func parseFixture(_ name: String) throws -> RuleFile {
    let source = try yamlFixture(name)
    let (file, diagnostics) =
      name.hasSuffix(".rules") ? RuleParser.parse(source) : YAMLRuleParser.parse(source)
    #expect(!diagnostics.hasErrors, "\(name): \(diagnostics.map { $0.render(in: source) }.joined())")
    return try #require(file)
  }

  /// What a compiled rule set decides with, without positions and file names.
  func compiledForm(_ file: RuleFile) throws -> String {
    let (compilation, diagnostics) = RuleCompiler.compile([file])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.rendered).joined())")
    let c = try #require(compilation)
    let p = c.bundle.program
    var out = "registers \(p.registerCount) rules \(p.ruleCount)\n"
    out +=
      "constants \(p.constants.map(\.description))\nvariables \(p.variables.map { "\($0.name): \($0.type)" })\n"
    out += "builtins \(p.builtins)\nfunctions \(p.functions.map(\.name))\n"
    for ins in p.code { out += "\(ins.opcode) \(ins.a) \(ins.b) \(ins)\n" }
    for r in c.bundle.rules {
      out += "rule \(r.id) name=\(r.name) category=\(r.category) tags=\(r.tags) outcome=\(r.outcome) "
      out += "score=\(r.score) reason=\(r.reason)\n"
    }
    out += "policy \(c.bundle.policy)\n" + c.bundle.schema.canonicalText
    return out
  }

  @Test func dslAndYAMLGiveTheSameAST() throws {
    let dsl = try parseFixture("equivalence.rules")
    let yaml = try parseFixture("equivalence.yaml")
    #expect(normalizedDump(yaml) == normalizedDump(dsl))
  }

  // NOTE: the fixtures declare aggregates (no rule reads them yet). Until the compiler compiles
  // aggregates it leaves them out of the program, so for them this test compares nothing and
  // `dslAndYAMLGiveTheSameAST` (the RuleFileDump of both) is what holds the two front ends
  // together; once it compiles them, it compares their compiled form too.
  @Test func dslAndYAMLCompileToTheSameProgram() throws {
    let dsl = try compiledForm(try parseFixture("equivalence.rules"))
    let yaml = try compiledForm(try parseFixture("equivalence.yaml"))
    #expect(yaml == dsl)
  }

  @Test func seedConditionsAndCELCompileToTheSameProgram() throws {
    let seed = try parseFixture("reference_subset.yaml")
    let cel = try parseFixture("reference_subset_cel.yaml")
    #expect(normalizedDump(seed) == normalizedDump(cel))
    #expect(try compiledForm(seed) == compiledForm(cel))
  }

  @Test func seedExampleCompiles() throws {
    let file = try parseFixture("seed.yaml")
    let (compilation, diagnostics) = RuleCompiler.compile([file])
    #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.rendered).joined())")
    let rule = try #require(compilation?.bundle.rules.first)
    #expect(rule.id == "sanctioned_region")
    #expect(rule.category == "hard")
    #expect(rule.outcome == .block)
  }

  @Test func checkerDiagnosticsPointIntoTheYAMLFile() throws {
    let yaml = """
      rules:
        - id: r
          conditions:
            merchant_category: {in: [6051, 4829]}
          action: block
      """
    let parsed = parseYAML(yaml)
    let when = try #require(parsed.rule("r")?.when)
    let environment = Environment(variables: EventSchema.reference.variableTypes)
    let (_, diagnostics) = Checker(environment: environment).check(when.ast)
    let error = try #require(diagnostics.first { $0.severity == .error })
    // A string field tested against ints: the checker's error is about YAML text of the condition.
    let text = parsed.text(error.span)
    #expect(!text.isEmpty && yaml.contains(text), "\(error.render(in: parsed.source))")
    #expect(
      error.render(in: when.ast.source).hasPrefix("rules.yaml:4:"), "\(error.render(in: parsed.source))")
  }
}
