// The reference corpus (fixtures/reference-corpus, a copy of the shared one): the decoder accepts
// exactly the lines whose expected decision has no `error`, with the expected event_id, and
// rejects the others with the expected event_id (or none), naming a field consistent with the
// expected error text when that names one.

import Foundation
import SentinelModel
import SentinelRuntime
import Testing

enum ReferenceCorpus {
  static let directory =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("fixtures/reference-corpus")

  /// The lines of a corpus file (without the final newline's empty line).
  static func lines(_ name: String) throws -> [String] {
    let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines
  }
}

@Suite("EventDecoder: reference corpus")
struct EventDecoderCorpusTests {
  @Test func acceptsExactlyTheLinesWithoutErrors() throws {
    let events = try ReferenceCorpus.lines("events.jsonl")
    let decisions = try ReferenceCorpus.lines("decisions.jsonl")
    try #require(events.count == 2975 && decisions.count == events.count)
    var slots = referenceDecoder.makeSlots()
    var accepted = 0
    var rejected = 0
    for (n, (line, decisionLine)) in zip(events, decisions).enumerated() {
      guard case .map(let decision) = try JSONReader.parse(decisionLine) else {
        Issue.record("decision line \(n + 1) is not an object")
        continue
      }
      var expectedID: String?
      if case .string(let s)? = decision[string: "event_id"] { expectedID = s }
      do {
        let id = try referenceDecoder.decode(line, into: &slots)
        accepted += 1
        #expect(decision[string: "error"] == nil, "line \(n + 1) accepted, expected \(decisionLine)")
        #expect(id == expectedID, "line \(n + 1)")
      } catch {
        rejected += 1
        guard case .string(let expectedError)? = decision[string: "error"] else {
          Issue.record("line \(n + 1) rejected (\(error)), expected \(decisionLine)")
          continue
        }
        #expect(error.eventID == expectedID, "line \(n + 1): \(error)")
        let lineLevelText =
          expectedError.hasPrefix("invalid JSON") || expectedError.contains("not a JSON object")
        if !lineLevelText, let field = quotedField(expectedError) {
          let ours = error.field ?? ""
          let consistent = ours == field || ours.hasPrefix(field + ".") || field.hasPrefix(ours + ".")
          #expect(consistent, "line \(n + 1): expected a field like '\(field)', got \(error)")
        } else {
          #expect(error.field == nil, "line \(n + 1): expected a line-level error, got \(error)")
          let lineLevel = [EventError.Kind.invalidJSON, .notAnObject].contains(error.kind)
          #expect(lineLevel, "line \(n + 1): \(error)")
        }
      }
    }
    #expect(accepted == 2925)
    #expect(rejected == 50)
  }

  /// The first 'quoted' name in an error text, if any.
  func quotedField(_ text: String) -> String? {
    let parts = text.split(separator: "'", omittingEmptySubsequences: false)
    return parts.count >= 3 ? String(parts[1]) : nil
  }
}
