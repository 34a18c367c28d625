import SentinelBuiltins
import SentinelModel
import Testing

let mathCases: [Case] = [
  Case("greatest(-5)", call("math.greatest", .int(-5)), .int(-5)),
  Case("greatest(1, 1.0) keeps the first", call("math.greatest", .int(1), .double(1)), .int(1)),
  Case("greatest(3, -3)", call("math.greatest", .int(3), .int(-3)), .int(3)),
  Case("greatest(1, max)", call("math.greatest", .int(1), maxI), maxI),
  Case("greatest(1, min)", call("math.greatest", .int(1), minI), .int(1)),
  Case("greatest(10, 1, 3)", call("math.greatest", .int(10), .int(1), .int(3)), .int(10)),
  Case(
    "greatest(5.4, 10, 3u, -5.0, max)",
    call("math.greatest", .double(5.4), .int(10), .uint(3), .double(-5), maxI), maxI),
  Case(
    "greatest([5.4, 10, 3u, -5.0, 3.5])",
    call("math.greatest", list(.double(5.4), .int(10), .uint(3), .double(-5), .double(3.5))), .int(10)),
  Case(
    "greatest(1.797693e308, 1)", call("math.greatest", .double(1.797693e308), .int(1)), .double(1.797693e308)),
  Case("greatest(5u, -7)", call("math.greatest", .uint(5), .int(-7)), .uint(5)),
  Case("greatest(-3, 3u)", call("math.greatest", .int(-3), .uint(3)), .uint(3)),
  Case("greatest(1u, 1.0, 1.0)", call("math.greatest", .uint(1), .double(1), .double(1)), .uint(1)),
  Case("greatest([])", call("math.greatest", list()), anyError),
  Case("greatest(1, 'a')", call("math.greatest", .int(1), s("a"), .int(2)), anyError),
  Case("greatest(1.0, NaN)", call("math.greatest", .double(1), .double(.nan)), anyError),
  Case("least(1, 1u)", call("math.least", .int(1), .uint(1)), .int(1)),
  Case("least(5, -7)", call("math.least", .int(5), .int(-7)), .int(-7)),
  Case(
    "least(-1.797693e308, 1.5)", call("math.least", .double(-1.797693e308), .double(1.5)),
    .double(-1.797693e308)),
  Case(
    "least(5.4, 10, 3u, 1u, uint max)",
    call("math.least", .double(5.4), .int(10), .uint(3), .uint(1), .uint(.max)), .uint(1)),
  Case(
    "least([5.4, 10, 3u, -5.0, 3.5])",
    call("math.least", list(.double(5.4), .int(10), .uint(3), .double(-5), .double(3.5))), .double(-5)),
  Case("math.@max([1, 3, 2])", call("math.@max", list(.int(1), .int(3), .int(2))), .int(3)),
  Case("math.@min(2, 1u)", call("math.@min", .int(2), .uint(1)), .uint(1)),
  Case("ceil(1.2)", call("math.ceil", .double(1.2)), .double(2)),
  Case("ceil(dyn(1))", call("math.ceil", .int(1)), anyError),
  Case("floor(-1.2)", call("math.floor", .double(-1.2)), .double(-2)),
  Case("round(-1.5)", call("math.round", .double(-1.5)), .double(-2)),
  Case("round(1.5)", call("math.round", .double(1.5)), .double(2)),
  Case("round(-1.4)", call("math.round", .double(-1.4)), .double(-1)),
  Case("round(2.5) away from zero", call("math.round", .double(2.5)), .double(3)),
  Case("trunc(-1.2)", call("math.trunc", .double(-1.2)), .double(-1)),
  Case("trunc(NaN)", call("math.trunc", .double(.nan)), .double(.nan)),
  Case("abs(1u)", call("math.abs", .uint(1)), .uint(1)),
  Case("abs(-11)", call("math.abs", .int(-11)), .int(11)),
  Case("abs(min)", call("math.abs", minI), anyError),
  Case("abs(-1.5)", call("math.abs", .double(-1.5)), .double(1.5)),
  Case("sign(100u)", call("math.sign", .uint(100)), .uint(1)),
  Case("sign(0)", call("math.sign", .int(0)), .int(0)),
  Case("sign(-7)", call("math.sign", .int(-7)), .int(-1)),
  Case("sign(-100.5)", call("math.sign", .double(-100.5)), .double(-1)),
  Case("sign(0.0)", call("math.sign", .double(0)), .double(0)),
  Case("sign(NaN)", call("math.sign", .double(.nan)), .double(.nan)),
  Case("isNaN(NaN)", call("math.isNaN", .double(.nan)), t),
  Case("isInf(-inf)", call("math.isInf", .double(-.infinity)), t),
  Case("isFinite(NaN)", call("math.isFinite", .double(.nan)), f),
  Case("isFinite(1.0)", call("math.isFinite", .double(1)), t),
  Case("sqrt(4)", call("math.sqrt", .int(4)), .double(2)),
  Case("sqrt(-1.0)", call("math.sqrt", .double(-1)), .double(.nan)),
  Case("bitAnd(1, 3)", call("math.bitAnd", .int(1), .int(3)), .int(1)),
  Case("bitAnd(1u, 3u)", call("math.bitAnd", .uint(1), .uint(3)), .uint(1)),
  Case("bitOr(1u, 4u)", call("math.bitOr", .uint(1), .uint(4)), .uint(5)),
  Case("bitOr(dyn(1.2), 1)", call("math.bitOr", .double(1.2), .int(1)), anyError),
  Case("bitXor(4, -2)", call("math.bitXor", .int(4), .int(-2)), .int(-6)),
  Case("bitNot(1)", call("math.bitNot", .int(1)), .int(-2)),
  Case("bitNot(1u)", call("math.bitNot", .uint(1)), .uint(18_446_744_073_709_551_614)),
  Case("bitShiftLeft(1, 2)", call("math.bitShiftLeft", .int(1), .int(2)), .int(4)),
  Case("bitShiftLeft(1, 200)", call("math.bitShiftLeft", .int(1), .int(200)), .int(0)),
  Case("bitShiftLeft(-1, 200)", call("math.bitShiftLeft", .int(-1), .int(200)), .int(0)),
  Case("bitShiftLeft(1, 63)", call("math.bitShiftLeft", .int(1), .int(63)), minI),
  Case("bitShiftLeft(1u, -1)", call("math.bitShiftLeft", .uint(1), .int(-1)), anyError),
  Case("bitShiftRight(1024, 2)", call("math.bitShiftRight", .int(1024), .int(2)), .int(256)),
  Case(
    "bitShiftRight(-1024, 3) logical", call("math.bitShiftRight", .int(-1024), .int(3)),
    .int(2_305_843_009_213_693_824)),
  Case("bitShiftRight(-1024, 64)", call("math.bitShiftRight", .int(-1024), .int(64)), .int(0)),
  Case("bitShiftRight(1024u, 2)", call("math.bitShiftRight", .uint(1024), .int(2)), .uint(256)),
  Case("bitShiftRight(b'123', 1)", call("math.bitShiftRight", .bytes([1]), .int(1)), anyError),
]

