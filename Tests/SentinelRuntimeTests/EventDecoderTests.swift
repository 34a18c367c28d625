// The event decoder on the reference schema: every field type, defaults, nested objects, unknown
// fields, every rejection rule of REFERENCE_RULES.md's fine print, escapes and timestamps.

import SentinelModel
import SentinelRuntime
import Testing

/// Every slot of the reference schema, in schema order.
let referenceSlotNames = EventSchema.reference.slots.map(\.qualifiedName)
let referenceDecoder = EventDecoder(schema: .reference, slotOrder: referenceSlotNames)

/// A valid login, for building test events.
let baseLogin = #"{"event_id":"e1","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u1""#
/// A valid transaction (amount included).
let baseTransaction =
  #"{"event_id":"e1","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u1","amount":12.5"#

/// The rendering of a slot value for comparisons (`Value` is not `Equatable`).
func rendered(_ v: Value?) -> String { v.map { "\($0.typeName):\($0)" } ?? "absent" }

/// Decodes with the reference decoder; the slot values by qualified name.
func decodeReference(_ line: String) throws(EventError) -> (id: String, slots: [String: String]) {
  let e = try referenceDecoder.decode(line)
  var out: [String: String] = [:]
  for (k, name) in referenceSlotNames.enumerated() { out[name] = rendered(e.slots[k]) }
  return (e.eventID, out)
}

/// The error a line is rejected with (nil when it is accepted).
func rejection(_ line: String, decoder: EventDecoder = referenceDecoder) -> EventError? {
  do {
    _ = try decoder.decode(line)
    return nil
  } catch {
    return error
  }
}

@Suite("EventDecoder: accepted events")
struct EventDecoderAcceptTests {
  @Test func minimalLoginHasDefaultsAndAbsentOptionals() throws {
    let (id, s) = try decodeReference(baseLogin + "}")
    #expect(id == "e1")
    #expect(s["event.event_id"] == #"string:"e1""#)
    #expect(s["event.type"] == #"string:"login""#)
    #expect(s["event.ts"] == #"google.protobuf.Timestamp:timestamp("2026-11-25T10:00:00Z")"#)
    #expect(s["event.user_id"] == #"string:"u1""#)
    #expect(s["event.success"] == "bool:true")  // absent means true
    for name in [
      "event.ip", "event.country_code", "event.geo", "event.geo.lat", "event.geo.lon", "event.device_id",
      "event.amount", "event.currency", "event.card_country", "event.merchant_category",
      "event.beneficiary_name",
    ] {
      #expect(s[name] == "absent", "\(name)")
    }
  }

  @Test func everyReferenceField() throws {
    let line = """
      {"event_id":"t-1","type":"transaction","ts":"2026-11-25T10:00:00.250Z","user_id":"u-9",\
      "ip":"10.0.0.1","country_code":"DE","geo":{"lat":52.52,"lon":13.405},"device_id":"d-1",\
      "success":false,"amount":9500.75,"currency":"EUR","card_country":"FR","merchant_category":"6051",\
      "beneficiary_name":"ACME GmbH"}
      """
    let (id, s) = try decodeReference(line)
    #expect(id == "t-1")
    #expect(s["event.ts"] == #"google.protobuf.Timestamp:timestamp("2026-11-25T10:00:00.250Z")"#)
    #expect(s["event.ip"] == #"string:"10.0.0.1""#)
    #expect(s["event.country_code"] == #"string:"DE""#)
    #expect(s["event.geo"] == #"map:{"lat": 52.52, "lon": 13.405}"#)
    #expect(s["event.geo.lat"] == "double:52.52")
    #expect(s["event.geo.lon"] == "double:13.405")
    #expect(s["event.device_id"] == #"string:"d-1""#)
    #expect(s["event.success"] == "bool:false")
    #expect(s["event.amount"] == "double:9500.75")
    #expect(s["event.currency"] == #"string:"EUR""#)
    #expect(s["event.card_country"] == #"string:"FR""#)
    #expect(s["event.merchant_category"] == #"string:"6051""#)
    #expect(s["event.beneficiary_name"] == #"string:"ACME GmbH""#)
  }

  @Test(arguments: [
    ("9500", "double:9500.0"), ("-0", "double:0.0"), ("-0.0", "double:-0.0"), ("0", "double:0.0"),
    ("1.0001e3", "double:1000.1"),
    ("1E2", "double:100.0"), ("2.5e-3", "double:0.0025"),
    ("12345678901234567890", "double:1.2345678901234567e+19"),
    ("0.1", "double:0.1"), ("123456789012345.678", "double:123456789012345.67"), ("1e-400", "double:0.0"),
  ])
  func integersAndExponentsForDoubles(text: String, expected: String) throws {
    let (_, s) = try decodeReference(baseTransaction.replacingOccurrences12_5(with: text) + "}")
    #expect(s["event.amount"] == expected)
  }

