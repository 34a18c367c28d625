// Finding and parsing rule files: a path is a file or a directory (searched recursively for
// `*.rules`, `*.yaml`, `*.yml`, in sorted order); `.rules` files go to the DSL parser, YAML
// files to the YAML front end. Both produce the same `RuleFile` AST.

import Foundation
import SentinelModel
import SentinelSyntax
import SentinelYAML

/// Locates and parses rule files.
public enum RuleSources {
  /// File extensions read as rule files.
  public static let extensions: Set<String> = ["rules", "yaml", "yml"]

  /// The rule files named by `paths` (directories expanded, sorted, duplicates removed).
  public static func expand(_ paths: [String]) -> (files: [String], missing: [String]) {
    var out: [String] = []
    var missing: [String] = []
    let fm = FileManager.default
    for p in paths {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
        missing.append(p)
        continue
      }
      if !isDir.boolValue {
        out.append(p)
        continue
      }
      let base = URL(fileURLWithPath: p)
      var found: [String] = []
      if let e = fm.enumerator(at: base, includingPropertiesForKeys: nil) {
        for case let url as URL in e where extensions.contains(url.pathExtension) {
          let rel =
            url.path.hasPrefix(base.path + "/")
            ? String(url.path.dropFirst(base.path.count + 1)) : url.lastPathComponent
          found.append((p.hasSuffix("/") ? p : p + "/") + rel)
        }
      }
      out.append(contentsOf: found.sorted())
    }
    var seen = Set<String>()
    return (out.filter { seen.insert($0).inserted }, missing)
  }

  /// Parses one rule file's text by its extension.
  public static func parse(_ source: Source) -> (RuleFile?, [Diagnostic]) {
    let ext = URL(fileURLWithPath: source.name).pathExtension
    if ext == "yaml" || ext == "yml" { return YAMLRuleParser.parse(source) }
    return RuleParser.parse(source)
  }

  /// Reads and parses every rule file under `paths`.
  public static func load(_ paths: [String]) -> (files: [RuleFile], diagnostics: [SourcedDiagnostic]) {
    let (names, missing) = expand(paths)
    var files: [RuleFile] = []
    var diagnostics: [SourcedDiagnostic] = []
    for m in missing {
      let s = Source(name: m, text: "")
      diagnostics.append(
        SourcedDiagnostic(s, .error(RuleCode.unreadableFile, "no such file or directory `\(m)`", at: .none)))
    }
    for name in names {
      guard let data = FileManager.default.contents(atPath: name) else {
        diagnostics.append(
          SourcedDiagnostic(
            Source(name: name, text: ""), .error(RuleCode.unreadableFile, "cannot read `\(name)`", at: .none))
        )
        continue
      }
      guard let text = String(validating: data, as: UTF8.self) else {
        diagnostics.append(
          SourcedDiagnostic(
            Source(name: name, text: ""),
            .error(RuleCode.unreadableFile, "`\(name)` is not valid UTF-8", at: .none)))
        continue
      }
      let source = Source(name: name, text: text)
      let (file, ds) = parse(source)
      diagnostics += ds.map { SourcedDiagnostic(source, $0) }
      if let file { files.append(file) }
    }
    if names.isEmpty && missing.isEmpty {
      let s = Source(name: paths.joined(separator: " "), text: "")
      diagnostics.append(
        SourcedDiagnostic(s, .error(RuleCode.noRuleFiles, "no rule files (*.rules, *.yaml) found", at: .none))
      )
    }
    return (files, diagnostics)
  }
}

extension RuleCompiler {
  /// Loads, parses and compiles the rule files under `paths`.
  public static func compile(
    paths: [String], options: RuleCompileOptions = RuleCompileOptions()
  ) -> (RuleSetCompilation?, [SourcedDiagnostic]) {
    let (files, parseDiagnostics) = RuleSources.load(paths)
    if parseDiagnostics.hasErrors { return (nil, parseDiagnostics.sortedForDisplay) }
    let (result, ds) = compile(files, options: options)
    return (result, (parseDiagnostics + ds).sortedForDisplay)
  }
}
