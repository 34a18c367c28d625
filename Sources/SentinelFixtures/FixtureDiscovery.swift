// Fixture folders: a folder holding `events.jsonl` (and `decisions.jsonl`, the expected lines).
// Its rules are the folder's own `rules/` directory, else its `rules.sbc` bundle, else the rules
// given on the command line (`--rules`).

import Foundation

/// One fixture folder.
public struct FixtureFolder: Sendable, Hashable {
  /// The folder, as found (relative paths stay relative).
  public var path: String
  /// The folder's own rules (`rules/` or `rules.sbc`), or nil when it has none.
  public var ownRules: String?

  /// A fixture folder at `path`.
  public init(path: String, ownRules: String? = nil) {
    self.path = path
    self.ownRules = ownRules
  }

  /// `path/events.jsonl`.
  public var eventsPath: String { FixtureDiscovery.join(path, "events.jsonl") }
  /// `path/decisions.jsonl`.
  public var decisionsPath: String { FixtureDiscovery.join(path, "decisions.jsonl") }
}

/// Finds fixture folders.
public enum FixtureDiscovery {
  /// The fixture folders under `paths`, searched recursively, in sorted order without
  /// duplicates. A path may name a folder or its `events.jsonl`. Throws when a path does not
  /// exist or holds no fixture folder.
  public static func find(_ paths: [String]) throws(FixtureError) -> [FixtureFolder] {
    let fm = FileManager.default
    var found: [String] = []
    for p in paths {
      var isDir: ObjCBool = false
      guard fm.fileExists(atPath: p, isDirectory: &isDir) else {
        throw FixtureError(p, "no such file or directory")
      }
      if !isDir.boolValue {
        guard (p as NSString).lastPathComponent == "events.jsonl" else {
          throw FixtureError(p, "not a fixture folder (a folder holding `events.jsonl`)")
        }
        let parent = (p as NSString).deletingLastPathComponent
        found.append(parent.isEmpty ? "." : parent)
        continue
      }
      var here: [String] = []
      if fm.fileExists(atPath: join(p, "events.jsonl")) { here.append(trimmed(p)) }
      if let e = fm.enumerator(atPath: p) {
        for case let rel as String in e where (rel as NSString).lastPathComponent == "events.jsonl" {
          let dir = (rel as NSString).deletingLastPathComponent
          if dir.isEmpty { continue }
          here.append(join(p, dir))
        }
      }
      guard !here.isEmpty else {
        throw FixtureError(p, "no fixture folders (folders holding `events.jsonl`) found")
      }
      found += here.sorted()
    }
    var seen = Set<String>()
    return found.filter { seen.insert($0).inserted }.map {
      FixtureFolder(path: $0, ownRules: ownRules(of: $0))
    }
  }

  /// The folder's own rules: `rules/` when it is a directory, else `rules.sbc`, else nil.
  public static func ownRules(of folder: String) -> String? {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    let dir = join(folder, "rules")
    if fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue { return dir }
    let sbc = join(folder, "rules.sbc")
    if fm.fileExists(atPath: sbc) { return sbc }
    return nil
  }

  /// `a/b`, without doubling a trailing slash.
  static func join(_ a: String, _ b: String) -> String {
    a.hasSuffix("/") ? a + b : a + "/" + b
  }

  static func trimmed(_ p: String) -> String {
    p.count > 1 && p.hasSuffix("/") ? String(p.dropLast()) : p
  }
}