  @Test func integerGeoAndExtraKeysInsideGeo() throws {
    let line = baseLogin + #","geo":{"alt":3,"lat":51,"x":{"y":[1,null]},"lon":-0.12,"lat2":"s"}}"#
    let (_, s) = try decodeReference(line)
    #expect(s["event.geo"] == #"map:{"lat": 51.0, "lon": -0.12}"#)
    #expect(s["event.geo.lat"] == "double:51.0")
    #expect(s["event.geo.lon"] == "double:-0.12")
  }

  @Test(arguments: [
    #""s""#, #""with \" escapes \u00e9 \ud83d\ude00""#, "42", "-1.5e300", "123456789012345678901234567890",
    "true", "false", "null", "{}", "[]", #"{"a":{"b":[1,{"c":null}]},"d":"e"}"#, #"[1,"two",[3],{"four":4}]"#,
    "1e400",
  ])
  func unknownFieldsOfEveryKindAreSkipped(value: String) throws {
    let plain = try decodeReference(baseLogin + "}")
    let before = try decodeReference(#"{"extra":"# + value + "," + baseLogin.dropFirst() + "}")
    let after = try decodeReference(baseLogin + #", "note" : "# + value + " }")
    #expect(before.slots == plain.slots)
    #expect(after.slots == plain.slots)
  }

  @Test func duplicateUnknownKeysAreIgnored() throws {
    let (_, s) = try decodeReference(baseLogin + #","x":1,"x":"two","geo":{"lat":1,"lon":2,"q":1,"q":2}}"#)
    #expect(s["event.geo.lat"] == "double:1.0")
  }

  @Test func successFalseAndExplicitTrue() throws {
    #expect(try decodeReference(baseLogin + #","success":false}"#).slots["event.success"] == "bool:false")
    #expect(try decodeReference(baseLogin + #","success":true}"#).slots["event.success"] == "bool:true")
  }

  @Test func everyAllowedTypeAndAmountRules() throws {
    for type in ["login", "password_reset", "email_change"] {
      let line = #"{"event_id":"e","type":""# + type + #"","ts":"2026-11-25T10:00:00Z","user_id":"u"}"#
      #expect(try decodeReference(line).slots["event.type"] == "string:\"\(type)\"")
    }
    for type in ["transaction", "withdrawal"] {
      let line =
        #"{"event_id":"e","type":""# + type + #"","ts":"2026-11-25T10:00:00Z","user_id":"u","amount":1}"#
      #expect(try decodeReference(line).slots["event.amount"] == "double:1.0")
    }
    // An amount on a login is allowed (optional), not required.
    #expect(try decodeReference(baseLogin + #","amount":3}"#).slots["event.amount"] == "double:3.0")
  }

  @Test func whitespaceAndInputForms() throws {
    let line =
      " \t{ \"event_id\" : \"e1\" ,\n\"type\":\"login\",\"ts\":\"2026-11-25T10:00:00Z\",\"user_id\":\"u1\" }\r\n"
    let a = try referenceDecoder.decode(line)
    let b = try referenceDecoder.decode(Array(line.utf8))
    var slots = referenceDecoder.makeSlots()
    let c = try referenceDecoder.decode(line, into: &slots)
    let text = "[" + line + "]"
    let sub = text.dropFirst().dropLast()
    var slots2: [Value?] = []
    let d = try referenceDecoder.decode(sub, into: &slots2)
    #expect(a.eventID == "e1" && b.eventID == "e1" && c == "e1" && d == "e1")
    #expect(a.slots.map(rendered) == b.slots.map(rendered))
    #expect(slots.map(rendered) == a.slots.map(rendered))
    #expect(slots2.map(rendered) == a.slots.map(rendered))
  }
}

@Suite("EventDecoder: strings and timestamps")
struct EventDecoderStringTests {
  @Test(arguments: [
    (#"t\u002db0"#, "t-b0"), (#"us\u00e9r"#, "usér"), ("usér", "usér"), (#"\ud83d\ude00!"#, "😀!"),
    (#"a\"b\\c\/d"#, "a\"b\\c/d"), (#"\b\f\n\r\t"#, "\u{8}\u{c}\n\r\t"), ("日本語", "日本語"),
    (#"\u65e5\u672C"#, "日本"), ("", ""), (#"\u0000"#, "\u{0}"), ("𝄞", "𝄞"),
  ])
  func escapesAreResolved(json: String, expected: String) throws {
    let line =
      #"{"event_id":""# + json + #"","type":"login","ts":"2026-11-25T10:00:00Z","user_id":""# + json
      + #""}"#
    let e = try referenceDecoder.decode(line)
    #expect(e.eventID == expected)
    #expect(e.slots[3].map(rendered) == rendered(.string(expected)))
  }

  @Test func escapedKeysAndAllowedValuesMatch() throws {
    let line =
      #"{"\u0065vent_id":"e1","typ\u0065":"\u006cogin","ts":"2026-11-25T10:00:00\u005a","user_id":"u1"}"#
    let (id, s) = try decodeReference(line)
    #expect(id == "e1")
    #expect(s["event.type"] == #"string:"login""#)
    #expect(s["event.ts"] == #"google.protobuf.Timestamp:timestamp("2026-11-25T10:00:00Z")"#)
  }

  @Test(arguments: [
    "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.2Z", "2026-11-25T10:00:00.25Z", "2026-11-25T10:00:00.250Z",
    "2026-11-25T10:00:00.2501Z", "2026-11-25T10:00:00.25012Z", "2026-11-25T10:00:00.250123Z",
    "2026-11-25T10:00:00.2501234Z", "2026-11-25T10:00:00.25012345Z", "2026-11-25T10:00:00.250123456Z",
    "2026-11-25T10:00:00.0000000001Z", "2024-02-29T23:59:59.999999999Z", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "2000-02-29T00:00:00Z",
  ])
  func validTimestampsKeepEveryFractionDigit(ts: String) throws {
    let line = #"{"event_id":"e","type":"login","ts":""# + ts + #"","user_id":"u"}"#
    let e = try referenceDecoder.decode(line)
    let expected = try #require(Timestamp.parse(ts, strictUTC: true))
    guard case .timestamp(let got) = e.slots[2] else {
      Issue.record("ts slot is \(rendered(e.slots[2]))")
      return
    }
    #expect(got == expected)
    if ts == "2026-11-25T10:00:00.250123456Z" { #expect(got.nanos == 250_123_456) }
    if ts == "2026-11-25T10:00:00.2501234Z" { #expect(got.nanos == 250_123_400) }
  }

  @Test(arguments: [
    "2026-11-25T10:00:00+00:00", "2026-11-25T10:00:00-05:00", "2026-11-25 10:00:00Z", "2026-11-25t10:00:00Z",
    "2026-11-25T10:00:00z", "2026-11-25T10:00:60Z", "2026-11-25T10:60:00Z", "2026-11-25T24:00:00Z",
    "2026-02-29T12:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-11-31T10:00:00Z",
    "2026-11-00T10:00:00Z", "2026-11-25T10:00:00", "2026-11-25T10:00:00.Z", "2026-11-25T10:00Z", "",
    "not-a-timestamp", "25/11/2026 10:00:00", "0000-01-01T00:00:00Z", "2026-11-25T10:00:00ZZ",
    " 2026-11-25T10:00:00Z", "2026-11-25T10:00:00.25 Z", "2026-1-25T10:00:00Z", "1900-02-29T00:00:00Z",
    "+2026-11-25T10:00:00Z", "2026-11-25T10:00:00.-1Z",
  ])
  func invalidTimestampsAreRejectedNamingTs(ts: String) throws {
    let line = #"{"event_id":"e9","type":"login","ts":""# + ts + #"","user_id":"u"}"#
    let err = try #require(rejection(line))
    #expect(err.field == "ts")
    #expect(err.kind == .invalidValue)
    #expect(err.eventID == "e9")
    #expect(err.message.contains("'ts'"))
  }

  @Test func timestampAgreesWithTimestampParseOnMutations() {
    var rng = DecoderTestRNG(seed: 7)
    let seeds = ["2026-11-25T10:00:00Z", "2024-02-29T23:59:59.123456789Z", "1999-12-31T00:00:00.5Z"]
    let alphabet = Array("0123456789-:.TZtz+ ".utf8)
    for _ in 0..<3000 {
      var b = Array(seeds[Int(rng.next() % 3)].utf8)
      for _ in 0..<Int(1 + rng.next() % 3) {
        let k = Int(rng.next() % UInt64(b.count + 1))
        switch rng.next() % 3 {
        case 0: if k < b.count { b[k] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        case 1: if k < b.count { b.remove(at: k) }
        default: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: k)
        }
      }
      let ts = String(decoding: b, as: UTF8.self)
      let line = #"{"event_id":"e","type":"login","ts":""# + ts + #"","user_id":"u"}"#
      let expected = Timestamp.parse(ts, strictUTC: true)
      do {
        let e = try referenceDecoder.decode(line)
        guard case .timestamp(let got) = e.slots[2] else {
          Issue.record("no timestamp for \(ts)")
          continue
        }
        #expect(got == expected, "\(ts)")
      } catch {
        #expect(expected == nil, "\(ts): \(error)")
      }
    }
  }
}

/// A fixed-seed generator for the decoder tests (SplitMix64).
struct DecoderTestRNG: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension String {
  /// `baseTransaction` with its amount replaced.
  func replacingOccurrences12_5(with text: String) -> String {
    var s = self
    if let r = s.range(of: "12.5") { s.replaceSubrange(r, with: text) }
    return s
  }
}
