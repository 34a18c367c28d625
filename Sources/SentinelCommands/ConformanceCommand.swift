// `sentinel conformance PATH...`: runs the CEL conformance tests (fixtures/cel-conformance) through
// the engine from `makeDefaultEngine()` and prints a table by file, ending in
// `N passed, N failed, N skipped`. Exits 1 when any test failed, 2 when the files cannot be loaded.

import ArgumentParser
import Foundation
import SentinelConformance

/// Runs the CEL conformance suite.
public struct ConformanceCommand: ParsableCommand {
  /// The command's name and help.
  public static let configuration = CommandConfiguration(
    commandName: "conformance",
    abstract: "Run the CEL conformance tests and report pass/fail/skip by file.",
    discussion: """
      Each PATH is a conformance JSON file or a directory of them (its *.json test files, sorted). \
      Tests that need protobuf, tests of extension libraries the engine lacks, and tests with \
      values the harness cannot represent are skipped. Exits with status 1 when any test failed.
      """
  )

  /// Conformance files or directories.
  @Argument(help: ArgumentHelp("Conformance JSON files or directories of them.", valueName: "PATH"))
  public var paths: [String] = ["fixtures/cel-conformance"]

  /// List every failure (id, expression, expected vs actual) and the skip reasons.
  @Flag(name: .long, help: "List each failure with its id, expression, expected and actual values.")
  public var verbose = false

  /// Print the report as JSON instead of the table.
  @Flag(name: .long, help: "Print the report as JSON instead of a table.")
  public var json = false

  /// Run only tests whose id contains this substring.
  @Option(
    name: .long, help: ArgumentHelp("Run only tests whose id contains SUBSTRING.", valueName: "SUBSTRING"))
  public var filter: String?

  /// Creates the command (ArgumentParser fills in the properties).
  public init() {}

  /// Loads the files, runs them and prints the report.
  public func run() throws {
    let files: [ConformanceFile]
    do {
      files = try loadConformanceFiles(paths: paths)
    } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    }
    let report = ConformanceRunner(engine: makeDefaultEngine(), filter: filter).run(files)
    if json {
      print(try report.renderJSON())
    } else {
      print(report.renderText(verbose: verbose), terminator: "")
    }
    if report.all.failed > 0 { throw ExitCode(1) }
  }
}
