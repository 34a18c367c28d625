import SentinelBuiltins
import SentinelModel
import Testing

let t = Value.bool(true)
let f = Value.bool(false)
let nan = Value.double(.nan)
let twoTo53 = 9_007_199_254_740_992.0

let comparisonCases: [Case] = [
  Case("-1 < 0", call("_<_", .int(-1), .int(0)), t),
  Case("2u < 2u", call("_<_", .uint(2), .uint(2)), f),
  Case("-0.0 < 0.0", call("_<_", .double(-0.0), .double(0)), f),
  Case("'a' < 'á'", call("_<_", .string("a"), .string("\u{e1}")), t),
  Case("'Abc' < 'aBC'", call("_<_", .string("Abc"), .string("aBC")), t),
  Case("'a' < 'AB'", call("_<_", .string("a"), .string("AB")), f),
  Case("'f' < 'ế'", call("_<_", .string("f"), .string("\u{1EBF}")), t),
  Case(
    "code points, not graphemes: 'e\\u0301' > 'é'", call("_>_", .string("e\u{301}"), .string("\u{e9}")), f),
  Case("'a' <= 'α'", call("_<=_", .string("a"), .string("α")), t),
  Case("b'á' < b'b'", call("_<_", .bytes([0xC3, 0xA1]), .bytes([0x62])), f),
  Case("b'' < b' '", call("_<_", .bytes([]), .bytes([0x20])), t),
  Case("false < true", call("_<_", f, t), t),
  Case("true >= true", call("_>=_", t, t), t),
  Case("null < null: no overload", call("_<_", .null, .null), anyError),
  Case("[1] > [0]: no overload", call("_>_", list(.int(1)), list(.int(0))), anyError),
  Case("'foo' < 1024: no overload", call("_<_", .string("foo"), .int(1024)), anyError),
  // Heterogeneous numbers
  Case("1 < 2u", call("_<_", .int(1), .uint(2)), t),
  Case("-1 < 0u", call("_<_", .int(-1), .uint(0)), t),
  Case("1u < -9223372036854775808", call("_<_", .uint(1), minI), f),
  Case("1 < 2^63u", call("_<_", .int(1), .uint(1 << 63)), t),
  Case("2^63u > 1", call("_>_", .uint(1 << 63), .int(1)), t),
  Case("1 < 1.0", call("_<_", .int(1), .double(1)), f),
  Case("1 <= 1.0", call("_<=_", .int(1), .double(1)), t),
  Case("1.0 < 2u", call("_<_", .double(1), .uint(2)), t),
  Case("2.0 <= 1u", call("_<=_", .double(2), .uint(1)), f),
  Case("int max < -9223372036854777857.0", call("_<_", maxI, .double(lit("-9223372036854777857.0"))), f),
  Case(
    "int min < -2^63-1 (== -2^63 as double)", call("_<_", minI, .double(lit("-9223372036854775809.0"))), f),
  Case("int min <= -2^63 double", call("_<=_", minI, .double(lit("-9223372036854775809.0"))), t),
  Case("int min > -9223372036854777857.0", call("_>_", minI, .double(lit("-9223372036854777857.0"))), t),
  // Pinned by the conformance suite: int max converts to the double 2^63.
  Case("int max >= 2^63 (conformance)", call("_>=_", maxI, .double(twoTo63d)), t),
  Case("2^63 > int max (conformance)", call("_>_", .double(twoTo63d), maxI), f),
  Case("2^63 <= int max (conformance)", call("_<=_", .double(twoTo63d), maxI), t),
  Case("int max >= 2^63+2048", call("_>=_", maxI, .double(lit("9223372036854777857.0"))), f),
  Case(
    "uint max < 18446744073709590000.0", call("_<_", .uint(.max), .double(lit("18446744073709590000.0"))), t),
  Case("2^64+2048 > uint max", call("_>_", .double(lit("18446744073709553665.0")), .uint(.max)), t),
  Case("uint max >= 2^64+2048", call("_>=_", .uint(.max), .double(lit("18446744073709553665.0"))), f),
  Case("uint max <= -1.0", call("_<=_", .uint(.max), .double(-1)), f),
  Case(
    "2^53 + 1 > 2^53 (ints exact)", call("_>_", .int(9_007_199_254_740_993), .int(9_007_199_254_740_992)), t),
  Case("2^53+1 vs 2^53 double: converted", call("_>_", .int(9_007_199_254_740_993), .double(twoTo53)), f),
  Case("2^53 double < 2^53+1u", call("_<_", .double(twoTo53), .uint(9_007_199_254_740_993)), f),
  // NaN is unordered
  Case("NaN < 1.0", call("_<_", nan, .double(1)), f),
  Case("NaN >= NaN", call("_>=_", nan, nan), f),
  Case("1 < NaN", call("_<_", .int(1), nan), f),
  Case("1u >= NaN", call("_>=_", .uint(1), nan), f),
  Case("NaN <= 1", call("_<=_", nan, .int(1)), f),
  // Time
  Case("ts <= ts", call("_<=_", ts("2009-02-13T23:00:00Z"), ts("2009-02-13T23:00:00Z")), t),
  Case("ts > ts (nanos)", call("_>_", ts("2009-02-13T23:00:00.000000001Z"), ts("2009-02-13T23:00:00Z")), t),
  Case("dur < dur", call("_<_", dur("200s"), dur("300s")), t),
  Case("negative durations", call("_<_", dur("-1.5s"), dur("-1s")), t),
]

