// The event decoder's flat path (strings, short numbers, booleans and timestamps stored straight
// into their slots, short ASCII strings built from their bytes) against its general path: the
// same fields decoded once at the top level (the flat path) and once inside a nested object whose
// map is built (the general `field` path), on many generated values, valid and invalid; and the
// flat path against `JSONReader`'s reading with a reused slot buffer.

import SentinelModel
import Testing

@testable import SentinelRuntime

/// Flat fields of every kind the flat path takes, and one it leaves to the general path (`u`).
let flatPathFields = [
  SchemaField(name: "s", type: .string),
  SchemaField(name: "k", type: .string, allowedValues: [.string("web"), .string("mobile")]),
  SchemaField(name: "i", type: .int),
  SchemaField(name: "d", type: .double),
  SchemaField(name: "b", type: .bool),
  SchemaField(name: "t", type: .timestamp),
  SchemaField(name: "u", type: .uint),
  SchemaField(name: "o", type: .string, optional: true),
]
/// The fields at the top level: decoded by the flat path.
let flatSchema = EventSchema(fields: flatPathFields)
/// The same fields inside `n`, whose map is built (the program reads `event.n`): the general path.
let nestedSchema = EventSchema(fields: [
  SchemaField(name: "n", type: .map(.string, .dyn), fields: flatPathFields)
])
let flatDecoder = EventDecoder(schema: flatSchema, slotOrder: flatSchema.slots.map(\.qualifiedName))
let nestedDecoder = EventDecoder(schema: nestedSchema, slotOrder: nestedSchema.slots.map(\.qualifiedName))

/// JSON values of every kind, many at the edges of the flat path (string lengths around 8 and
/// 15 bytes, escapes, non-ASCII, 15/16-digit numbers, exponents, `-0`, timestamps valid and not).
let flatPathValues: [String] = [
  #""""#, #""a""#, #""abcdefg""#, #""abcdefgh""#, #""abcdefghi""#, #""abcdefghijklmno""#,
  #""abcdefghijklmnop""#, #""user8.a29@gmx.de""#, #""web""#, #""mobile""#, #""Web""#, #""we\u0062""#,
  #""caf\u00e9""#, #""café""#, #""日本""#, #""a\"b""#, #""a\\b""#, #""\/""#,
  #""~!#$%&'()*+,-./:;<=>?@[]^_`{|}""#,
  #""2026-11-25T10:00:00Z""#, #""2024-02-29T23:59:59.123456789Z""#, #""2023-02-29T00:00:00Z""#,
  #""2026-11-25T24:00:00Z""#, #""2026-11-25T10:00:00""#, #""2026-11-25T10:00:00.Z""#,
  #""2026-11-25t10:00:00Z""#, #""2026-11-25T10:00:00.1234567891Z""#, #""2026-11-25T10:00:00\u005a""#,
  "0", "-0", "-0.0", "0.0", "12", "-12", "1.5", "-1.25", "123456789012345", "1234567890123456",
  "12345678901234.5", "1234567890123.45678", "1e3", "2.5E-3", "1.0e+2", "9223372036854775807",
  "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
  "18446744073709551616", "1e400", "0.1", "4.35", "1.7976931348623157e308",
  "true", "false", "null", "[]", "{}", #"[1,"a"]"#, #"{"a":1}"#,
]

