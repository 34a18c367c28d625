// `sentinel fmt PATH…`: rewrite rule files in the canonical layout (or check that they are).

import ArgumentParser
import Foundation
import SentinelCompiler
import SentinelModel
import SentinelSyntax

/// Formats textual rule files.
public struct FmtCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "fmt",
    abstract: "Format `.rules` files in the canonical layout.",
    discussion: """
      Rewrites each `.rules` file in place in the canonical layout (idempotent). With --check,
      writes nothing and exits 1 if any file is not formatted — for CI. YAML files are left as
      they are.

      Examples:
        sentinel fmt rules/
        sentinel fmt --check rules/
      """)

  @Argument(help: "Rule files or directories.")
  var paths: [String]

  @Flag(help: "Report unformatted files and exit 1 instead of rewriting them.")
  var check = false

  public init() {}

  public func run() throws {
    let (files, missing) = RuleSources.expand(paths)
    for m in missing { printError("error: no such file or directory `\(m)`") }
    var unformatted = 0
    var failed = missing.count
    for name in files where name.hasSuffix(".rules") {
      let text = String(decoding: try readFileBytes(name), as: UTF8.self)
      let source = Source(name: name, text: text)
      let (formatted, diagnostics) = RuleFormatter.format(source)
      for d in diagnostics { printError(d.render(in: source)) }
      guard let formatted else {
        failed += 1
        continue
      }
      if formatted == text { continue }
      unformatted += 1
      if check {
        print("not formatted: \(name)")
      } else {
        guard FileManager.default.createFile(atPath: name, contents: Data(formatted.utf8)) else {
          throw ValidationError("cannot write `\(name)`")
        }
        print("formatted \(name)")
      }
    }
    if failed > 0 || (check && unformatted > 0) { throw ExitCode(1) }
  }
}