let twoTo63d = 9_223_372_036_854_775_808.0

/// Parses a double at run time: Swift's compiler rounds long float literals twice (through
/// Float80 on x86), e.g. 18446744073709553665.0 becomes 2^64 instead of 2^64 + 4096.
func lit(_ s: String) -> Double { Double(s) ?? .nan }

let equalityCases: [Case] = [
  Case("1 == 1u", call("_==_", .int(1), .uint(1)), t),
  Case("1u == 1.0", call("_==_", .uint(1), .double(1)), t),
  Case("2 == 1u", call("_==_", .int(2), .uint(1)), f),
  Case("-1 == uint max", call("_==_", .int(-1), .uint(.max)), f),
  Case("NaN == NaN", call("_==_", nan, nan), f),
  Case("NaN != NaN", call("_!=_", nan, nan), t),
  Case("1u == NaN", call("_==_", .uint(1), nan), f),
  Case("-0.0 == 0.0", call("_==_", .double(-0.0), .double(0)), t),
  Case("'a' == 'à'", call("_==_", .string("a"), .string("à")), f),
  Case("é (NFC) != e + U+0301 (NFD)", call("_==_", .string("\u{e9}"), .string("e\u{301}")), f),
  Case("null == null", call("_==_", .null, .null), t),
  Case("b'' == null", call("_==_", .bytes([]), .null), f),
  Case("1 == '1'", call("_==_", .int(1), .string("1")), f),
  Case("[1.0, 2.1] == [1u, 2]", call("_==_", list(.double(1), .double(2.1)), list(.uint(1), .int(2))), f),
  Case("[1] == [1.0]", call("_==_", list(.int(1)), list(.double(1))), t),
  Case("['one'] == [2, 3]", call("_==_", list(.string("one")), list(.int(2), .int(3))), f),
  Case("[[]] == [[]]", call("_==_", list(list()), list(list())), t),
  Case("[1, 'a'] != [1, 2]", call("_!=_", list(.int(1), .string("a")), list(.int(1), .int(2))), t),
  Case(
    "{1: 1.0, 2u: 3u} == {1u: 1, 2: 3.0}",
    call(
      "_==_", map((.int(1), .double(1)), (.uint(2), .uint(3))),
      map((.uint(1), .int(1)), (.int(2), .double(3)))), t),
  Case(
    "map order ignored",
    call(
      "_==_", map((.string("a"), .string("b")), (.string("c"), .string("d"))),
      map((.string("c"), .string("d")), (.string("a"), .string("b")))), t),
  Case(
    "{'k': 1, 'j': 2} != {'k': 1, 'j': null}",
    call(
      "_==_", map((.string("k"), .int(1)), (.string("j"), .int(2))),
      map((.string("k"), .int(1)), (.string("j"), .null))), f),
  Case(
    "different key sets",
    call("_==_", map((.string("k"), t)), map((.string("k1"), t))), f),
  Case("ts == ts", call("_==_", ts("2009-02-13T23:31:30Z"), ts("2009-02-13T23:31:30Z")), t),
  Case("dur('1h') == dur('60m')", call("_==_", dur("1h"), dur("60m")), t),
  Case("type(1) == int", call("_==_", call("type", .int(1)), .type(.int)), t),
  Case(
    "type([1]) == type(['a'])", call("_==_", call("type", list(.int(1))), call("type", list(.string("a")))), t
  ),
  Case("type(0.0) != type(0)", call("_!=_", call("type", .double(0)), call("type", .int(0))), t),
  Case("optional.none() == optional.none()", call("_==_", .optional(nil), .optional(nil)), t),
  Case("optional.of(1) == optional.of(1.0)", call("_==_", .optional(.int(1)), .optional(.double(1))), t),
  Case("optional.of(1) != optional.none()", call("_!=_", .optional(.int(1)), .optional(nil)), t),
]

@Test("ordering", arguments: comparisonCases)
func ordering(_ c: Case) {
  #expect(c.passes)
}

@Test("equality", arguments: equalityCases)
func equality(_ c: Case) {
  #expect(c.passes)
}

@Test func celCompareAndEqualsAgree() {
  let values: [Value] = [
    .int(-1), .int(0), .int(1), .int(.max), .int(.min), .uint(0), .uint(1), .uint(.max), .uint(1 << 63),
    .double(-1), .double(0), .double(0.5), .double(1), .double(twoTo63d), .double(-twoTo63d),
    .double(lit("18446744073709551616.0")), .double(.infinity), .double(-.infinity),
  ]
  for a in values {
    for b in values {
      guard let c = celCompare(a, b), let d = celCompare(b, a) else {
        Issue.record("unordered \(a) \(b)")
        continue
      }
      #expect(c == -d, "antisymmetry \(a) \(b)")
      #expect((c == 0) == celEquals(a, b), "equality agrees with ordering \(a) \(b)")
    }
  }
  #expect(celCompare(nan, .int(1)) == nil)
  #expect(celCompare(.string("a"), .int(1)) == nil)
  #expect(celCompare(list(), list()) == nil)
  #expect(celCompare(.bool(false), .bool(true)) == -1)
}
