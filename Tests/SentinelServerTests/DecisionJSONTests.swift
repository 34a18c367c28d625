// The decision body is rendered as bytes into the response buffer, with each rule's reasons
// entry quoted once per bundle: it must be the body the string renderer built before, byte for
// byte (escapes, unknown rules, duplicates, non-ASCII ids).

import SentinelModel
import Testing

@testable import SentinelServer

@Suite struct DecisionJSONTests {
  /// The body as the string renderer built it before the byte renderer.
  static func stringBody(
    _ json: DecisionJSON, line: String, eventID: String, rules: [String], duplicate: Bool, micros: Int
  ) -> String {
    var out = String(line.dropLast())
    out += ",\"reasons\":["
    out += rules.map {
      "{\"rule\":\(JSONWriter.quote($0)),\"reason\":\(JSONWriter.quote(json.reasons[$0] ?? ""))}"
    }
    .joined(separator: ",")
    out += "],\"bundle_digest\":\(JSONWriter.quote(json.bundleDigest))"
    out += ",\"decision_id\":\(JSONWriter.quote(DecisionJSON.decisionID(eventID: eventID, line: line)))"
    out += ",\"evaluation_us\":\(micros)"
    if duplicate { out += ",\"duplicate\":true" }
    out += "}"
    return out
  }

  @Test func theByteRendererGivesTheStringRenderersBody() {
    let json = DecisionJSON(
      bundleDigest: "sha256:0123abc",
      reasons: ["a": "plain", "b\"q": "quote \" and \\ and \n new line", "ü": "ünïcode ✓", "empty": ""])
    let cases: [(String, String, [String])] = [
      ("e-1", #"{"event_id":"e-1","action":"allow","score":0,"rules":[]}"#, []),
      ("e\"2", #"{"event_id":"e\"2","action":"review","score":5,"rules":["a","b\"q"]}"#, ["a", "b\"q"]),
      (
        "é-3", #"{"event_id":"é-3","action":"block","score":90,"rules":["ü","unknown","empty"]}"#,
        ["ü", "unknown", "empty"]
      ),
      (
        String(repeating: "x", count: 300), #"{"event_id":"long","action":"allow","score":0,"rules":["a"]}"#,
        ["a"]
      ),
    ]
    for (id, line, rules) in cases {
      for duplicate in [false, true] {
        for micros in [0, 7, 123_456_789] {
          let bytes = json.decisionBody(
            line: line, eventID: id, rules: rules, duplicate: duplicate, micros: micros)
          let want = Self.stringBody(
            json, line: line, eventID: id, rules: rules, duplicate: duplicate, micros: micros)
          #expect(String(decoding: bytes.readableBytesView, as: UTF8.self) == want)
          if case .map(let m)? = try? JSONReader.parse(
            String(decoding: bytes.readableBytesView, as: UTF8.self))
          {
            #expect(m[string: "decision_id"]?.description.contains("dec_") == true)
          } else {
            Issue.record("not a JSON object: \(String(decoding: bytes.readableBytesView, as: UTF8.self))")
          }
        }
      }
    }
  }
}