@Test("math extension", arguments: mathCases)
func mathExtension(_ c: Case) {
  #expect(c.passes)
}

let encoderCases: [Case] = [
  Case("decode padded", call("base64.decode", s("aGVsbG8=")), .bytes(Array("hello".utf8))),
  Case("decode unpadded", call("base64.decode", s("aGVsbG8")), .bytes(Array("hello".utf8))),
  Case("decode empty", call("base64.decode", s("")), .bytes([])),
  Case("decode two pads", call("base64.decode", s("YQ==")), .bytes([0x61])),
  Case("decode with newline", call("base64.decode", s("aGVs\nbG8=")), .bytes(Array("hello".utf8))),
  Case("decode invalid char", call("base64.decode", s("aGV*bG8=")), anyError),
  Case("decode bad length", call("base64.decode", s("aGVsb")), anyError),
  Case("decode misplaced padding", call("base64.decode", s("aG=sbG8=")), anyError),
  Case("decode too much padding", call("base64.decode", s("YQ===")), anyError),
  Case("encode", call("base64.encode", .bytes(Array("Hello World!".utf8))), s("SGVsbG8gV29ybGQh")),
  Case("encode 1 byte", call("base64.encode", .bytes([0xFF])), s("/w==")),
  Case("encode 2 bytes", call("base64.encode", .bytes([0xFF, 0xEE])), s("/+4=")),
  Case(
    "round trip", call("base64.decode", call("base64.encode", .bytes([0, 1, 2, 253, 254, 255]))),
    .bytes([0, 1, 2, 253, 254, 255])),
]

@Test("encoders extension", arguments: encoderCases)
func encoders(_ c: Case) {
  #expect(c.passes)
}

// MARK: - The SentinelIQ extension (Geo.swift)

@Test func haversineMatchesKnownDistances() {
  // London → New York on a 6371.0 km sphere: 5570.2 km (the haversine formula).
  let d = Builtins.all.dispatch(
    "haversine_km", receiver: false, [.double(51.5074), .double(-0.1278), .double(40.7128), .double(-74.006)])
  guard case .double(let km) = d else {
    Issue.record("\(d)")
    return
  }
  #expect(abs(km - 5570.2) < 0.5)
  // One degree of latitude is 2πR/360 = 111.195 km.
  let deg = Builtins.all.dispatch(
    "haversine_km", receiver: false, [.double(0), .double(0), .double(1), .double(0)])
  #expect(deg.description.hasPrefix("111.19"))
  // Same point: 0; map form equals the scalar form.
  var m = MapValue()
  m.insert(.string("lat"), .double(10))
  m.insert(.string("lon"), .int(20))
  let p = Value.map(m)
  #expect(Builtins.all.dispatch("haversine_km", receiver: false, [p, p]).description == "0.0")
  var half = MapValue()
  half.insert(.string("lat"), .double(10))
  let bad = Value.map(half)
  #expect(Builtins.all.dispatch("haversine_km", receiver: false, [p, bad]).isError)
}

@Test func durationsAsFractionalUnits() {
  let d = Value.duration(Duration(seconds: 5400, nanos: 500_000_000))
  #expect(Builtins.all.dispatch("hours", receiver: false, [d]).description == "1.500138888888889")
  #expect(Builtins.all.dispatch("seconds", receiver: false, [d]).description == "5400.5")
}
