// Every rejection rule of REFERENCE_RULES.md ("Events" and "Fine print"): the error names the
// field (dotted for nested ones) and carries the event_id whenever it is a string, even when it
// comes after the bad field; lines that are not JSON objects get errors with neither.

import SentinelModel
import SentinelRuntime
import Testing

/// A reference event with the fields in order; `nil` removes a field, other keys are appended.
func event(_ overrides: [(String, String?)], idLast: Bool = false) -> String {
  var fields: [(String, String?)] = [
    ("event_id", #""e1""#), ("type", #""login""#), ("ts", #""2026-11-25T10:00:00Z""#), ("user_id", #""u1""#),
  ]
  for (k, v) in overrides {
    if let i = fields.firstIndex(where: { $0.0 == k }) { fields[i].1 = v } else { fields.append((k, v)) }
  }
  if idLast, let i = fields.firstIndex(where: { $0.0 == "event_id" }) { fields.append(fields.remove(at: i)) }
  return "{" + fields.compactMap { k, v in v.map { "\"\(k)\":\($0)" } }.joined(separator: ",") + "}"
}

/// Wrong JSON values for each known field of the reference schema (null included: fine print 4).
let wrongValues: [(field: String, value: String)] = [
  ("event_id", "123456"), ("event_id", "true"), ("event_id", "null"), ("event_id", "[]"),
  ("type", "7"), ("type", "null"), ("type", #"["login"]"#), ("ts", "1764064800"), ("ts", "null"),
  ("ts", "{}"), ("user_id", "12345"), ("user_id", "null"), ("ip", "2130706433"), ("ip", "null"),
  ("ip", "false"), ("country_code", "true"), ("country_code", "null"), ("geo", #""51.5,-0.12""#),
  ("geo", "5"), ("geo", "[51.5, 0]"), ("geo", "null"), ("geo", "true"), ("device_id", #"["d-1"]"#),
  ("device_id", "null"), ("device_id", "1"), ("success", #""false""#), ("success", "0"), ("success", "1"),
  ("success", "null"), ("success", #""true""#), ("amount", #""9500""#), ("amount", "true"),
  ("amount", "[100]"), ("amount", "null"), ("amount", "{}"), ("currency", "1"), ("currency", "null"),
  ("card_country", "false"), ("card_country", "null"), ("merchant_category", "6051"),
  ("merchant_category", "null"), ("beneficiary_name", "{}"), ("beneficiary_name", "null"),
]

@Suite("EventDecoder: rejected events")
struct EventDecoderRejectionTests {
  @Test(arguments: wrongValues)
  func wrongTypeNamesTheField(field: String, value: String) throws {
    for idLast in [false, true] {
      let line = event([("type", #""transaction""#), ("amount", "1"), (field, value)], idLast: idLast)
      let err = try #require(rejection(line), "\(line)")
      #expect(err.field == field, "\(line)")
      #expect(err.kind == .wrongType, "\(line)")
      #expect(err.message.contains("'\(field)'"))
      #expect(err.eventID == (field == "event_id" ? nil : "e1"), "\(line)")
    }
  }

  @Test(arguments: ["event_id", "type", "ts", "user_id"])
  func missingRequiredField(field: String) throws {
    for idLast in [false, true] {
      let err = try #require(rejection(event([(field, nil)], idLast: idLast)))
      #expect(err.field == field)
      #expect(err.kind == .missingField)
      #expect(err.message == "missing required field '\(field)'")
      #expect(err.eventID == (field == "event_id" ? nil : "e1"))
    }
  }

  @Test(arguments: ["transaction", "withdrawal"])
  func amountRequiredForTransactionsAndWithdrawals(type: String) throws {
    let err = try #require(rejection(event([("type", "\"\(type)\"")], idLast: true)))
    #expect(err.field == "amount")
    #expect(err.kind == .missingField)
    #expect(err.eventID == "e1")
    #expect(rejection(event([("type", "\"\(type)\""), ("amount", "0")])) == nil)
  }

  @Test(arguments: [#""refund""#, #""Login""#, #""""#, #""login ""#, #""LOGIN""#, #""log\u0069n2""#])
  func typeMustBeOneOfFive(value: String) throws {
    let err = try #require(rejection(event([("type", value)])))
    #expect(err.field == "type")
    #expect(err.kind == .invalidValue)
    #expect(err.eventID == "e1")
    #expect(err.message.contains("'type'"))
  }

  @Test func geoNeedsNumericLatAndLon() throws {
    let cases: [(String, String, EventError.Kind)] = [
      (#"{"lat":51.5}"#, "geo.lon", .missingField), ("{}", "geo.lat", .missingField),
      (#"{"lat":"51.5","lon":0}"#, "geo.lat", .wrongType), (#"{"lat":1,"lon":null}"#, "geo.lon", .wrongType),
      (#"{"lat":1,"lon":[2]}"#, "geo.lon", .wrongType),
      (#"{"lat":1,"lon":2,"lat":3}"#, "geo.lat", .duplicateField),
    ]
    for (geo, field, kind) in cases {
      let err = try #require(rejection(event([("geo", geo)], idLast: true)), "\(geo)")
      #expect(err.field == field, "\(geo)")
      #expect(err.kind == kind, "\(geo)")
      #expect(err.eventID == "e1")
      #expect(err.field?.hasPrefix("geo") == true)  // fine print 7: the error names geo
    }
  }

  @Test(arguments: ["event_id", "type", "ts", "user_id", "success", "geo"])
  func duplicateKnownFieldsAreRejected(field: String) throws {
    let values = [
      "event_id": #""e2""#, "type": #""login""#, "ts": #""2026-11-25T10:00:00Z""#, "user_id": #""u""#,
      "success": "true", "geo": #"{"lat":1,"lon":2}"#,
    ]
    let v = try #require(values[field])
    let line = event([(field, v)]).dropLast() + ",\"\(field)\":\(v)}"
    let err = try #require(rejection(String(line)))
    #expect(err.field == field)
    #expect(err.kind == .duplicateField)
    #expect(err.eventID == (field == "event_id" ? "e2" : "e1"))  // the first event_id
  }

  @Test func eventIDIsFoundAfterTheBadField() throws {
    let line =
      #"{"amount":"x","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u","event_id":"late"}"#
    let err = try #require(rejection(line))
    #expect(err.field == "amount")
    #expect(err.eventID == "late")
    let numeric =
      #"{"amount":"x","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u","event_id":7}"#
    #expect(try #require(rejection(numeric)).eventID == nil)
    let escaped = #"{"user_id":1,"type":"login","ts":"2026-11-25T10:00:00Z","event_id":"a\u002db"}"#
    #expect(try #require(rejection(escaped)).eventID == "a-b")
  }

  @Test(arguments: ["1e400", "-1e400", "1.7976931348623159e308"])
  func nonFiniteNumbersAreOutOfRange(value: String) throws {
    let err = try #require(rejection(event([("type", #""transaction""#), ("amount", value)])))
    #expect(err.field == "amount")
    #expect(err.kind == .invalidValue)
    #expect(err.eventID == "e1")
  }

  @Test(arguments: [
    #"{"event_id": "x-trunc", "type": "login""#, "not json at all", #"{'event_id': 'x-single'}"#,
    #"{"event_id":"x-comma",}"#, #"{"event_id": "x-nan", "type": "transaction", "amount": NaN}"#,
    #"{"event_id":"e","amount":Infinity}"#, #"{"event_id":"e","amount":-Infinity}"#, #"{"x":NaN}"#,
    #"{"event_id":"bad",,}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":-}"#,
    #"{"a":1e}"#, #"{"a":1e+}"#, #"{"a":-01}"#, "{\"a\":\"tab\there\"}", #"{"a":"\x41"}"#, #"{"a":"\u12"}"#,
    #"{"a":"\u12G4"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, #"{"a":"\ud800\u0041"}"#,
    #"{"event_id":"e1"} x"#, "{}{}", "", "   ", #"{"a":"unterminated}"#, "{1:2}", #"{"a" 1}"#, #"{"a":tru}"#,
    #"{"a":nul}"#, #"{"a":True}"#, #"{"a":[1,]}"#, #"{"a":[1 2]}"#, "{", "{\"event_id\":\"e1\"", #"{"a":"\"#,
    #"{"event_id":"e1","amount":"x","#, "\u{FEFF}{}",
  ])
  func invalidJSONHasNoFieldAndNoID(line: String) throws {
    let err = try #require(rejection(line))
    #expect(err.kind == .invalidJSON, "\(line): \(err)")
    #expect(err.field == nil)
    #expect(err.eventID == nil)
    #expect(err.offset != nil)
  }

  @Test(
    arguments: [
      [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],
      [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0x80, 0x22, 0x7D],
      [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D],
      [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE2, 0x82, 0x22, 0x7D],
      [0x7B, 0x22, 0xF5, 0x22, 0x3A, 0x31, 0x7D],
      [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22, 0x7D], [0x7B, 0xC3, 0xA9, 0x7D],
    ] as [[UInt8]])
  func invalidUTF8IsInvalidJSON(bytes: [UInt8]) throws {
    do {
      _ = try referenceDecoder.decode(bytes)
      Issue.record("accepted \(bytes)")
    } catch {
      #expect(error.kind == .invalidJSON)
    }
  }

  @Test(arguments: ["[1,2,3]", #""hello""#, "42", "null", "true", " [] ", "-1.5e3", #"[{"event_id":"e1"}]"#])
  func notAnObject(line: String) throws {
    let err = try #require(rejection(line))
    #expect(err.kind == .notAnObject)
    #expect(err.field == nil && err.eventID == nil)
    #expect(err.message == "event is not a JSON object")
  }

  @Test func depthLimit() throws {
    func nested(_ k: Int) -> String { String(repeating: "[", count: k) + String(repeating: "]", count: k) }
    #expect(rejection(event([("x", nested(EventDecoder.maxDepth - 1))])) == nil)
    let err = try #require(rejection(event([("x", nested(EventDecoder.maxDepth))])))
    #expect(err.kind == .tooDeep)
    let objects = String(repeating: #"{"a":"#, count: 200) + "1" + String(repeating: "}", count: 200)
    #expect(try #require(rejection(event([("x", objects)]))).kind == .tooDeep)
    let unbounded = String(repeating: "[", count: 100_000)
    #expect(try #require(rejection(event([("x", unbounded)]))).kind == .tooDeep)
  }

  @Test func firstFieldErrorWinsAndSyntaxErrorsWinOverFieldErrors() throws {
    let two = event([("user_id", "1"), ("ts", "2")])
    #expect(try #require(rejection(two)).field == "ts")
    let broken = #"{"event_id":"e1","user_id":1,"#
    let err = try #require(rejection(broken))
    #expect(err.kind == .invalidJSON && err.eventID == nil)
  }

  @Test func rejectionClearsTheSlotBuffer() throws {
    var slots = referenceDecoder.makeSlots()
    _ = try referenceDecoder.decode(event([("ip", #""1.2.3.4""#)]), into: &slots)
    #expect(slots.contains { $0 != nil })
    #expect(throws: EventError.self) { try referenceDecoder.decode(event([("ts", "1")]), into: &slots) }
    #expect(slots.allSatisfy { $0 == nil })
  }
}
