// Differential and fuzz tests of the event decoder against `JSONReader` (the general JSON reader
// of SentinelModel): random valid events decode to the same value in every slot; random bytes
// and mutations of valid events never trap, and acceptance agrees with JSONReader's grammar.
// Fixed seeds, bounded counts.

import SentinelModel
import SentinelRuntime
import Testing

/// The slot values an event should decode to, computed from `JSONReader`'s parse of the line.
func expectedSlots(_ line: String, schema: EventSchema = .reference) -> [String]? {
  guard case .map(let root)? = try? JSONReader.parse(line) else { return nil }
  func convert(_ v: Value, _ f: SchemaField) -> Value {
    if f.isObject, case .map(let m) = v {
      var out = MapValue()
      for (k, x) in m.entries {
        if case .string(let name) = k, let sub = f.fields.first(where: { $0.name == name }) {
          out.insert(k, convert(x, sub))
        }
      }
      for sub in f.fields where out[string: sub.name] == nil {
        if let d = sub.defaultValue { out.insert(.string(sub.name), d) }
      }
      return .map(out)
    }
    switch (f.type, v) {
    case (.double, .int(let i)): return .double(Double(i))
    case (.double, .uint(let u)): return .double(Double(u))
    case (.timestamp, .string(let s)):
      return Timestamp.parse(s, strictUTC: true).map(Value.timestamp) ?? .null
    default: return v
    }
  }
  return schema.slots.map { slot in
    var current: MapValue? = root
    var value: Value?
    for (k, name) in slot.path.enumerated() {
      guard let m = current else { return "absent" }
      value = m[string: name]
      if value == nil {
        // The parent object is present here: an absent last field takes its default.
        if k == slot.path.count - 1, let d = slot.field.defaultValue { return rendered(d) }
        return "absent"
      }
      if case .map(let next)? = value { current = next } else { current = nil }
    }
    return value.map { rendered(convert($0, slot.field)) } ?? "absent"
  }
}

/// Random valid reference events as JSON text, with escapes, number forms, unknown fields of
/// every kind, shuffled keys and random whitespace.
struct EventGenerator {
  var rng: DecoderTestRNG

  mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
  mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
  mutating func space() -> String { ["", "", "", " ", "\t", "\n ", "\r\n"][int(7)] }

  mutating func string() -> String {
    let pieces = [
      "a", "Z", "0", "-", "_", " ", "é", "日", "😀", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\t"#, #"\u00e9"#,
      #"\u65E5"#, #"\ud83d\ude00"#, #"\u0041"#, #"\b"#, "'",
    ]
    return "\"" + (0..<int(12)).map { _ in pieces[int(pieces.count)] }.joined() + "\""
  }

  mutating func number() -> String {
    let sign = chance(30) ? "-" : ""
    switch int(5) {
    case 0: return sign + "0"
    case 1: return sign + String(1 + int(99_999))
    case 2: return sign + String(int(100_000)) + "." + String(int(1000))
    case 3:
      return sign + String(1 + int(9)) + "." + String(int(100)) + "e" + (chance(50) ? "-" : "+")
        + String(int(300))
    default: return sign + String(rng.next() >> UInt64(int(60)))
    }
  }

  mutating func timestamp() -> String {
    let y = 1970 + int(130)
    let m = 1 + int(12)
    let d = 1 + int(Int(CivilDate.daysIn(year: Int64(y), month: Int64(m))))
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var s = "\(y)-\(two(m))-\(two(d))T\(two(int(24))):\(two(int(60))):\(two(int(60)))"
    if chance(60) { s += "." + (0..<1 + int(9)).map { _ in String(int(10)) }.joined() }
    return "\"" + s + "Z\""
  }

  mutating func anyJSON(_ depth: Int) -> String {
    switch depth > 3 ? int(4) : int(7) {
    case 0: return string()
    case 1: return number()
    case 2: return ["true", "false", "null"][int(3)]
    case 3: return "1e400"
    case 4: return "[" + (0..<int(4)).map { _ in space() + anyJSON(depth + 1) }.joined(separator: ",") + "]"
    default:
      return "{"
        + (0..<int(4)).map { _ in string() + ":" + space() + anyJSON(depth + 1) }.joined(separator: ",") + "}"
    }
  }

  mutating func event() -> String {
    let types = ["login", "transaction", "withdrawal", "password_reset", "email_change"]
    let type = types[int(types.count)]
    var fields: [(String, String)] = [
      ("event_id", string()), ("type", "\"" + type + "\""), ("ts", timestamp()), ("user_id", string()),
    ]
    for name in [
      "ip", "country_code", "device_id", "currency", "card_country", "merchant_category", "beneficiary_name",
    ]
    where chance(40) {
      fields.append((name, string()))
    }
    if chance(40) { fields.append(("success", chance(50) ? "true" : "false")) }
    if type == "transaction" || type == "withdrawal" || chance(20) { fields.append(("amount", number())) }
    if chance(40) {
      var geo = [("lat", number()), ("lon", number())]
      if chance(30) { geo.append(("alt", anyJSON(2))) }
      geo.shuffle(using: &rng)
      fields.append(
        ("geo", "{" + geo.map { "\"\($0.0)\"" + space() + ":" + space() + $0.1 }.joined(separator: ",") + "}")
      )
    }
    for k in 0..<int(4) { fields.append(("x\(k)_" + String(int(1000)), anyJSON(1))) }
    fields.shuffle(using: &rng)
    return space() + "{"
      + fields.map { space() + "\"\($0.0)\"" + space() + ":" + space() + $0.1 + space() }
      .joined(separator: ",") + "}" + space()
  }
}

