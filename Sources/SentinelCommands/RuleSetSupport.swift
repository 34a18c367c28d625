// Shared by the rule-set commands: compiling paths with diagnostics printed, reading events.

import ArgumentParser
import Foundation
import SentinelCompiler
import SentinelModel
import SentinelRuntime

/// Compiles the rule files under `paths`, printing diagnostics to standard error. Throws
/// `ExitCode(1)` when there are errors (or warnings with `denyWarnings`).
func compileRuleSet(
  _ paths: [String], optimize: Bool = true, denyWarnings: Bool = false, quiet: Bool = false,
  options base: RuleCompileOptions = RuleCompileOptions()
) throws -> RuleSetCompilation {
  var options = base
  options.optimize = optimize
  let (result, diagnostics) = RuleCompiler.compile(paths: paths, options: options)
  if !quiet {
    for d in diagnostics { printError(d.rendered) }
  }
  let errors = diagnostics.filter(\.isError).count
  let warnings = diagnostics.count - errors
  guard let result, errors == 0 else {
    printError("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
    throw ExitCode(1)
  }
  if denyWarnings && warnings > 0 {
    printError("\(warnings) warning\(warnings == 1 ? "" : "s") (denied by --deny-warnings)")
    throw ExitCode(1)
  }
  return result
}

/// The text of `--event`: inline JSON, `@FILE`, or `-` for standard input.
func readArgumentText(_ arg: String) throws -> String {
  if arg == "-" {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    return String(decoding: data, as: UTF8.self)
  }
  if arg.hasPrefix("@") {
    let path = String(arg.dropFirst())
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ValidationError("cannot read `\(path)`")
    }
    return String(decoding: data, as: UTF8.self)
  }
  return arg
}

/// Reads a whole file as bytes.
func readFileBytes(_ path: String) throws -> [UInt8] {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw ValidationError("cannot read `\(path)`")
  }
  return [UInt8](data)
}

/// A verified bundle from `--rules`: a compiled bundle file (`*.sbc`, loaded and verified as a
/// daemon would), or rule files and directories (compiled, encoded, then loaded the same way).
func loadRuleSet(_ paths: [String], optimize: Bool = true, buildIndexes: Bool = true) throws -> LoadedBundle {
  if paths.count == 1, paths[0].hasSuffix(".sbc") {
    do {
      var loader = BundleLoader()
      loader.buildsScreeningIndexes = buildIndexes
      return try loader.load(try readFileBytes(paths[0]))
    } catch let e as BundleLoadError {
      printError("\(paths[0]): \(e.message)")
      throw ExitCode(1)
    }
  }
  let c = try compileRuleSet(paths, optimize: optimize, quiet: false)
  let bytes = try c.bundle.encoded(signedWith: nil)
  var loader = BundleLoader(catalog: c.environment.catalog)
  loader.buildsScreeningIndexes = buildIndexes
  return try loader.load(bytes)
}
