// `Decision.jsonLine` writes the line's bytes straight into the string's storage when no id needs
// escaping; it must give exactly the line the appending form (`escapedJSONLine`) gives, for every
// score (both extremes included) and any number of rules, and valid JSON throughout.

import Foundation
import SentinelBytecode
import Testing

@testable import SentinelRuntime

@Suite struct DecisionLineTests {
  static func decision(_ id: String, _ action: DecisionAction, _ score: Int, _ rules: [String]) -> Decision {
    Decision(
      eventID: id, action: action, score: score,
      matched: rules.map { MatchedRule(id: $0, outcome: .score, score: 1, reason: "") }, errors: [])
  }

  @Test(arguments: [Int.min, Int.min + 1, -1_000, -1, 0, 1, 9, 10, 99, 100, 12_345, Int.max - 1, Int.max])
  func bothFormsAgreeOnEveryScore(score: Int) throws {
    for action in DecisionAction.allCases {
      for rules in [[], ["a"], ["credential_stuffing", "password_spray", "z"]] {
        let d = Self.decision("evt_6d06912e13df~12", action, score, rules)
        #expect(d.jsonLine == d.escapedJSONLine)
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
    #expect(plain.jsonLine == plain.escapedJSONLine)
  }
}
