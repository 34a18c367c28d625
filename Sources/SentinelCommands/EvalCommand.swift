// `sentinel eval 'EXPR' [--var name=JSON …]`: compile one CEL expression, verify it, run it on
// the VM and print the value (or the error). For trying CEL; `--reference` cross-checks.

import ArgumentParser
import SentinelBuiltins
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelVM
import SentinelVerifier

/// Evaluates a CEL expression.
public struct EvalCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Evaluate a CEL expression and print its value.",
    discussion: """
      The expression goes through the whole pipeline: parse, type-check, compile to bytecode,
      verify, and run on the VM. Variables are given as JSON with --var; their CEL types are
      inferred from the JSON (integers are int, other numbers double, objects maps), or declared
      with --decl NAME:TYPE (TYPE in CEL notation: int, double, string, list(int), map(string, dyn)…).

      Examples:
        sentinel eval '1 + 2 * 3'
        sentinel eval 'x.amount > 1000.0 && x.country in ["KP", "IR"]' --var 'x={"amount": 9500.0, "country": "KP"}'
        sentinel eval '[1, 2, 3].map(n, n * n).filter(n, n > 1)'
        sentinel eval 'timestamp("2026-11-25T10:00:00Z").getHours("Europe/London")'
      """)

  @Argument(help: "The CEL expression.")
  var expression: String

  @Option(name: .customLong("var"), help: ArgumentHelp("Bind a variable: NAME=JSON.", valueName: "name=json"))
  var variables: [String] = []

  @Option(
    name: .customLong("decl"),
    help: ArgumentHelp("Declare a variable's type: NAME:TYPE.", valueName: "name:type"))
  var declarations: [String] = []

  @Flag(help: "Print the deduced type after the value.")
  var type = false

  @Flag(help: "Skip type-checking (names and overloads resolved at run time).")
  var noCheck = false

  @Flag(help: "Also evaluate with the reference evaluator and fail if it disagrees with the VM.")
  var reference = false

  public init() {}

  public func run() throws {
    var bindings: [String: Value] = [:]
    var types: [String: CELType] = [:]
    for v in variables {
      guard let eq = v.firstIndex(of: "=") else {
        throw ValidationError("--var expects NAME=JSON, got `\(v)`")
      }
      let name = String(v[..<eq])
      do {
        let value = try JSONReader.parse(String(v[v.index(after: eq)...]))
        bindings[name] = value
        types[name] = Self.inferType(value)
      } catch {
        throw ValidationError("--var \(name): \(error)")
      }
    }
    for d in declarations {
      guard let colon = d.firstIndex(of: ":"),
        let t = TypeNotation.parse(String(d[d.index(after: colon)...]))
      else { throw ValidationError("--decl expects NAME:TYPE with a CEL type, got `\(d)`") }
      types[String(d[..<colon])] = t
    }
    let env = Environment(variables: types, catalog: Builtins.all)
    var options = CompileOptions()
    options.typeCheck = !noCheck
    let compiled: CompiledExpression
    switch CELCompiler.compile(expression, environment: env, options: options) {
    case .failure(let f):
      printError(f.description)
      throw ExitCode(2)
    case .success(let c): compiled = c
    }
    let verified = try Verifier(catalog: env.catalog).verify(compiled.program)
    let value = VM().run(verified, bindings: bindings)
    if reference {
      let r =
        compiled.checked.map { ReferenceEvaluator(environment: env).evaluate($0, bindings: bindings) }
        ?? ReferenceEvaluator(environment: env).evaluate(compiled.ast, bindings: bindings)
      if r.description != value.description {
        printError("reference evaluator disagrees: VM \(value), reference \(r)")
        throw ExitCode(3)
      }
    }
    print(value)
    if type { print(": \(compiled.resultType)") }
    if value.isError { throw ExitCode(1) }
  }

  /// The CEL type a JSON value suggests: element types are `dyn` unless all agree.
  static func inferType(_ v: Value) -> CELType {
    switch v {
    case .list(let xs):
      let ts = Set(xs.map { inferType($0) })
      return .list(ts.count == 1 ? ts.first ?? .dyn : .dyn)
    case .map(let m):
      let ts = Set(m.entries.map { inferType($0.value) })
      return .map(.string, ts.count == 1 ? ts.first ?? .dyn : .dyn)
    default: return v.celType
    }
  }
}

/// Writes a line to standard error.
func printError(_ s: String) {
  var text = s
  if !text.hasSuffix("\n") { text += "\n" }
  FileStream.standardError.write(text)
}
