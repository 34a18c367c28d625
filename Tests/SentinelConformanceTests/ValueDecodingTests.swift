// VALUE and TYPE decoding: every VALUE form of the schema, malformed trees, and the TYPE tree forms.

import Foundation
import SentinelConformance
import SentinelModel
import Testing

private func decode(_ text: String) throws -> Value? {
  try ConformanceValueDecoding.value(fromJSON: text).supported
}

private func decodeType(_ text: String) throws -> CELType? {
  try ConformanceValueDecoding.type(fromJSON: text).supported
}

private func matches(_ text: String, _ expected: Value) throws -> Bool {
  guard let v = try decode(text) else { return false }
  return ConformanceMatching.valuesMatch(expected: expected, actual: v)
}

@Test func decodesScalars() throws {
  #expect(try matches(#"{"null": true}"#, .null))
  #expect(try matches(#"{"bool": true}"#, .bool(true)))
  #expect(try matches(#"{"bool": false}"#, .bool(false)))
  #expect(try matches(#"{"int": "-5"}"#, .int(-5)))
  #expect(try matches(#"{"int": "-9223372036854775808"}"#, .int(.min)))
  #expect(try matches(#"{"uint": "18446744073709551615"}"#, .uint(.max)))
  #expect(try matches(#"{"string": "héllo\n"}"#, .string("héllo\n")))
  #expect(try matches(#"{"bytes_b64": "AAEC/w=="}"#, .bytes([0, 1, 2, 255])))
  #expect(try matches(#"{"bytes_b64": ""}"#, .bytes([])))
}

@Test func decodesDoubles() throws {
  #expect(try matches(#"{"double": 1.5}"#, .double(1.5)))
  #expect(try matches(#"{"double": 3}"#, .double(3)))
  #expect(try matches(#"{"double": 1e300}"#, .double(1e300)))
  guard case .double(let negZero)? = try decode(#"{"double": -0.0}"#) else {
    Issue.record("-0.0 did not decode to a double")
    return
  }
  #expect(negZero == 0 && negZero.sign == .minus)
  guard case .double(let nan)? = try decode(#"{"double": "NaN"}"#) else {
    Issue.record("NaN did not decode to a double")
    return
  }
  #expect(nan.isNaN)
  #expect(try matches(#"{"double": "Infinity"}"#, .double(.infinity)))
  #expect(try matches(#"{"double": "-Infinity"}"#, .double(-.infinity)))
  #expect(try !matches(#"{"double": "Infinity"}"#, .double(-.infinity)))
}

@Test func decodesListsAndMaps() throws {
  #expect(try matches(#"{"list": []}"#, .list([])))
  #expect(
    try matches(
      #"{"list": [{"int": "1"}, {"uint": "2"}, {"list": [{"null": true}]}]}"#,
      .list([.int(1), .uint(2), .list([.null])])))
  let v = try decode(
    #"{"map": [{"key": {"string": "b"}, "value": {"int": "2"}}, {"key": {"int": "1"}, "value": {"bool": true}}]}"#
  )
  guard case .map(let m)? = v else {
    Issue.record("map did not decode")
    return
  }
  #expect(m.count == 2)
  #expect(m.entries.map(\.key.typeName) == ["string", "int"])  // source order kept
  #expect(m[string: "b"].map { ConformanceMatching.valuesMatch(expected: .int(2), actual: $0) } == true)
  #expect(try matches(#"{"map": []}"#, .map(MapValue())))
}

@Test func mapKeysThatCollideOrCannotBeKeysAreUnsupported() throws {
  let colliding =
    #"{"map": [{"key": {"int": "1"}, "value": {"null": true}}, {"key": {"uint": "1"}, "value": {"null": true}}]}"#
  #expect(
    try ConformanceValueDecoding.value(fromJSON: colliding).unsupportedReason?.contains("collides") == true)
  let doubleKey = #"{"map": [{"key": {"double": 1.5}, "value": {"null": true}}]}"#
  #expect(try ConformanceValueDecoding.value(fromJSON: doubleKey).unsupportedReason != nil)
}

