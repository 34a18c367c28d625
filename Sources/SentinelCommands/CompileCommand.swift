// `sentinel compile PATH… -o rules.sbc`: compile a rule set into a bundle.

import ArgumentParser
import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelCompiler
import SentinelCrypto
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
      """)

  @Argument(help: "Rule files or directories.")
  var paths: [String]

  @Option(name: .shortAndLong, help: "Where to write the bundle.")
  var output: String?

  @Option(help: ArgumentHelp("Sign with this Ed25519 private key (PEM).", valueName: "key"))
  var sign: String?

  @Option(help: ArgumentHelp("Print a stage instead of writing: ir or bytecode.", valueName: "stage"))
  var dump: String?

  @Flag(help: "Print, per optimization pass, the IR nodes and instructions before and after it.")
  var stats = false

  @Flag(help: "Skip the optimization passes.")
  var noOptimize = false

  public init() {}

  public func run() throws {
    let c = try compileRuleSet(paths, optimize: !noOptimize)
    if stats { try printStats() }
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

  /// Per pass: reachable IR nodes (distinct subexpressions of all rules, after hash-consing)
  /// and the rule program's instructions, before and after.
  func printStats() throws {
    let plain = try compileRuleSet(paths, optimize: false, quiet: true)
    let catalog = plain.environment.catalog
    let types = plain.environment.variables
    func instructions(_ ir: IRFunction) -> String {
      (try? Codegen(catalog: catalog, variableTypes: types).emit(ir)).map { "\($0.code.count)" } ?? "-"
    }
    var ir = plain.ir
    print("pass                 IR nodes before → after   instructions before → after")
    for pass in Passes.pipeline {
      let next = pass.run(ir, catalog)
      let name = pass.name.padding(toLength: 20, withPad: " ", startingAt: 0)
      print(
        "\(name) \(ir.reachableCount) → \(next.reachableCount)".padding(
          toLength: 46, withPad: " ", startingAt: 0)
          + "\(instructions(ir)) → \(instructions(next))")
      ir = next
    }
    print("rules: \(plain.rules.count), aggregates: \(plain.aggregates.count)")
  }
}
