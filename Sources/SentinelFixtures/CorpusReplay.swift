// Replaying a corpus the way `sentinel replay` does: lines split at `\n` (a final newline ends
// the last line), every line through one `EventProcessor` with fresh in-memory state, blank lines
// skipped. The processor is handed to the caller after each line, so that it can read
// `lastBindings` while they still describe that line.

import SentinelRuntime
import SentinelState

/// One replayed input line that produced output.
public struct ReplayedLine: Sendable {
  /// The 1-based line number in the events file.
  public var lineNumber: Int
  /// The input line.
  public var event: Substring
  /// What the processor gave.
  public var result: ProcessedLine
  /// The output line.
  public var output: String
}

/// Replays corpora.
public enum CorpusReplay {
  /// The lines of a corpus: split at `\n`, the empty piece after a final newline dropped.
  public static func lines(_ text: String) -> [Substring] {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last?.isEmpty == true { lines.removeLast() }
    return lines
  }

  /// Replays `text` through `bundle` from empty in-memory state, calling `body` after each line
  /// that produced output (while `processor.lastBindings` describes it).
  public static func replay(
    _ text: String, bundle: LoadedBundle,
    _ body: (ReplayedLine, EventProcessor) throws(FixtureError) -> Void
  ) throws(FixtureError) {
    let processor = EventProcessor(bundle: bundle, store: InMemoryStateStore(tenant: "fixture"))
    for (i, line) in lines(text).enumerated() {
      let result: ProcessedLine
      do {
        result = try processor.process(line)
        // Commit now and then: the in-memory store keeps the pending set small.
        if processor.pendingCount >= 1024 { try processor.commit() }
      } catch {
        throw FixtureError("", "state store failed at line \(i + 1): \(error)")
      }
      guard let out = result.line else { continue }
      try body(ReplayedLine(lineNumber: i + 1, event: line, result: result, output: out), processor)
    }
    do { try processor.commit() } catch { throw FixtureError("", "state store failed: \(error)") }
  }

  /// The output lines of `text` replayed through `bundle`.
  public static func outputs(_ text: String, bundle: LoadedBundle) throws(FixtureError) -> [ReplayedLine] {
    var out: [ReplayedLine] = []
    try replay(text, bundle: bundle) { (line, _) throws(FixtureError) in out.append(line) }
    return out
  }
}
