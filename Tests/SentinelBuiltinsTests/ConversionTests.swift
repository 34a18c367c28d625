import SentinelBuiltins
import SentinelModel
import Testing

let conversionCases: [Case] = [
  // int()
  Case("int(42u)", call("int", .uint(42)), .int(42)),
  Case("int(int max u)", call("int", .uint(UInt64(Int64.max))), maxI),
  Case("int(uint max)", call("int", .uint(.max)), anyError),
  Case("int(-123.456)", call("int", .double(-123.456)), .int(-123)),
  Case("int(11.5)", call("int", .double(11.5)), .int(11)),
  Case("int(-3.5)", call("int", .double(-3.5)), .int(-3)),
  Case("int(2^55 double)", call("int", .double(36_028_797_018_963_968)), .int(36_028_797_018_963_968)),
  Case("int(-2^63 double) is out of range", call("int", .double(-twoTo63d)), anyError),
  Case("int(2^63 double)", call("int", .double(twoTo63d)), anyError),
  Case(
    "int(largest double below 2^63)", call("int", .double(twoTo63d.nextDown)), .int(9_223_372_036_854_774_784)
  ),
  Case(
    "int(smallest double above -2^63)", call("int", .double((-twoTo63d).nextUp)),
    .int(-9_223_372_036_854_774_784)),
  Case("int(NaN)", call("int", .double(.nan)), anyError),
  Case("int(inf)", call("int", .double(.infinity)), anyError),
  Case("int(-inf)", call("int", .double(-.infinity)), anyError),
  Case("int('123')", call("int", .string("123")), .int(123)),
  Case("int('-9223372036854775808')", call("int", .string("-9223372036854775808")), minI),
  Case("int('9223372036854775808')", call("int", .string("9223372036854775808")), anyError),
  Case("int('+5')", call("int", .string("+5")), .int(5)),
  Case("int('')", call("int", .string("")), anyError),
  Case("int(' 1')", call("int", .string(" 1")), anyError),
  Case("int('1.0')", call("int", .string("1.0")), anyError),
  Case("int('0x10')", call("int", .string("0x10")), anyError),
  Case("int(timestamp)", call("int", ts("2009-02-13T23:31:30Z")), .int(1_234_567_890)),
  Case("int(pre-epoch timestamp) floors", call("int", ts("1969-12-31T23:59:59.5Z")), .int(-1)),
  // uint()
  Case("uint(-1)", call("uint", .int(-1)), anyError),
  Case("uint(1.9)", call("uint", .double(1.9)), .uint(1)),
  Case("uint(-0.5)", call("uint", .double(-0.5)), anyError),
  Case("uint(2^64)", call("uint", .double(lit("18446744073709551616"))), anyError),
  Case(
    "uint(largest below 2^64)", call("uint", .double(lit("18446744073709549568"))),
    .uint(18_446_744_073_709_549_568)),
  Case("uint(6.022e23)", call("uint", .double(6.022e23)), anyError),
  Case("uint('300')", call("uint", .string("300")), .uint(300)),
  Case("uint('+300')", call("uint", .string("+300")), anyError),
  Case("uint('-0')", call("uint", .string("-0")), anyError),
  Case("uint('18446744073709551616')", call("uint", .string("18446744073709551616")), anyError),
  // double()
  Case("double(int max)", call("double", maxI), .double(9.223372036854776e18)),
  Case("double(uint max)", call("double", .uint(.max)), .double(1.8446744073709552e19)),
  Case("double('-0.0')", call("double", .string("-0.0")), .double(-0.0)),
  Case("double('6.02214e23')", call("double", .string("6.02214e23")), .double(6.02214e23)),
  Case("double('1.38e-23')", call("double", .string("1.38e-23")), .double(1.38e-23)),
  Case("double('NaN')", call("double", .string("NaN")), .double(.nan)),
  Case("double('Infinity')", call("double", .string("Infinity")), .double(.infinity)),
  Case("double('-inf')", call("double", .string("-inf")), .double(-.infinity)),
  Case("double('1e400') overflows", call("double", .string("1e400")), anyError),
  Case("double('abc')", call("double", .string("abc")), anyError),
  // bool()
  Case("bool('1')", call("bool", .string("1")), t),
  Case("bool('t')", call("bool", .string("t")), t),
  Case("bool('TRUE')", call("bool", .string("TRUE")), t),
  Case("bool('True')", call("bool", .string("True")), t),
  Case("bool('0')", call("bool", .string("0")), f),
  Case("bool('F')", call("bool", .string("F")), f),
  Case("bool('False')", call("bool", .string("False")), f),
  Case("bool('TrUe')", call("bool", .string("TrUe")), anyError),
  Case("bool('yes')", call("bool", .string("yes")), anyError),
  Case("bool(true)", call("bool", t), t),
  // bytes() / string()
  Case("bytes('ÿ')", call("bytes", .string("ÿ")), .bytes([0xC3, 0xBF])),
  Case("bytes('🤪')", call("bytes", .string("🤪")), .bytes([0xF0, 0x9F, 0xA4, 0xAA])),
  Case("string(b'\\303\\277')", call("string", .bytes([0xC3, 0xBF])), .string("ÿ")),
  Case("string(b'\\000\\xff')", call("string", .bytes([0x00, 0xFF])), anyError),
  Case("string(overlong UTF-8)", call("string", .bytes([0xC0, 0xAF])), anyError),
  Case("string(UTF-8 surrogate)", call("string", .bytes([0xED, 0xA0, 0x80])), anyError),
  Case("string(true)", call("string", t), .string("true")),
  Case("string(-456)", call("string", .int(-456)), .string("-456")),
  Case("string(9876u)", call("string", .uint(9876)), .string("9876")),
  Case("string(123.456)", call("string", .double(123.456)), .string("123.456")),
  Case("string(-4.5e-3)", call("string", .double(-4.5e-3)), .string("-0.0045")),
  Case("string(1.5e-5)", call("string", .double(1.5e-5)), .string("1.5e-05")),
  Case("string(100000.0)", call("string", .double(100000)), .string("100000")),
  Case("string(1e6)", call("string", .double(1e6)), .string("1e+06")),
  Case("string(123456789.0)", call("string", .double(123_456_789)), .string("1.23456789e+08")),
  Case("string(-1.23e4)", call("string", .double(-1.23e4)), .string("-12300")),
  Case("string(0.1)", call("string", .double(0.1)), .string("0.1")),
  Case("string(0.0)", call("string", .double(0)), .string("0")),
  Case("string(-0.0)", call("string", .double(-0.0)), .string("-0")),
  Case("string(1e100)", call("string", .double(1e100)), .string("1e+100")),
  Case("string(5e-324)", call("string", .double(.leastNonzeroMagnitude)), .string("5e-324")),
  Case(
    "string(max double)", call("string", .double(.greatestFiniteMagnitude)),
    .string("1.7976931348623157e+308")),
  Case("string(NaN)", call("string", .double(.nan)), .string("NaN")),
  Case("string(inf)", call("string", .double(.infinity)), .string("+Inf")),
  Case("string(-inf)", call("string", .double(-.infinity)), .string("-Inf")),
  Case("string(timestamp)", call("string", ts("2009-02-13T23:31:30Z")), .string("2009-02-13T23:31:30Z")),
  Case(
    "string(timestamp nanos)", call("string", ts("2009-02-13T23:31:30.120Z")),
    .string("2009-02-13T23:31:30.12Z")),
  Case(
    "string(timestamp with offset)", call("string", ts("2023-08-26T12:39:00-07:00")),
    .string("2023-08-26T19:39:00Z")),
  Case("string(duration('1000000s'))", call("string", dur("1000000s")), .string("1000000s")),
  Case("string(duration('1m1ms'))", call("string", dur("1m1ms")), .string("60.001s")),
  Case("string(duration('-1.5s'))", call("string", dur("-1.5s")), .string("-1.5s")),
  Case("string(duration('1ns'))", call("string", dur("1ns")), .string("0.000000001s")),
  // timestamp()
  Case("timestamp('0000-01-01T00:00:00Z')", call("timestamp", .string("0000-01-01T00:00:00Z")), anyError),
  Case("timestamp('10000-01-01T00:00:00Z')", call("timestamp", .string("10000-01-01T00:00:00Z")), anyError),
  Case("timestamp('2009-02-30T00:00:00Z')", call("timestamp", .string("2009-02-30T00:00:00Z")), anyError),
  Case("timestamp('2009-02-13 23:31:30Z')", call("timestamp", .string("2009-02-13 23:31:30Z")), anyError),
  Case("timestamp(253402300799)", call("timestamp", .int(253_402_300_799)), ts("9999-12-31T23:59:59Z")),
  Case("timestamp(253402300800)", call("timestamp", .int(253_402_300_800)), anyError),
  Case("timestamp(-62135596800)", call("timestamp", .int(-62_135_596_800)), ts("0001-01-01T00:00:00Z")),
  Case("timestamp(-62135596801)", call("timestamp", .int(-62_135_596_801)), anyError),
  Case("timestamp(0)", call("timestamp", .int(0)), ts("1970-01-01T00:00:00Z")),
  // duration()
  Case(
    "duration('1h2m3.5s')", call("duration", .string("1h2m3.5s")),
    .duration(Duration(seconds: 3723, nanos: 500_000_000))),
  Case("duration('-1.5h')", call("duration", .string("-1.5h")), .duration(Duration(seconds: -5400))),
  Case(
    "duration('100ms')", call("duration", .string("100ms")),
    .duration(Duration(seconds: 0, nanos: 100_000_000))),
  Case("duration('1us')", call("duration", .string("1us")), .duration(Duration(seconds: 0, nanos: 1000))),
  Case(
    "duration('1µs')", call("duration", .string("1\u{B5}s")), .duration(Duration(seconds: 0, nanos: 1000))),
  Case(
    "duration('1μs')", call("duration", .string("1\u{3BC}s")), .duration(Duration(seconds: 0, nanos: 1000))),
  Case("duration('1ns')", call("duration", .string("1ns")), .duration(Duration(seconds: 0, nanos: 1))),
  Case("duration('0')", call("duration", .string("0")), .duration(Duration(seconds: 0))),
  Case("duration('-0')", call("duration", .string("-0")), .duration(Duration(seconds: 0))),
  Case(
    "duration('.5s')", call("duration", .string(".5s")), .duration(Duration(seconds: 0, nanos: 500_000_000))),
  Case("duration('1.s')", call("duration", .string("1.s")), .duration(Duration(seconds: 1))),
  Case(
    "duration('1h34us')", call("duration", .string("1h34us")),
    .duration(Duration(seconds: 3600, nanos: 34_000))),
  Case(
    "duration('2562047h47m16.854775807s') max", call("duration", .string("2562047h47m16.854775807s")),
    .duration(Duration(seconds: 9_223_372_036, nanos: 854_775_807))),
  Case(
    "duration('-2562047h47m16.854775808s') min", call("duration", .string("-2562047h47m16.854775808s")),
    .duration(Duration(seconds: -9_223_372_036, nanos: -854_775_808))),
  Case(
    "duration('2562047h47m16.854775808s')", call("duration", .string("2562047h47m16.854775808s")), anyError),
  Case("duration('320000000000s')", call("duration", .string("320000000000s")), anyError),
  Case("duration('-320000000000s')", call("duration", .string("-320000000000s")), anyError),
  Case("duration('1')", call("duration", .string("1")), anyError),
  Case("duration('')", call("duration", .string("")), anyError),
  Case("duration('1d')", call("duration", .string("1d")), anyError),
  Case("duration('.s')", call("duration", .string(".s")), anyError),
  Case("duration('1h-2m')", call("duration", .string("1h-2m")), anyError),
  Case("duration(duration)", call("duration", dur("100s")), dur("100s")),
  // type() / dyn()
  Case("type(true)", call("type", t), .type(.bool)),
  Case("type(null)", call("type", .null), .type(.null)),
  Case("type(int) is type", call("type", .type(.int)), .type(.type(nil))),
  Case("type(type) is type", call("type", .type(.type(nil))), .type(.type(nil))),
  Case("type(timestamp)", call("type", ts("2009-02-13T23:31:30Z")), .type(.timestamp)),
  Case("type(optional)", call("type", .optional(nil)), .type(.optional(.dyn))),
  Case("dyn([1, 'one'])", call("dyn", list(.int(1), .string("one"))), list(.int(1), .string("one"))),
]

@Test("conversions", arguments: conversionCases)
func conversions(_ c: Case) {
  #expect(c.passes)
}

@Test func typeNames() {
  #expect(call("type", ts("2009-02-13T23:31:30Z")).description == "google.protobuf.Timestamp")
  #expect(call("type", dur("1s")).description == "google.protobuf.Duration")
  #expect(call("type", call("type", .int(7))).description == "type")
  #expect(call("type", .optional(.int(1))).description == "optional_type")
}
