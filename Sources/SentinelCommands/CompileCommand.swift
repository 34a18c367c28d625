// `sentinel compile PATH… -o rules.sbc`: compile a rule set into a bundle.

import ArgumentParser
import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelCrypto
import SentinelFixtures
import SentinelRuntime

/// Compiles rule files into a signed or unsigned bundle.
public struct CompileCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "compile",
    abstract: "Compile rule files into one verified bundle (.sbc).",
    discussion: """
      The rule set is checked, lowered into one IR for all rules, optimized, compiled to
      bytecode and written as a bundle: the program, the rule table, the decision policy, the
      event schema, the sources, the compiler version and a SHA-256 digest. With --sign KEY the
      bundle also carries an Ed25519 signature (make a key pair with `sentinel keygen`). The
      written bundle is loaded back and verified before the command succeeds.

      Examples:
        sentinel compile rules/ -o rules.sbc
        sentinel compile rules/ -o rules.sbc --sign keys/release.key
        sentinel compile rules/ --dump ir
        sentinel compile rules/ --stats -o rules.sbc
        sentinel compile rules/ --dump-ir lowered        (or a pass name, or final)
        sentinel compile rules/ -O0 -o plain.sbc          (no optimization: the ablation)
        sentinel compile rules/ --disable-pass type-dispatch -o rules.sbc
        sentinel compile rules/ --profile events.jsonl -o rules.sbc

      The passes, in order: \(Passes.names.joined(separator: ", ")) (docs/optimizer.md).
      """)

  @Argument(help: "Rule files or directories.")
  var paths: [String]

  @Option(name: .shortAndLong, help: "Where to write the bundle.")
  var output: String?

  @Option(help: ArgumentHelp("Sign with this Ed25519 private key (PEM).", valueName: "key"))
  var sign: String?

  @Option(help: ArgumentHelp("Print a stage instead of writing: ir or bytecode.", valueName: "stage"))
  var dump: String?

  @Option(
    name: .customLong("dump-ir"),
    help: ArgumentHelp(
      "Print the rule program's IR after a pass instead of writing: `lowered` (before any), a pass name, or `final`.",
      valueName: "pass"))
  var dumpIR: String?

  @Flag(help: "Print, per optimization pass, IR nodes, conditions and instructions before and after it.")
  var stats = false

  @Flag(
    name: [.customLong("no-optimize"), .customLong("no-opt"), .customLong("O0", withSingleDash: true)],
    help: "Skip the optimization passes.")
  var noOptimize = false

  @Option(
    name: .customLong("disable-pass"),
    help: ArgumentHelp(
      "Skip one pass (repeatable): \(Passes.names.joined(separator: ", ")).", valueName: "name"))
  var disabledPasses: [String] = []

  @Option(
    help: ArgumentHelp(
      "Order && / || operands by selectivities measured on these events (JSON lines).", valueName: "events"))
  var profile: String?

  public init() {}

  public func run() throws {
    for name in disabledPasses where !Passes.names.contains(name) {
      throw ValidationError(
        "--disable-pass: no pass `\(name)`; passes: \(Passes.names.joined(separator: ", "))")
    }
    var options = RuleCompileOptions()
    options.disabledPasses = Set(disabledPasses)
    if let profile {
      let plain = try compileRuleSet(paths, optimize: false, quiet: true)
      let text = String(decoding: try readFileBytes(profile), as: UTF8.self)
      options.profile = try SelectivityProfiler.profile(plain, events: CorpusReplay.lines(text))
    }
    let c = try compileRuleSet(paths, optimize: !noOptimize, options: options)
    if stats { printStats(c, options: options) }
    if let dumpIR {
      var ir = c.loweredIR
      let passes = options.passes.filter { !options.disabledPasses.contains($0.name) }
      if dumpIR == "final" {
        ir = c.ir
      } else if dumpIR != "lowered" {
        guard let last = passes.firstIndex(where: { $0.name == dumpIR }) else {
          throw ValidationError(
            "--dump-ir takes `lowered`, `final` or a pass that runs: \(passes.map(\.name).joined(separator: ", "))"
          )
        }
        ir = Passes.run(ir, passes: Array(passes[...last]), context: c.passContext)
      }
      print(ir.dump(catalog: c.environment.catalog), terminator: "")
      return
    }
    switch dump {
    case "ir"?:
      print(c.ir.dump(catalog: c.environment.catalog), terminator: "")
      return
    case "bytecode"?:
      print(Disassembler.render(c.bundle.program), terminator: "")
      return
    case let other?:
      throw ValidationError("--dump takes `ir` or `bytecode`, not `\(other)`")
    case nil: break
    }
    guard let output else { throw ValidationError("give an output file with -o FILE (or --dump STAGE)") }
    var key: Ed25519PrivateKey?
    if let sign {
      let text = String(decoding: try readFileBytes(sign), as: UTF8.self)
      key = try Ed25519PrivateKey(pemRepresentation: text)
    }
    let bytes = try c.bundle.encoded(signedWith: key)
    // Load it back exactly as a daemon would: digest, signature, verifier.
    let trusted = key.map { [$0.publicKey] } ?? []
    let loaded = try BundleLoader(catalog: c.environment.catalog, trustedKeys: trusted).load(bytes)
    guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
      throw ValidationError("cannot write `\(output)`")
    }
    print(
      "wrote \(output): \(c.rules.count) rules, \(bytes.count) bytes, digest \(loaded.digest)"
        + (loaded.signedBy.map { ", signed by \($0)" } ?? ""))
  }

  /// Per pass of the rule pipeline, in order (each on the previous one's output): reachable IR
  /// nodes (distinct subexpressions, after hash-consing), conditions the program computes (each
  /// test as often as the code evaluates it; a shared one once) and the rule program's
  /// instructions, before and after. Disabled passes are listed as such.
  func printStats(_ c: RuleSetCompilation, options: RuleCompileOptions) {
    let catalog = c.environment.catalog
    let types = c.environment.variables
    func instructions(_ ir: IRFunction) -> String {
      (try? Codegen(catalog: catalog, variableTypes: types).emit(ir)).map { "\($0.code.count)" } ?? "-"
    }
    func column(_ s: String, _ n: Int) -> String { s.padding(toLength: n, withPad: " ", startingAt: 0) }
    var ir = c.loweredIR
    print(
      column("pass", 24) + column("IR nodes", 18) + column("conditions", 18) + "instructions (before → after)"
    )
    let first = (ir.reachableCount, ir.conditionCount(catalog: catalog), instructions(ir))
    for pass in options.passes {
      guard !noOptimize, !options.disabledPasses.contains(pass.name) else {
        print(column(pass.name, 24) + "(disabled)")
        continue
      }
      let next = pass.run(ir, c.passContext)
      print(
        column(pass.name, 24)
          + column("\(ir.reachableCount) → \(next.reachableCount)", 18)
          + column("\(ir.conditionCount(catalog: catalog)) → \(next.conditionCount(catalog: catalog))", 18)
          + "\(instructions(ir)) → \(instructions(next))")
      ir = next
    }
    print(
      column("total", 24) + column("\(first.0) → \(ir.reachableCount)", 18)
        + column("\(first.1) → \(ir.conditionCount(catalog: catalog))", 18)
        + "\(first.2) → \(instructions(ir))")
    print("rules: \(c.rules.count), aggregates: \(c.aggregates.count)")
  }
}
