// The event decoder's fast paths, at their edges: strings scanned eight bytes at a time (a stop
// byte at every position of a word, non-ASCII, invalid UTF-8, lines ending inside a word), keys
// predicted in declaration order (keys out of order, near-misses, escaped spellings, duplicates,
// keys at the end of the line). Each accepted line is compared with `JSONReader`'s reading.

import SentinelModel
import SentinelRuntime
import Testing

/// A full reference event as (key, JSON value) pairs, in declaration order.
let declaredOrderFields: [(String, String)] = [
  ("event_id", #""e1""#), ("type", #""transaction""#), ("ts", #""2026-11-25T10:00:00.5Z""#),
  ("user_id", #""u1""#), ("ip", #""10.0.0.1""#), ("country_code", #""DE""#),
  ("geo", #"{"lat":1.5,"lon":-2.25}"#), ("device_id", #""d1""#), ("success", "false"), ("amount", "12.5"),
  ("currency", #""EUR""#), ("card_country", #""FR""#), ("merchant_category", #""5411""#),
  ("beneficiary_name", #""Ann""#),
]

/// The required fields of a login, in declaration order.
let loginHead = [
  declaredOrderFields[0], ("type", #""login""#), declaredOrderFields[2], declaredOrderFields[3],
]

func eventLine(_ fields: [(String, String)]) -> String {
  "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
}

/// Decodes `line` and expects the same slots as `JSONReader`'s reading.
func expectAsJSONReader(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) {
  var slots = referenceDecoder.makeSlots()
  do {
    _ = try referenceDecoder.decode(line, into: &slots)
    #expect(slots.map(rendered) == expectedSlots(line), "\(line)", sourceLocation: sourceLocation)
  } catch {
    Issue.record("rejected \(line): \(error)", sourceLocation: sourceLocation)
  }
}

/// Decodes `line` and returns the error (nil when accepted).
func decodeError(_ line: String) -> EventError? {
  var slots = referenceDecoder.makeSlots()
  do {
    _ = try referenceDecoder.decode(line, into: &slots)
    return nil
  } catch {
    #expect(slots.allSatisfy { $0 == nil })
    return error
  }
}

@Suite("EventDecoder: fast paths")
struct EventDecoderFastPathTests {
  @Test func stopBytesAtEveryPositionOfAWord() {
    let stops = [#"\""#, #"\\"#, #"\n"#, #"\u00e9"#, "é", "日", "😀", "'", "~", "\u{7F}"]
    for length in 0..<26 {
      for k in 0...length {
        for stop in stops {
          let text = String(repeating: "a", count: k) + stop + String(repeating: "b", count: length - k)
          var fields = declaredOrderFields
          fields[3] = ("user_id", "\"" + text + "\"")
          expectAsJSONReader(eventLine(fields))
          // The same string as the event's last value, so the line ends within a word.
          let login = [declaredOrderFields[0], ("type", #""login""#), declaredOrderFields[2]]
          expectAsJSONReader(eventLine(login + [("user_id", "\"" + text + "\"")]))
        }
      }
    }
  }

  @Test func controlBytesAndInvalidUTF8AtEveryPosition() {
    let prefix = #"{"event_id":"e1","type":"login","ts":"2026-11-25T10:00:00Z","user_id":""#
    for length in 0..<20 {
      for k in 0..<length {
        for bad: UInt8 in [0x00, 0x01, 0x0A, 0x1F] {
          var b = Array(prefix.utf8) + Array(repeating: 0x61, count: length) + Array(#""}"#.utf8)
          b[prefix.utf8.count + k] = bad
          var slots = referenceDecoder.makeSlots()
          do {
            _ = try referenceDecoder.decode(b, into: &slots)
            Issue.record("accepted a control byte at \(k) of \(length)")
          } catch {
            #expect(error.kind == .invalidJSON)
            #expect(error.offset == prefix.utf8.count + k)
            #expect(error.message.hasSuffix("control character in a string"))
          }
        }
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]] {
          var b = Array(prefix.utf8) + Array(repeating: 0x61, count: length) + Array(#""}"#.utf8)
          b.replaceSubrange((prefix.utf8.count + k)..<(prefix.utf8.count + k + 1), with: bad)
          var slots = referenceDecoder.makeSlots()
          do {
            _ = try referenceDecoder.decode(b, into: &slots)
            Issue.record("accepted invalid UTF-8 at \(k) of \(length)")
          } catch {
            #expect(error.kind == .invalidJSON)
            #expect(error.message.hasSuffix("invalid UTF-8 in a string"))
          }
        }
      }
    }
  }

  @Test func unterminatedStringsEndingAnywhereInAWord() {
    let prefix = #"{"event_id":"e1","type":"login","ts":"2026-11-25T10:00:00Z","user_id":""#
    for length in 0..<20 {
      let line = prefix + String(repeating: "x", count: length)
      #expect(decodeError(line)?.message.hasSuffix("unterminated string") == true, "\(line)")
      #expect(decodeError(line + "\\")?.message.hasSuffix("unterminated string") == true, "\(line)")
    }
  }

  @Test func keysInAnyOrder() {
    expectAsJSONReader(eventLine(declaredOrderFields))
    expectAsJSONReader(eventLine(declaredOrderFields.reversed()))
    // Declared order with space around the colons (the predicted key is followed by `":`).
    for spacing in [" :", ": ", "\t:\n", " : "] {
      expectAsJSONReader(
        "{" + declaredOrderFields.map { "\"\($0.0)\"" + spacing + $0.1 }.joined(separator: ",") + "}")
    }
    var rng = DecoderTestRNG(seed: 77)
    for _ in 0..<300 {
      var fields = declaredOrderFields
      fields.shuffle(using: &rng)
      expectAsJSONReader(eventLine(fields))
      // Unknown keys in between, and a field left out.
      fields.insert(("extra", "[1,{\"ts\":2}]"), at: Int(rng.next() % UInt64(fields.count + 1)))
      let dropped = Int(rng.next() % UInt64(fields.count))
      if !["event_id", "type", "ts", "user_id", "amount"].contains(fields[dropped].0) {
        fields.remove(at: dropped)
      }
      expectAsJSONReader(eventLine(fields))
    }
  }

  @Test func nearMissKeysAreNotTheFieldsTheyResemble() {
    for (k, (name, _)) in declaredOrderFields.enumerated() {
      for other in [name + "x", String(name.dropLast()), name.uppercased(), name + " ", "_" + name] {
        var fields = declaredOrderFields
        fields.insert((other, "\"unknown\""), at: k)
        expectAsJSONReader(eventLine(fields))
      }
    }
    // Keys the general path resolves: escaped spellings and non-ASCII.
    var fields = declaredOrderFields
    fields[2] = (#"t\u0073"#, fields[2].1)
    fields[3] = (#"user\u005fid"#, fields[3].1)
    fields.insert(("tś", "1"), at: 2)
    expectAsJSONReader(eventLine(fields))
  }

  @Test func duplicateKeysInDeclarationOrder() {
    var fields = declaredOrderFields
    fields.insert(("ts", #""2026-11-25T10:00:00Z""#), at: 3)
    let error = decodeError(eventLine(fields))
    #expect(error?.kind == .duplicateField)
    #expect(error?.field == "ts")
    fields = declaredOrderFields
    fields.insert((#"\u0074s"#, #""2026-11-25T10:00:00Z""#), at: 3)
    #expect(decodeError(eventLine(fields))?.field == "ts")
  }

  @Test func keysAtTheEndOfTheLine() {
    // A predicted key with fewer than eight bytes after its opening quote: the general path.
    let head = eventLine(loginHead).dropLast()
    for tail in [#","ip":"1"}"#, #","ip"#, #","ip""#, #","ip":"#, #","i"#, #","ip":1}"#] {
      let line = head + tail
      if tail == #","ip":"1"}"# {
        expectAsJSONReader(String(line))
      } else {
        #expect(decodeError(String(line)) != nil, "\(line)")
      }
    }
  }

  @Test func literalsAtTheEndOfTheLine() {
    let head = eventLine(loginHead).dropLast() + #","success":"#
    expectAsJSONReader(String(head) + "true}")
    expectAsJSONReader(String(head) + "false}")
    for bad in ["tru", "fals", "t", "truex}", "trUe}", "falsE}", "fal se}", "nul}", "null}"] {
      let error = decodeError(String(head) + bad)
      #expect(error != nil, "\(bad)")
      if bad != "null}" { #expect(error?.kind == .invalidJSON, "\(bad)") }
    }
  }

  @Test func reusedSlotsHoldOnlyTheCurrentEvent() throws {
    // Slots are not cleared before a decode: absent fields (and the fields of an absent object)
    // must still come out nil, and defaults set, whatever the previous event left there.
    let lines = [
      #"{"id":"a","kind":"phone","count":1,"big":2,"ratio":3.5,"flag":true,"at":"2026-01-02T03:04:05Z","ttl":"2s","tags":["a"],"scores":[1],"limits":{"a":1},"extra":[1],"level":1,"device":{"os":"a","trusted":false,"screen":{"w":1,"h":2},"serial":"s"}}"#,
      #"{"id":"b"}"#,
      #"{"id":"c","device":{"os":"b"}}"#,
      #"{"id":"d","device":{"os":"c","screen":{"w":3,"h":4}},"flag":false}"#,
      #"{"id":"e","kind":"phone","device":{"os":"d"}}"#,  // rejected: serial required for phones
      #"{"id":"f","count":7}"#,
    ]
    let orders = [
      genericSchema.slots.map(\.qualifiedName),
      ["e.device.trusted", "e.count", "e.device.screen.w", "e.flag", "e.nope", "e.device"],
    ]
    for order in orders {
      let decoder = EventDecoder(schema: genericSchema, slotOrder: order, idField: "id", typeField: "kind")
      var reused = decoder.makeSlots()
      for _ in 0..<2 {
        for line in lines {
          var fresh = decoder.makeSlots()
          let a = Result { () throws(EventError) in try decoder.decode(line, into: &reused) }
          let b = Result { () throws(EventError) in try decoder.decode(line, into: &fresh) }
          #expect((try? a.get()) == (try? b.get()), "\(line)")
          #expect(reused.map(rendered) == fresh.map(rendered), "\(line)")
        }
      }
    }
  }

  /// A decoder of one double field `x` and one int field `n`.
  static let numbers = EventDecoder(
    schema: EventSchema(
      variable: "e",
      fields: [
        SchemaField(name: "id", type: .string), SchemaField(name: "x", type: .double, optional: true),
        SchemaField(name: "n", type: .int, optional: true),
      ]),
    slotOrder: ["e.x", "e.n"], idField: "id")

  /// The value `numbers` decodes for `"key":text` into slot `slot`, or the error.
  static func decoded(_ key: String, _ text: String, slot: Int) -> Result<Value, EventError> {
    var slots = numbers.makeSlots()
    do throws(EventError) {
      _ = try numbers.decode(#"{"id":"a",""# + key + #"":"# + text + "}", into: &slots)
      guard let v = slots[slot] else {
        return .failure(EventError(kind: .wrongType, field: nil, message: "?"))
      }
      return .success(v)
    } catch {
      return .failure(error)
    }
  }

  /// The double field decoded from `text`, or the error.
  static func double(_ text: String) -> Result<Double, EventError> {
    decoded("x", text, slot: 0).flatMap {
      guard case .double(let d) = $0 else {
        return .failure(EventError(kind: .wrongType, field: nil, message: "?"))
      }
      return .success(d)
    }
  }

  /// The int field decoded from `text`, or the error.
  static func int(_ text: String) -> Result<Int64, EventError> {
    decoded("n", text, slot: 1).flatMap {
      guard case .int(let v) = $0 else {
        return .failure(EventError(kind: .wrongType, field: nil, message: "?"))
      }
      return .success(v)
    }
  }

  @Test func numbersAreCorrectlyRoundedAndExact() {
    var rng = DecoderTestRNG(seed: 1234)
    func digits(_ count: Int) -> String {
      String((0..<count).map { _ in Character(String(rng.next() % 10)) })
    }
    for round in 0..<40_000 {
      let intDigits = 1 + Int(rng.next() % UInt64(round % 2 == 0 ? 8 : 20))
      var text = (rng.next() % 3 == 0 ? "-" : "") + String(1 + rng.next() % 9) + digits(intDigits - 1)
      if rng.next() % 6 == 0 { text = (text.hasPrefix("-") ? "-" : "") + "0" }
      let fractional = rng.next() % 3 != 0
      if fractional { text += "." + digits(1 + Int(rng.next() % UInt64(round % 2 == 0 ? 8 : 20))) }
      if rng.next() % 8 == 0 { text += (rng.next() % 2 == 0 ? "e" : "E-") + String(rng.next() % 30) }
      // Doubles: bit for bit `Double(String)` (correctly rounded), -0.0 kept, integer -0 is 0.
      if let want = Double(text) {
        switch Self.double(text) {
        case .success(let got):
          let expected = (!fractional && !text.contains("e") && !text.contains("E") && want == 0) ? 0 : want
          #expect(got.bitPattern == expected.bitPattern, "\(text): \(got) != \(expected)")
        case .failure(let error): Issue.record("\(text) rejected: \(error)")
        }
      }
      // Ints: exact within Int64; out of range or not an integer are the errors they were.
      let result = Self.int(text)
      if text.contains(".") || text.contains("e") || text.contains("E") {
        guard case .failure(let error) = result else {
          Issue.record("\(text) accepted as an int")
          continue
        }
        #expect(error.kind == .wrongType && error.message.contains("a number with a fraction or exponent"))
      } else if let want = Int64(text) {
        #expect((try? result.get()) == want, "\(text)")
      } else {
        guard case .failure(let error) = result else {
          Issue.record("\(text) accepted as an int")
          continue
        }
        #expect(error.kind == .invalidValue && error.message.hasSuffix("is out of range"), "\(text)")
      }
    }
  }

  @Test func numberEdges() {
    for (text, want) in [
      ("0", 0.0), ("-0", 0.0), ("0.0", 0.0), ("-0.0", -0.0), ("999999999999999", 999_999_999_999_999),
      ("9999999999999999", 1e16), ("9007199254740993", 9_007_199_254_740_992),
      ("123456789012345.6", 123_456_789_012_345.6), ("0.000000000000001", 1e-15), ("1e5", 1e5),
      ("1E+2", 100), ("1.5e-3", 0.0015), ("0.1", 0.1), ("-12.50", -12.5), ("1e-400", 0),
    ] {
      #expect((try? Self.double(text).get())?.bitPattern == want.bitPattern, "\(text)")
    }
    for text in ["00", "01", "-01", "-", "1.", ".5", "+1", "1.e3", "1e", "--1", "0x1", "1.5.2"] {
      guard case .failure(let error) = Self.double(text) else {
        Issue.record("\(text) accepted")
        continue
      }
      #expect(error.kind == .invalidJSON, "\(text)")
    }
    #expect((try? Self.int("9223372036854775807").get()) == Int64.max)
    #expect((try? Self.int("-9223372036854775808").get()) == Int64.min)
    #expect((try? Self.int("-0").get()) == 0)
    #expect((try? Self.int("999999999999999").get()) == 999_999_999_999_999)
    #expect((try? Self.int("1000000000000000").get()) == 1_000_000_000_000_000)
    for text in ["9223372036854775808", "-9223372036854775809", "1e400", "1.0", "1e2"] {
      #expect((try? Self.int(text).get()) == nil, "\(text)")
    }
    if case .failure(let error) = Self.double("1e400") { #expect(error.kind == .invalidValue) }
  }
}