@Suite("EventDecoder: flat path")
struct EventDecoderFlatPathTests {
  @Test func smallASCIIStringsAreBuiltAsStringDecodingBuildsThem() {
    // On this platform the representation check passes, so the decoder does build them.
    #expect(SmallASCII.available)
    var slots = flatDecoder.makeSlots()
    var seen: Set<String> = []
    var byKey: [String: Int] = [:]
    var realCount: [String: Int] = [:]
    for length in 0...20 {
      for first: UInt8 in 0x20..<0x7F where first != 0x22 && first != 0x5C {
        var bytes: [UInt8] = []
        for k in 0..<length {
          let letter = 0x41 + (k * 7 + Int(first)) % 26
          bytes.append(k == 0 ? first : UInt8(letter))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let line =
          #"{"s":""# + text + #"","k":"web","i":1,"d":1.5,"b":true,"t":"2026-11-25T10:00:00Z","u":1}"#
        do {
          _ = try flatDecoder.decode(line, into: &slots)
          guard case .string(let got)? = slots[0] else {
            Issue.record("no string for \(text)")
            continue
          }
          #expect(got == text)
          #expect(got.utf8.count == length)
          #expect(Array(got.utf8) == bytes)
          #expect(got.hashValue == text.hashValue)
          #expect(got.unicodeScalars.count == length)
          #expect(got + "!" == text + "!")
          seen.insert(got)
          // Keyed by the decoded strings, found by the real ones (and counted alike).
          byKey[got, default: 0] += 1
          realCount[text, default: 0] += 1
          #expect(seen.contains(text))
          #expect(byKey[text] == realCount[text])
        } catch {
          Issue.record("rejected \(line): \(error)")
        }
      }
    }
  }

  @Test func flatPathAgreesWithTheGeneralPath() {
    var rng = DecoderTestRNG(seed: 1111)
    var flatSlots = flatDecoder.makeSlots()
    var nestedSlots = nestedDecoder.makeSlots()
    var accepted = 0
    var rejected = 0
    for round in 0..<6000 {
      // Mostly valid values of each field's kind (so that later fields are reached without an
      // earlier error), else any value.
      let valid = [
        [#""u1""#, #""user8.a29@gmx.de""#, #""a\"b""#, #""日本""#, #""""#],
        [#""web""#, #""mobile""#],
        ["0", "-0", "17", "-123456789012345"],
        ["0.0", "-0.0", "95.69", "-1", "1e3", "12345678901234.5"],
        ["true", "false"],
        [#""2026-11-25T10:00:00Z""#, #""2024-02-29T23:59:59.5Z""#],
        ["0", "18446744073709551615"],
        [#""x""#],
      ]
      var fields: [(String, String)] = []
      for (k, field) in flatPathFields.enumerated() {
        if field.optional && rng.next() % 2 == 0 { continue }
        if rng.next() % 40 == 0 && round % 3 == 0 { continue }  // a required field left out
        let pick =
          rng.next() % 4 == 0
          ? flatPathValues[Int(rng.next() % UInt64(flatPathValues.count))]
          : valid[k][Int(rng.next() % UInt64(valid[k].count))]
        fields.append((field.name, pick))
      }
      if rng.next() % 3 == 0 { fields.shuffle(using: &rng) }
      if rng.next() % 50 == 0, let dup = fields.randomElement(using: &rng) { fields.append(dup) }
      let body = fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
      let flatLine = "{" + body + "}"
      let nestedLine = #"{"n":{"# + body + "}}"
      var flatError: EventError?
      var nestedError: EventError?
      do { _ = try flatDecoder.decode(flatLine, into: &flatSlots) } catch { flatError = error }
      do { _ = try nestedDecoder.decode(nestedLine, into: &nestedSlots) } catch { nestedError = error }
      guard let flatError else {
        accepted += 1
        #expect(nestedError == nil, "\(flatLine): \(nestedError?.message ?? "")")
        #expect(flatSlots.map(rendered) == Array(nestedSlots.dropFirst().map(rendered)), "\(flatLine)")
        // A fresh slot buffer decodes the same (the reused one held the previous event's values).
        #expect((try? flatDecoder.decode(flatLine))?.slots.map(rendered) == flatSlots.map(rendered))
        continue
      }
      rejected += 1
      guard let nestedError else {
        Issue.record("\(flatLine): only the flat path rejects it: \(flatError.message)")
        continue
      }
      #expect(flatError.kind == nestedError.kind, "\(flatLine)")
      #expect(flatError.field.map { "n." + $0 } == nestedError.field, "\(flatLine)")
      #expect(flatError.message == nestedError.message.replacing("'n.", with: "'"), "\(flatLine)")
      #expect(flatSlots.allSatisfy { $0 == nil })
    }
    #expect(accepted > 1000)
    #expect(rejected > 1000)
  }

  /// The flat path stores an int, double or bool over its slot's old value without releasing it
  /// when that value is a scalar (`EventScanner.put`); any other old value must be released.
  /// Each slot here starts holding a list whose buffer only the test and the slot share: after
  /// the decode the slot holds the scalar, and the test's list is uniquely referenced again (a
  /// write into it copies nothing). A store that skipped the release would leave the buffer
  /// shared (the write would copy it).
  @Test func flatScalarsReleaseTheValueTheirSlotHeld() throws {
    let line = #"{"s":"x","k":"web","i":-12,"d":1.5,"b":true,"t":"2026-11-25T10:00:00Z","u":5}"#
    let expected = ["i": "int:-12", "d": "double:1.5", "b": "bool:true"]
    for (field, value) in expected.sorted(by: { $0.key < $1.key }) {
      let slot = try #require(flatDecoder.slotOrder.firstIndex(of: "event.\(field)"))
      for old: Value? in [nil, .int(7), .bool(false), .double(2), .string("a string longer than 15 bytes")] {
        var slots = flatDecoder.makeSlots()
        slots[slot] = old
        _ = try flatDecoder.decode(line, into: &slots)
        #expect(rendered(slots[slot]) == value, "\(field) over \(rendered(old))")
      }
      var held: [Value] = [.int(1), .int(2)]
      let before = held.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
      var slots = flatDecoder.makeSlots()
      slots[slot] = .list(held)
      _ = try flatDecoder.decode(line, into: &slots)
      #expect(rendered(slots[slot]) == value, "\(field) over a list")
      held[0] = .int(3)
      let after = held.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
      #expect(before == after, "\(field): the list the slot held was not released")
    }
  }
}
