// `Decision.jsonLine` writes the line's bytes straight into the string's storage when no id needs
// escaping; it must give exactly the line the appending form (`DecisionLine.escaped`) gives, for every
// score (both extremes included) and any number of rules, and valid JSON throughout.

import Foundation
import SentinelBytecode
import SentinelModel
import SentinelState
import Testing

@testable import SentinelRuntime

@Suite struct DecisionLineTests {
  static func decision(_ id: String, _ action: DecisionAction, _ score: Int, _ rules: [String]) -> Decision {
    Decision(
      eventID: id, action: action, score: score,
      matched: rules.map { MatchedRule(id: $0, outcome: .score, score: 1, reason: "") }, errors: [])
  }

  /// The line of `d` built by appending, every string quoted by `JSONWriter.quote`.
  static func escaped(_ d: Decision) -> String {
    DecisionLine.escaped(eventID: d.eventID, action: d.action.rawValue, score: d.score, rules: d.ruleIDs)
  }

  @Test(arguments: [Int.min, Int.min + 1, -1_000, -1, 0, 1, 9, 10, 99, 100, 12_345, Int.max - 1, Int.max])
  func bothFormsAgreeOnEveryScore(score: Int) throws {
    for action in DecisionAction.allCases {
      for rules in [[], ["a"], ["credential_stuffing", "password_spray", "z"]] {
        let d = Self.decision("evt_6d06912e13df~12", action, score, rules)
        #expect(d.jsonLine == Self.escaped(d))
        let object = try JSONSerialization.jsonObject(with: Data(d.jsonLine.utf8)) as? [String: Any]
        #expect(object?["score"] as? Int == score)
        #expect(object?["rules"] as? [String] == rules)
      }
    }
  }

  @Test func idsThatNeedEscapingAreEscaped() {
    let d = Self.decision("a\"b\\c\u{01}é", .block, 100, ["r\"1", "ok"])
    let expected = #"{"event_id":"a\"b\\c\u0001é","action":"block","score":100,"rules":["r\"1","ok"]}"#
    #expect(d.jsonLine == expected)
    let plain = Self.decision("é€😀", .review, -3, Array(repeating: "rule", count: 40))
    #expect(plain.jsonLine == Self.escaped(plain))
  }

  /// `DecisionLine.append` writes the bytes `string` makes (escaped ids included), after what the
  /// buffer held; a record made without its line renders the same line and equals one made with it.
  @Test func appendedBytesAndRenderedRecordsEqualTheString() {
    let cases: [(String, String, Int, [String])] = [
      ("evt_6d06912e13df", "allow", 0, []),
      ("e", "block", Int.min, ["credential_stuffing", "password_spray"]),
      ("a\"b\\c\u{01}é", "review", 80, ["r\"1", "ok"]),
      ("é€😀", "challenge", Int.max, Array(repeating: "rule", count: 40)),
      ("", "allow", -1, [""]),
    ]
    for (id, action, score, rules) in cases {
      let line = DecisionLine.string(eventID: id, action: action, score: score, rules: rules)
      #expect(line == DecisionLine.escaped(eventID: id, action: action, score: score, rules: rules))
      var bytes: [UInt8] = [1, 2, 3]
      DecisionLine.append(eventID: id, action: action, score: score, rules: rules, to: &bytes)
      #expect(bytes == [1, 2, 3] + Array(line.utf8), "\(line)")
      let lazy = DecisionRecord(
        eventID: id, action: action, score: score, rules: rules, eventTime: Timestamp(seconds: 7),
        bundleDigest: "d")
      let eager = DecisionRecord(
        eventID: id, line: line, action: action, score: score, rules: rules, eventTime: Timestamp(seconds: 7),
        bundleDigest: "d")
      #expect(lazy.line == line && lazy == eager)
      var other = eager
      other.line = line + " "
      #expect(other != lazy)
    }
  }

  /// The shared decimal writer (the decision line's score, the consumer's Redis arguments) writes
  /// what `String(n)` does, in `byteCount(n)` bytes, at any offset.
  @Test(arguments: [Int64.min, Int64.min + 1, -1_000, -10, -9, -1, 0, 1, 9, 10, 99, 100, 12_345, Int64.max])
  func decimalTextEqualsStringDescription(_ n: Int64) {
    var bytes = [UInt8](repeating: 0x2E, count: 3 + DecimalText.byteCount(n) + 2)
    let end = bytes.withUnsafeMutableBufferPointer { DecimalText.write(n, into: $0, at: 3) }
    #expect(end == 3 + String(n).utf8.count)
    #expect(String(decoding: bytes[3..<end], as: UTF8.self) == String(n))
    #expect(bytes[..<3].allSatisfy { $0 == 0x2E } && bytes[end...].allSatisfy { $0 == 0x2E })
  }
}
