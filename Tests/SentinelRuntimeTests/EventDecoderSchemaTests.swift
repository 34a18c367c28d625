// The event decoder on schemas other than the reference one (every CEL type a field can have,
// nested objects with defaults, allowed values of other kinds), and the slot order contract.

import SentinelModel
import SentinelRuntime
import Testing

/// A schema with one field of each supported type.
let genericSchema = EventSchema(
  variable: "e",
  fields: [
    SchemaField(name: "id", type: .string),
    SchemaField(name: "kind", type: .string, optional: true),
    SchemaField(name: "count", type: .int, optional: true),
    SchemaField(name: "big", type: .uint, optional: true),
    SchemaField(name: "ratio", type: .double, optional: true),
    SchemaField(name: "flag", type: .bool, optional: true, defaultValue: .bool(false)),
    SchemaField(name: "at", type: .timestamp, optional: true),
    SchemaField(name: "ttl", type: .duration, optional: true),
    SchemaField(name: "tags", type: .list(.string), optional: true),
    SchemaField(name: "scores", type: .list(.double), optional: true),
    SchemaField(name: "limits", type: .map(.string, .int), optional: true),
    SchemaField(name: "extra", type: .dyn, optional: true),
    SchemaField(name: "level", type: .int, optional: true, allowedValues: [.int(1), .int(2), .int(3)]),
    SchemaField(name: "blob", type: .bytes, optional: true),
    SchemaField(
      name: "device", type: .map(.string, .dyn), optional: true,
      fields: [
        SchemaField(name: "os", type: .string),
        SchemaField(name: "trusted", type: .bool, optional: true, defaultValue: .bool(true)),
        SchemaField(
          name: "screen", type: .map(.string, .int), optional: true,
          fields: [SchemaField(name: "w", type: .int), SchemaField(name: "h", type: .int)]),
        SchemaField(name: "serial", type: .string, optional: true, requiredForTypes: ["phone"]),
      ]),
  ])

let genericDecoder = EventDecoder(
  schema: genericSchema, slotOrder: genericSchema.slots.map(\.qualifiedName), idField: "id", typeField: "kind"
)

func genericSlots(_ line: String) throws(EventError) -> [String: String] {
  let e = try genericDecoder.decode(line)
  var out: [String: String] = [:]
  for (k, name) in genericDecoder.slotOrder.enumerated() { out[name] = rendered(e.slots[k]) }
  return out
}

@Suite("EventDecoder: generic schemas and slot order")
struct EventDecoderSchemaTests {
  @Test func everyFieldType() throws {
    let line = """
      {"id":"x","kind":"phone","count":-42,"big":18446744073709551615,"ratio":3,"flag":true,\
      "at":"2026-01-02T03:04:05.000000006Z","ttl":"-1.5s","tags":["a","\\u0062"],"scores":[1,2.5,-3e2],\
      "limits":{"a":1,"b":-2},"extra":{"k":[1,18446744073709551615,1.5,"s",null,true]},"level":2,\
      "device":{"os":"ios","screen":{"w":1170,"h":2532,"d":3},"serial":"S1","x":0}}
      """
    let s = try genericSlots(line)
    #expect(s["e.count"] == "int:-42")
    #expect(s["e.big"] == "uint:18446744073709551615u")
    #expect(s["e.ratio"] == "double:3.0")
    #expect(s["e.flag"] == "bool:true")
    #expect(s["e.at"] == #"google.protobuf.Timestamp:timestamp("2026-01-02T03:04:05.000000006Z")"#)
    #expect(s["e.ttl"] == #"google.protobuf.Duration:duration("-1.500s")"#)
    #expect(s["e.tags"] == #"list:["a", "b"]"#)
    #expect(s["e.scores"] == "list:[1.0, 2.5, -300.0]")
    #expect(s["e.limits"] == #"map:{"a": 1, "b": -2}"#)
    #expect(s["e.extra"] == #"map:{"k": [1, 18446744073709551615u, 1.5, "s", null, true]}"#)
    #expect(s["e.level"] == "int:2")
    #expect(
      s["e.device"]
        == #"map:{"os": "ios", "screen": {"w": 1170, "h": 2532}, "serial": "S1", "trusted": true}"#)
    #expect(s["e.device.trusted"] == "bool:true")  // nested default
    #expect(s["e.device.screen"] == #"map:{"w": 1170, "h": 2532}"#)
    #expect(s["e.device.screen.h"] == "int:2532")
    #expect(s["e.blob"] == "absent")
  }

