// `--update`: rewrites a fixture's `decisions.jsonl` with the actual lines (one per output line,
// each ending in a newline), only when they differ from what the file holds.

import Foundation

/// Rewrites expected lines.
public enum FixtureUpdate {
  /// Writes `result.actualLines` to the fixture's `decisions.jsonl` when its content differs.
  /// Returns whether the file was written. Throws when the events could not be replayed (there
  /// is nothing to write) or the file cannot be written.
  public static func write(_ result: FixtureResult) throws(FixtureError) -> Bool {
    let path = result.fixture.decisionsPath
    guard result.replayed else {
      let why = result.problems.first?.description ?? "the events were not replayed"
      throw FixtureError(result.fixture.path, "not updated: \(why)")
    }
    let text = result.actualLines.map { $0 + "\n" }.joined()
    if let old = FileManager.default.contents(atPath: path), String(decoding: old, as: UTF8.self) == text {
      return false
    }
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
      throw FixtureError(path, "cannot write the file")
    }
    return true
  }
}
