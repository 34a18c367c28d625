// `sentinel disasm`: print the bytecode of a CEL expression (or, with --ir, its IR).

import ArgumentParser
import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelVerifier

/// Disassembles the program compiled from an expression.
public struct DisasmCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "disasm",
    abstract: "Compile a CEL expression and print its bytecode.",
    discussion: """
      Prints the constant pool, the variable and builtin tables, and one line per instruction
      with the source text each came from. The program is verified first; the verifier's cost
      bound is printed at the end.

      Example:
        sentinel disasm 'x > 10 && x < 20' --decl x:int
      """)

  @Argument(help: "The CEL expression.")
  var expression: String

  @Option(
    name: .customLong("decl"),
    help: ArgumentHelp("Declare a variable's type: NAME:TYPE.", valueName: "name:type"))
  var declarations: [String] = []

  @Flag(help: "Print the optimized IR instead of the bytecode.")
  var ir = false

  @Flag(help: "Compile without the optimization passes.")
  var noOptimize = false

  public init() {}

  public func run() throws {
    var types: [String: CELType] = [:]
    for d in declarations {
      guard let colon = d.firstIndex(of: ":"), let t = TypeNotation.parse(String(d[d.index(after: colon)...]))
      else {
        throw ValidationError("--decl expects NAME:TYPE with a CEL type, got `\(d)`")
      }
      types[String(d[..<colon])] = t
    }
    let env = Environment(variables: types, catalog: Builtins.all)
    var options = CompileOptions()
    options.optimize = !noOptimize
    switch CELCompiler.compile(expression, environment: env, options: options) {
    case .failure(let f):
      printError(f.description)
      throw ExitCode(2)
    case .success(let c):
      if ir {
        print(c.ir.dump(catalog: env.catalog), terminator: "")
        return
      }
      print(Disassembler.render(c.program, source: c.source), terminator: "")
      let verified = try Verifier(catalog: env.catalog).verify(c.program)
      print("; verified: cost bound \(verified.costBound)")
    }
  }
}