@Test func decodesTypeValuesByName() throws {
  #expect(try matches(#"{"type": "int"}"#, .type(.int)))
  #expect(try matches(#"{"type": "null_type"}"#, .type(.null)))
  #expect(try matches(#"{"type": "list"}"#, .type(.list(.dyn))))
  guard case .type(let ts)? = try decode(#"{"type": "google.protobuf.Timestamp"}"#) else {
    Issue.record("type value did not decode")
    return
  }
  #expect(ts == .timestamp)
  guard case .type(let msg)? = try decode(#"{"type": "cel.expr.conformance.proto3.TestAllTypes"}"#) else {
    Issue.record("type value did not decode")
    return
  }
  #expect(msg == .opaque("cel.expr.conformance.proto3.TestAllTypes", []))
}

@Test func decodesTimestampsAndDurations() throws {
  guard case .timestamp(let t)? = try decode(#"{"timestamp": "2009-02-13T23:31:30.123Z"}"#) else {
    Issue.record("timestamp did not decode")
    return
  }
  #expect(t.seconds == 1_234_567_890 && t.nanos == 123_000_000)
  guard case .duration(let d)? = try decode(#"{"duration": "123.321456789s"}"#) else {
    Issue.record("duration did not decode")
    return
  }
  #expect(d.seconds == 123 && d.nanos == 321_456_789)
  guard case .duration(let neg)? = try decode(#"{"duration": "-1.5s"}"#) else {
    Issue.record("duration did not decode")
    return
  }
  #expect(neg.seconds == -1 && neg.nanos == -500_000_000)
}

@Test func parsesDurations() {
  let parse = ConformanceValueDecoding.parseDuration
  #expect(parse("0s").map { $0.seconds == 0 && $0.nanos == 0 } == true)
  #expect(parse("-0.000000001s").map { $0.seconds == 0 && $0.nanos == -1 } == true)
  #expect(parse("315576000000s") != nil)
  #expect(parse("315576000001s") == nil)  // outside the protobuf range
  #expect(parse("1.5") == nil)
  #expect(parse("s") == nil)
  #expect(parse(".5s") == nil)
  #expect(parse("1.s") == nil)
  #expect(parse("1.1234567891s") == nil)
  #expect(parse("1m") == nil)
  #expect(parse("99999999999999999999s") == nil)
}

@Test func protobufValuesAreUnsupported() throws {
  let object =
    #"{"object": {"type_url": "type.googleapis.com/x.Msg", "type": "x.Msg", "json": {}, "fields": {}}}"#
  #expect(try ConformanceValueDecoding.value(fromJSON: object).unsupportedReason == "protobuf message x.Msg")
  let en = #"{"enum": {"type": "x.GlobalEnum", "value": 2}}"#
  #expect(
    try ConformanceValueDecoding.value(fromJSON: en).unsupportedReason == "enum value of type x.GlobalEnum")
  #expect(try ConformanceValueDecoding.value(fromJSON: #"{"error": []}"#).unsupportedReason != nil)
  #expect(try ConformanceValueDecoding.value(fromJSON: #"{"unknown": [1]}"#).unsupportedReason != nil)
  // Nested: the whole value is unsupported, and the original tree is kept for display.
  let nested = try ConformanceValueDecoding.value(fromJSON: #"{"list": [{"int": "1"}, \#(en)]}"#)
  guard case .unsupported(_, let json) = nested else {
    Issue.record("nested enum should make the list unsupported")
    return
  }
  #expect(json.description.contains("GlobalEnum"))
}

