// `sentinel disasm`: print the bytecode of a CEL expression (or, with --ir, its IR).

import ArgumentParser
import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelVerifier

/// Disassembles the program compiled from an expression.
public struct DisasmCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "disasm",
    abstract: "Print the bytecode of a bundle, or of a CEL expression.",
    discussion: """
      Given a bundle file (from `sentinel compile`), loads it exactly as the daemon does —
      digest, signature, verifier — and prints its header, rule table and program. Given a CEL
      expression, compiles it and prints its program. Each instruction line shows the source
      text it came from; the verifier's worst-case cost bound is printed at the end.

      Examples:
        sentinel disasm rules.sbc
        sentinel disasm 'x > 10 && x < 20' --decl x:int
      """)

  @Argument(help: "A bundle file (.sbc) or a CEL expression.")
  var expression: String

  @Option(
    name: .customLong("decl"),
    help: ArgumentHelp("Declare a variable's type: NAME:TYPE.", valueName: "name:type"))
  var declarations: [String] = []

  @Flag(help: "Print the optimized IR instead of the bytecode.")
  var ir = false

  @Flag(help: "Compile without the optimization passes.")
  var noOptimize = false

  @Flag(help: "Print the code the VM runs: the program after load-time fusion (docs/bytecode.md).")
  var fused = false

  public init() {}

  public func run() throws {
    if FileManager.default.fileExists(atPath: expression) {
      try disassembleBundle(expression)
      return
    }
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
      let verified = try Verifier(catalog: env.catalog).verify(c.program)
      if fused {
        print(Disassembler.render(verified.executedProgram), terminator: "")
      } else {
        print(Disassembler.render(c.program, source: c.source), terminator: "")
      }
      print("; verified: cost bound \(verified.costBound)")
    }
  }

  func disassembleBundle(_ path: String) throws {
    let loaded = try BundleLoader().load(try readFileBytes(path))
    let b = loaded.bundle
    print("; bundle \(path): \(loaded.byteCount) bytes, digest \(loaded.digest)")
    print("; compiler \(b.compilerVersion), schema hash \(loaded.schemaHash)")
    print("; signed: \(loaded.signedBy ?? "no")")
    print(
      "; policy: review at score ≥ \(b.policy.reviewThreshold)"
        + (b.policy.blockThreshold.map { ", block at ≥ \($0)" } ?? ""))
    print("; rules")
    for (i, r) in b.rules.enumerated() {
      let file = r.file < b.sourceFiles.count ? b.sourceFiles[r.file].name : "?"
      let reads = i < b.ruleReads.count ? b.ruleReads[i].map { b.aggregates[$0].name } : []
      print(
        ";   #\(i) \(r.id) [\(r.outcome.name) +\(r.score)] \(file)"
          + (reads.isEmpty ? "" : " reads " + reads.joined(separator: ", ")))
    }
    if !b.aggregates.isEmpty {
      print("; aggregates (state program results: key 3i, filter 3i+1, value 3i+2)")
      for (i, a) in b.aggregates.enumerated() {
        let window = a.windowNanos.map { "window \(Double($0) / 1e9) s" } ?? "unbounded"
        let vars = a.variables.map { "\($0.name): \($0.type)" }.joined(separator: ", ")
        let d = i < b.aggregateDemands.count ? b.aggregateDemands[i] : -1
        let demand = d >= 0 ? "; read when `\(b.aggregates[d / 3].name)`'s filter is not false" : ""
        print(
          ";   #\(i) \(a.name) \(a.kind.rawValue), \(window), \(a.includeCurrent ? "includes" : "excludes")"
            + " the current event → \(vars)\(demand)")
      }
    }
    let source =
      b.sourceFiles.count == 1 ? Source(name: b.sourceFiles[0].name, text: b.sourceFiles[0].text) : nil
    if fused {
      print(Disassembler.render(loaded.program.executedProgram), terminator: "")
    } else {
      print(Disassembler.render(b.program, source: source), terminator: "")
    }
    print("; verified: cost bound \(loaded.program.costBound)")
    if let state = b.stateProgram, let verified = loaded.stateProgram {
      print("; state program")
      if fused {
        print(Disassembler.render(verified.executedProgram), terminator: "")
      } else {
        print(Disassembler.render(state, source: source), terminator: "")
      }
      print("; verified: cost bound \(verified.costBound)")
    }
  }
}
