// A rule set for replaying: rule sources are compiled once, and the bundle is built from that
// same compilation (encoded, then loaded and verified as a daemon would), so explanations by the
// reference evaluator describe exactly the rules the VM ran. A compiled bundle (`*.sbc`) is
// loaded as is; it has no compilation, so mismatches against it are not explained.

import Foundation
import SentinelCompiler
import SentinelModel
import SentinelRuntime
import SentinelSyntax

/// A loaded rule set: the verified bundle, and the compilation when it came from sources.
public struct FixtureRuleSet: Sendable {
  /// The paths it was loaded from.
  public let paths: [String]
  /// The verified bundle events are decided with.
  public let bundle: LoadedBundle
  /// The compilation (nil for a `.sbc` bundle).
  public let compilation: RuleSetCompilation?
  /// Compiler warnings (rendered).
  public let warnings: [String]
  /// The parsed rule files (empty for a `.sbc` bundle).
  public let files: [RuleFile]

  /// The rule set's structure (for `sentinel diff`): from the sources when there are some,
  /// else from the bundle.
  public var summary: RuleSetSummary {
    if let c = compilation { return .fromSources(files, compilation: c) }
    return .fromBundle(bundle.bundle)
  }

  /// Loads `paths`: one `.sbc` bundle, or rule files and directories (compiled). Throws with
  /// the rendered diagnostics when the rules do not compile.
  public static func load(_ paths: [String]) throws(FixtureError) -> FixtureRuleSet {
    let name = paths.joined(separator: " ")
    if paths.count == 1, paths[0].hasSuffix(".sbc") {
      let bytes = try readBytes(paths[0])
      do {
        return FixtureRuleSet(
          paths: paths, bundle: try BundleLoader().load(bytes), compilation: nil, warnings: [], files: [])
      } catch {
        throw FixtureError(paths[0], error.message)
      }
    }
    let (files, parseDiagnostics) = RuleSources.load(paths)
    var diagnostics = parseDiagnostics
    var result: RuleSetCompilation?
    if !parseDiagnostics.hasErrors {
      let (r, ds) = RuleCompiler.compile(files)
      result = r
      diagnostics += ds
    }
    let errors = diagnostics.filter(\.isError)
    guard let c = result, errors.isEmpty else {
      let shown = errors.map(\.rendered).joined(separator: "\n")
      throw FixtureError(name, "the rules do not compile (\(errors.count) errors)\n\(shown)")
    }
    let bytes: [UInt8]
    do {
      bytes = try c.bundle.encoded(signedWith: nil)
    } catch {
      throw FixtureError(name, "cannot encode the bundle: \(error)")
    }
    do {
      let loaded = try BundleLoader(catalog: c.environment.catalog).load(bytes)
      return FixtureRuleSet(
        paths: paths, bundle: loaded, compilation: c, warnings: diagnostics.map(\.rendered), files: files)
    } catch {
      throw FixtureError(name, "the compiled bundle does not load: \(error.message)")
    }
  }
}

/// Reads a whole file.
func readBytes(_ path: String) throws(FixtureError) -> [UInt8] {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw FixtureError(path, "cannot read the file (missing or unreadable)")
  }
  return [UInt8](data)
}

/// Reads a whole file as UTF-8 text.
func readText(_ path: String) throws(FixtureError) -> String {
  let bytes = try readBytes(path)
  guard let text = String(validating: bytes, as: UTF8.self) else {
    throw FixtureError(path, "not valid UTF-8")
  }
  return text
}