@Test(arguments: [
  (#"{"int": 5}"#, "int"),
  (#"{"int": "abc"}"#, "int"),
  (#"{"int": "9223372036854775808"}"#, "int"),
  (#"{"uint": "-1"}"#, "uint"),
  (#"{"double": "nan"}"#, "double"),
  (#"{"bytes_b64": "!!"}"#, "bytes_b64"),
  (#"{"timestamp": "2009-02-13"}"#, "timestamp"),
  (#"{"duration": "5"}"#, "duration"),
  (#"{"bool": "true"}"#, "bool"),
  (#"{"list": {"int": "1"}}"#, "list"),
  (#"{"map": [{"key": {"int": "1"}}]}"#, "map[0]"),
  (#"{}"#, "$"),
  (#"{"int": "1", "uint": "1"}"#, "$"),
  (#"[1]"#, "$"),
])
func malformedValuesThrowWithPath(text: String, pathFragment: String) throws {
  do {
    _ = try ConformanceValueDecoding.value(fromJSON: text)
    Issue.record("\(text) should not decode")
  } catch let e as ConformanceFormatError {
    #expect(e.path.contains(pathFragment), "path \(e.path) for \(text)")
    #expect(!e.message.isEmpty)
  }
}

// MARK: - TYPE

@Test func decodesTypeTrees() throws {
  #expect(try decodeType(#"{"dyn": true}"#) == .dyn)
  #expect(try decodeType(#"{"null": true}"#) == .null)
  #expect(try decodeType(#"{"primitive": "bool"}"#) == .bool)
  #expect(try decodeType(#"{"primitive": "int"}"#) == .int)
  #expect(try decodeType(#"{"primitive": "uint"}"#) == .uint)
  #expect(try decodeType(#"{"primitive": "double"}"#) == .double)
  #expect(try decodeType(#"{"primitive": "string"}"#) == .string)
  #expect(try decodeType(#"{"primitive": "bytes"}"#) == .bytes)
  #expect(try decodeType(#"{"well_known": "timestamp"}"#) == .timestamp)
  #expect(try decodeType(#"{"well_known": "duration"}"#) == .duration)
  #expect(try decodeType(#"{"message": "google.protobuf.Duration"}"#) == .duration)
  #expect(try decodeType(#"{"message": "google.protobuf.Timestamp"}"#) == .timestamp)
  #expect(try decodeType(#"{"list": {"primitive": "int"}}"#) == .list(.int))
  #expect(
    try decodeType(#"{"map": {"key": {"primitive": "string"}, "value": {"list": {"dyn": true}}}}"#)
      == .map(.string, .list(.dyn)))
  #expect(try decodeType(#"{"type_param": "T"}"#) == .typeParam("T"))
  #expect(try decodeType(#"{"type": null}"#) == .type(nil))
  #expect(try decodeType(#"{"type": {"primitive": "int"}}"#) == .type(.int))
  #expect(try decodeType(#"{"error": true}"#) == .error)
  #expect(
    try decodeType(#"{"abstract": {"name": "optional_type", "params": [{"primitive": "int"}]}}"#)
      == .optional(.int))
  let tuple = try decodeType(
    #"{"abstract": {"name": "tuple", "params": [{"dyn": true}, {"dyn": true}, {"dyn": true}]}}"#)
  #expect(tuple?.description == "tuple(dyn, dyn, dyn)")
  let fn = try decodeType(#"{"function": {"result": {"primitive": "bool"}, "args": [{"type_param": "T"}]}}"#)
  #expect(fn?.description == "function(bool, T)")
}

@Test func protobufTypesAreUnsupported() throws {
  #expect(try ConformanceValueDecoding.type(fromJSON: #"{"wrapper": "int"}"#).unsupportedReason != nil)
  #expect(try ConformanceValueDecoding.type(fromJSON: #"{"message": "x.Msg"}"#).unsupportedReason != nil)
  #expect(
    try ConformanceValueDecoding.type(fromJSON: #"{"message": "google.protobuf.Int64Value"}"#)
      .unsupportedReason != nil)
  #expect(try ConformanceValueDecoding.type(fromJSON: #"{"well_known": "any"}"#).unsupportedReason != nil)
  #expect(
    try ConformanceValueDecoding.type(fromJSON: #"{"list": {"wrapper": "int"}}"#).unsupportedReason != nil)
}

@Test func malformedTypesThrow() {
  #expect(throws: ConformanceFormatError.self) {
    try ConformanceValueDecoding.type(fromJSON: #"{"primitive": "float"}"#)
  }
  #expect(throws: ConformanceFormatError.self) {
    try ConformanceValueDecoding.type(fromJSON: #"{"map": {"key": {"dyn": true}}}"#)
  }
  #expect(throws: ConformanceFormatError.self) {
    try ConformanceValueDecoding.type(fromJSON: #"{"well_known": "struct"}"#)
  }
}

@Test func jsonTreeKeepsBooleansApartFromNumbers() throws {
  let json = try ConformanceJSON.parse(Data(#"[true, false, 1, 0, 1.5, -0.0, "s", null, {"a": [1]}]"#.utf8))
  #expect(
    json
      == .array([
        .bool(true), .bool(false), .number(1), .number(0), .number(1.5), .number(-0.0), .string("s"), .null,
        .object(["a": .array([.number(1)])]),
      ]))
  #expect(json.description == #"[true,false,1,0,1.5,-0.0,"s",null,{"a":[1]}]"#)
  let decoded = try JSONDecoder().decode(
    ConformanceJSON.self, from: Data(#"{"k": [true, 2, "x", null]}"#.utf8))
  #expect(decoded == .object(["k": .array([.bool(true), .number(2), .string("x"), .null])]))
}