  @Test func defaultsOnlyInsidePresentObjects() throws {
    let s = try genericSlots(#"{"id":"x"}"#)
    #expect(s["e.flag"] == "bool:false")
    #expect(s["e.device"] == "absent")
    #expect(s["e.device.trusted"] == "absent")
    #expect(s["e.device.os"] == "absent")
  }

  @Test(arguments: [
    (#""count":1.5"#, "count", EventError.Kind.wrongType), (#""count":1e2"#, "count", .wrongType),
    (#""count":9223372036854775808"#, "count", .invalidValue), (#""big":-1"#, "big", .invalidValue),
    (#""big":18446744073709551616"#, "big", .invalidValue), (#""ttl":"1.5""#, "ttl", .invalidValue),
    (#""ttl":"1.0000000001s""#, "ttl", .invalidValue), (#""tags":["a",1]"#, "tags", .wrongType),
    (#""tags":"a""#, "tags", .wrongType), (#""scores":[true]"#, "scores", .wrongType),
    (#""limits":{"a":"1"}"#, "limits", .wrongType), (#""limits":[1]"#, "limits", .wrongType),
    (#""extra":null"#, "extra", .wrongType), (#""extra":[1e999]"#, "extra", .invalidValue),
    (#""level":4"#, "level", .invalidValue), (#""blob":"AAAA""#, "blob", .wrongType),
    (#""device":{"os":"a","screen":{"w":1}}"#, "device.screen.h", .missingField),
    (#""device":{"os":"a","trusted":"yes"}"#, "device.trusted", .wrongType),
    (#""device":{"trusted":true}"#, "device.os", .missingField),
    (#""kind":"phone","device":{"os":"a"}"#, "device.serial", .missingField),
  ])
  func genericRejections(fragment: String, field: String, kind: EventError.Kind) throws {
    let line = #"{"id":"x","# + fragment + "}"
    let err = try #require(rejection(line, decoder: genericDecoder), "\(line)")
    #expect(err.field == field, "\(line): \(err)")
    #expect(err.kind == kind, "\(line): \(err)")
    #expect(err.eventID == "x")
  }

  @Test func requiredForTypesOnlyAppliesToThatType() throws {
    #expect(rejection(#"{"id":"x","kind":"tablet","device":{"os":"a"}}"#, decoder: genericDecoder) == nil)
    #expect(rejection(#"{"id":"x","kind":"phone"}"#, decoder: genericDecoder) == nil)  // no device at all
  }

  @Test func slotOrderSubsetAndUnknownNames() throws {
    let order = ["event.amount", "now", "event.geo.lat", "event.event_id", "event.type"]
    let d = EventDecoder(schema: .reference, slotOrder: order)
    #expect(d.unmappedSlots == [1])
    var slots: [Value?] = [nil, .int(99), nil, nil, nil]
    let id = try d.decode(
      event([("type", #""withdrawal""#), ("amount", "5"), ("geo", #"{"lat":1,"lon":2}"#)]), into: &slots)
    #expect(id == "e1")
    #expect(
      slots.map(rendered) == ["double:5.0", "int:99", "double:1.0", #"string:"e1""#, #"string:"withdrawal""#])
    // The next event lacks amount and geo: their slots are cleared; the unmapped one is kept.
    _ = try d.decode(event([]), into: &slots)
    #expect(slots.map(rendered) == ["absent", "int:99", "absent", #"string:"e1""#, #"string:"login""#])
    // A buffer of the wrong size is replaced.
    var short: [Value?] = []
    _ = try d.decode(event([]), into: &short)
    #expect(short.count == order.count)
  }

  @Test func validationDoesNotDependOnSlotOrder() throws {
    let none = EventDecoder(schema: .reference, slotOrder: [])
    let geoOnly = EventDecoder(schema: .reference, slotOrder: ["event.geo"])
    let lines = [
      event([]), event([("type", #""refund""#)]), event([("geo", #"{"lat":"1","lon":2}"#)]),
      event([("type", #""transaction""#)]), event([("amount", "1e400")]), event([("user_id", #""\ud800""#)]),
      event([("geo", #"{"lat":1,"lon":2,"lon":3}"#)]),
    ]
    for line in lines {
      let a = rejection(line)
      let b = rejection(line, decoder: none)
      let c = rejection(line, decoder: geoOnly)
      #expect(a == b && b == c, "\(line)")
    }
    let e = try geoOnly.decode(event([("geo", #"{"lon":2,"lat":1}"#)]))
    #expect(e.slots.map(rendered) == [#"map:{"lon": 2.0, "lat": 1.0}"#])
    #expect(try none.decode(event([])).eventID == "e1")
  }

  @Test func schemaWithoutIDField() throws {
    let schema = EventSchema(fields: [SchemaField(name: "n", type: .int)])
    let d = EventDecoder(schema: schema, slotOrder: ["event.n"])
    let e = try d.decode(#"{"n":3,"event_id":"ignored"}"#)
    #expect(e.eventID == "")
    #expect(e.slots.map(rendered) == ["int:3"])
  }

  @Test func manyFields() throws {
    let fields = (0..<150).map { SchemaField(name: "f\($0)", type: .int, optional: $0 % 2 == 0) }
    let schema = EventSchema(fields: fields)
    let d = EventDecoder(schema: schema, slotOrder: schema.slots.map(\.qualifiedName).reversed())
    let body = (0..<150).filter { $0 % 2 == 1 }.map { "\"f\($0)\":\($0)" }.joined(separator: ",")
    let e = try d.decode("{" + body + "}")
    #expect(rendered(e.slots[0]) == "int:149")
    #expect(rendered(e.slots[1]) == "absent")
    let without101 = (0..<150).filter { $0 % 2 == 1 && $0 != 101 }.map { "\"f\($0)\":\($0)" }
    let missing = try #require(rejection("{" + without101.joined(separator: ",") + "}", decoder: d))
    #expect(missing.field == "f101")
    let dup = try #require(rejection("{" + body + ",\"f120\":1,\"f120\":2}", decoder: d))
    #expect(dup.field == "f120" && dup.kind == .duplicateField)
  }
}