@Suite("EventDecoder: differential and fuzz")
struct EventDecoderFuzzTests {
  @Test func randomValidEventsMatchJSONReader() throws {
    var gen = EventGenerator(rng: DecoderTestRNG(seed: 2026))
    var slots = referenceDecoder.makeSlots()
    for _ in 0..<3000 {
      let line = gen.event()
      let expected = try #require(expectedSlots(line), "JSONReader rejects \(line)")
      do {
        _ = try referenceDecoder.decode(line, into: &slots)
        #expect(slots.map(rendered) == expected, "\(line)")
      } catch {
        Issue.record("rejected \(line): \(error)")
      }
    }
  }

  @Test func randomBytesAndMutationsNeverTrapAndAgreeWithJSONReader() throws {
    var rng = DecoderTestRNG(seed: 11)
    var gen = EventGenerator(rng: DecoderTestRNG(seed: 12))
    var seeds = (0..<200).map { _ in Array(gen.event().utf8) }
    if let corpus = try? ReferenceCorpus.lines("events.jsonl") {
      seeds += corpus.prefix(400).map { Array($0.utf8) }
    }
    let alphabet =
      Array(#"{}[]":,\ -.0123456789eEtrufalsn"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xA9, 0xED, 0xFF]
    var slots = referenceDecoder.makeSlots()
    var accepted = 0
    for round in 0..<12_000 {
      var b: [UInt8]
      if round % 6 == 0 {
        b = (0..<Int(rng.next() % 64)).map { _ in
          rng.next() % 2 == 0
            ? alphabet[Int(rng.next() % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: rng.next())
        }
      } else {
        b = seeds[Int(rng.next() % UInt64(seeds.count))]
        for _ in 0..<Int(1 + rng.next() % 4) {
          let k = Int(rng.next() % UInt64(b.count + 1))
          switch rng.next() % 5 {
          case 0: if k < b.count { b[k] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
          case 1: if k < b.count { b.remove(at: k) }
          case 2: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: k)
          case 3: b = Array(b.prefix(k))
          default:
            let other = seeds[Int(rng.next() % UInt64(seeds.count))]
            let j = Int(rng.next() % UInt64(other.count + 1))
            b = Array(b.prefix(k)) + Array(other.suffix(from: j))
          }
        }
      }
      let validUTF8 = String(validating: b, as: UTF8.self) != nil
      let text = String(decoding: b, as: UTF8.self)
      let reader = try? JSONReader.parse(text)
      do {
        _ = try referenceDecoder.decode(b, into: &slots)
        accepted += 1
        #expect(validUTF8)
        #expect(slots.map(rendered) == expectedSlots(text), "\(text)")
      } catch {
        if reader == nil && validUTF8 {
          #expect(error.kind == .invalidJSON || error.kind == .tooDeep, "\(text): \(error)")
        }
        if error.kind == .invalidJSON && validUTF8 { #expect(reader == nil, "\(text): \(error)") }
        if error.kind == .notAnObject {
          if case .map? = reader { Issue.record("object reported as not an object: \(text)") }
        }
        #expect(slots.allSatisfy { $0 == nil })
      }
    }
    #expect(accepted > 100)  // the mutations keep some events valid
  }

  @Test func genericSchemaFuzzNeverTraps() {
    var rng = DecoderTestRNG(seed: 5)
    var gen = EventGenerator(rng: DecoderTestRNG(seed: 6))
    let line = Array(
      #"{"id":"x","kind":"phone","count":1,"big":2,"ratio":3.5,"flag":true,"at":"2026-01-02T03:04:05Z","ttl":"2s","tags":["a"],"scores":[1],"limits":{"a":1},"extra":[{"q":null}],"level":1,"device":{"os":"a","screen":{"w":1,"h":2},"serial":"s"}}"#
        .utf8)
    var slots = genericDecoder.makeSlots()
    for _ in 0..<4000 {
      var b = line
      for _ in 0..<Int(1 + rng.next() % 3) {
        let k = Int(rng.next() % UInt64(b.count))
        let snippet = Array(gen.anyJSON(2).utf8)
        switch rng.next() % 3 {
        case 0: b[k] = snippet.first ?? 0x20
        case 1: b.insert(contentsOf: snippet, at: k)
        default: b.remove(at: k)
        }
      }
      do {
        _ = try genericDecoder.decode(b, into: &slots)
        #expect(String(validating: b, as: UTF8.self) != nil)
      } catch {
        #expect(slots.allSatisfy { $0 == nil })
      }
    }
  }
}
