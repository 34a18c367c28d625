import SentinelBuiltins
import SentinelModel
import Testing

func strs(_ xs: String...) -> Value { .list(xs.map(Value.string)) }

let stringsExtensionCases: [Case] = [
  Case("charAt(3)", method(s("tacocat"), "charAt", .int(3)), s("o")),
  Case("charAt(7) (end)", method(s("tacocat"), "charAt", .int(7)), s("")),
  Case("charAt(8)", method(s("tacocat"), "charAt", .int(8)), anyError),
  Case("charAt(-1)", method(s("tacocat"), "charAt", .int(-1)), anyError),
  Case("charAt non-ASCII", method(s("ta©o©αT"), "charAt", .int(5)), s("α")),
  Case("indexOf('')", method(s("tacocat"), "indexOf", s("")), .int(0)),
  Case("indexOf('none')", method(s("tacocat"), "indexOf", s("none")), .int(-1)),
  Case("indexOf('a', 3)", method(s("tacocat"), "indexOf", s("a"), .int(3)), .int(5)),
  Case("indexOf('©', 3) non-ASCII", method(s("ta©o©αT"), "indexOf", s("©"), .int(3)), .int(4)),
  Case("indexOf('ello', 6)", method(s("hello wello"), "indexOf", s("ello"), .int(6)), .int(7)),
  Case("indexOf('a', 30)", method(s("tacocat"), "indexOf", s("a"), .int(30)), anyError),
  Case("indexOf('a', 7)", method(s("tacocat"), "indexOf", s("a"), .int(7)), .int(-1)),
  Case("indexOf('', 7)", method(s("tacocat"), "indexOf", s(""), .int(7)), .int(7)),
  Case("indexOf('a', -1)", method(s("tacocat"), "indexOf", s("a"), .int(-1)), anyError),
  Case("''.lastIndexOf('@@')", method(s(""), "lastIndexOf", s("@@")), .int(-1)),
  Case("lastIndexOf('')", method(s("tacocat"), "lastIndexOf", s("")), .int(7)),
  Case("lastIndexOf('at')", method(s("tacocat"), "lastIndexOf", s("at")), .int(5)),
  Case("lastIndexOf('a', 3)", method(s("tacocat"), "lastIndexOf", s("a"), .int(3)), .int(1)),
  Case("lastIndexOf('©')", method(s("ta©o©αT"), "lastIndexOf", s("©")), .int(4)),
  Case("lastIndexOf('©', 3)", method(s("ta©o©αT"), "lastIndexOf", s("©"), .int(3)), .int(2)),
  Case("lastIndexOf('©α', 4)", method(s("ta©o©αT"), "lastIndexOf", s("©α"), .int(4)), .int(4)),
  Case("lastIndexOf('ello', 6)", method(s("hello wello"), "lastIndexOf", s("ello"), .int(6)), .int(1)),
  Case("lastIndexOf whole", method(s("hello wello"), "lastIndexOf", s("hello wello")), .int(0)),
  Case("lastIndexOf('a', -1)", method(s("tacocat"), "lastIndexOf", s("a"), .int(-1)), anyError),
  Case("lastIndexOf('a', 30)", method(s("tacocat"), "lastIndexOf", s("a"), .int(30)), anyError),
  Case("lowerAscii", method(s("TacoCÆt Xii"), "lowerAscii"), s("tacocÆt xii")),
  Case("upperAscii", method(s("tacoCαt"), "upperAscii"), s("TACOCαT")),
  Case("replace all", method(s("{0} days {0} hours"), "replace", s("{0}"), s("2")), s("2 days 2 hours")),
  Case(
    "replace 1", method(s("{0} days {0} hours"), "replace", s("{0}"), s("2"), .int(1)), s("2 days {0} hours")),
  Case("replace 0", method(s("aaa"), "replace", s("a"), s("b"), .int(0)), s("aaa")),
  Case("replace -1", method(s("aaa"), "replace", s("a"), s("b"), .int(-1)), s("bbb")),
  Case("replace non-ASCII", method(s("1 ©αT taco"), "replace", s("αT"), s("o©α")), s("1 ©o©α taco")),
  Case("replace empty old", method(s("αb"), "replace", s(""), s("-")), s("-α-b-")),
  Case("replace empty old, 2", method(s("αb"), "replace", s(""), s("-"), .int(2)), s("-α-b")),
  Case("replace no match", method(s("12 days"), "replace", s("{0}"), s("2")), s("12 days")),
  Case("split(' ')", method(s("hello world"), "split", s(" ")), strs("hello", "world")),
  Case("split(' ', 0)", method(s("hello world events!"), "split", s(" "), .int(0)), list()),
  Case(
    "split(' ', 1)", method(s("hello world events!"), "split", s(" "), .int(1)), strs("hello world events!")),
  Case(
    "split(' ', 2)", method(s("hello world events!"), "split", s(" "), .int(2)),
    strs("hello", "world events!")),
  Case("split('©', -1)", method(s("o©o©o©o"), "split", s("©"), .int(-1)), strs("o", "o", "o", "o")),
  Case("split('')", method(s("a©b"), "split", s("")), strs("a", "©", "b")),
  Case("split('', 2)", method(s("a©b"), "split", s(""), .int(2)), strs("a", "©b")),
  Case("''.split(',')", method(s(""), "split", s(",")), strs("")),
  Case("trailing separator", method(s("a,b,"), "split", s(",")), strs("a", "b", "")),
  Case("substring(0, 4)", method(s("tacocat"), "substring", .int(0), .int(4)), s("taco")),
  Case("substring(4, 4)", method(s("tacocat"), "substring", .int(4), .int(4)), s("")),
  Case("substring non-ASCII", method(s("ta©o©αT"), "substring", .int(2), .int(6)), s("©o©α")),
  Case("substring(4)", method(s("tacocat"), "substring", .int(4)), s("cat")),
  Case("substring(-1)", method(s("tacocat"), "substring", .int(-1)), anyError),
  Case("substring(49, 50)", method(s("tacocat"), "substring", .int(49), .int(50)), anyError),
  Case("substring(3, 2)", method(s("tacocat"), "substring", .int(3), .int(2)), anyError),
  Case("trim ASCII", method(s(" \u{0C}\n\r\t\u{0B}text  "), "trim"), s("text")),
  Case(
    "trim Unicode spaces",
    method(s("\u{85}\u{a0}\u{1680}text\u{2028}\u{2029}\u{202F}\u{205F}\u{3000}"), "trim"), s("text")),
  Case("trim keeps zero-width", method(s("\u{180e}text\u{200b}"), "trim"), s("\u{180e}text\u{200b}")),
  Case("trim all space", method(s("  "), "trim"), s("")),
  Case("join()", method(strs("x", "y"), "join"), s("xy")),
  Case("join('-')", method(strs("x", "y"), "join", s("-")), s("x-y")),
  Case("[].join('-')", method(list(), "join", s("-")), s("")),
  Case("join non-string", method(list(.int(1)), "join"), anyError),
  Case("quote newline", call("strings.quote", s("first\nsecond")), s("\"first\\nsecond\"")),
  Case(
    "quote escapes", call("strings.quote", s("\u{07}\u{08}\u{0C}\r\t\u{0B}\\\"")),
    s("\"\\a\\b\\f\\r\\t\\v\\\\\\\"\"")),
  Case("quote emoji", call("strings.quote", s("🐱😀")), s("\"🐱😀\"")),
  Case("reverse", method(s("Ta©oCαt"), "reverse"), s("tαCo©aT")),
  Case("reverse combining", method(s("e\u{301}x"), "reverse"), s("x\u{301}e")),
  Case("charAt(true): no overload", method(s("hello"), "charAt", t), anyError),
  Case("24.indexOf: no overload", method(.int(24), "indexOf", s("2")), anyError),
  Case("replace wrong arg", method(s("42"), "replace", s("2"), .int(1)), anyError),
]

let formatCases: [Case] = [
  Case("no substitution", method(s("no substitution"), "format", list()), s("no substitution")),
  Case(
    "%s", method(s("str is %s and some more"), "format", strs("filler")), s("str is filler and some more")),
  Case("%%%s%%", method(s("%%%s%%"), "format", strs("text")), s("%text%")),
  Case(
    "%d %s mix",
    method(s("%d %d %d, %s %s %s"), "format", list(.int(1), .int(2), .int(3), s("A"), s("B"), s("C"))),
    s("1 2 3, A B C")),
  Case("%.3f", method(s("%.3f"), "format", list(.double(1.2345))), s("1.234")),
  Case("%b int", method(s("%b"), "format", list(.int(5))), s("101")),
  Case("%b uint", method(s("%b"), "format", list(.uint(64))), s("1000000")),
  Case("%b bool", method(s("%b"), "format", list(t)), s("1")),
  Case("%b negative", method(s("%b"), "format", list(.int(-5))), s("-101")),
  Case("%o", method(s("%o"), "format", list(.int(11))), s("13")),
  Case("%X int", method(s("%X"), "format", list(.int(30))), s("1E")),
  Case("%x negative", method(s("%x"), "format", list(.int(-255))), s("-ff")),
  Case("%X uint", method(s("%X"), "format", list(.uint(6000))), s("1770")),
  Case("%x string", method(s("%x"), "format", strs("Hello world!")), s("48656c6c6f20776f726c6421")),
  Case("%X bytes", method(s("%X"), "format", list(.bytes([0xAB, 0x01]))), s("AB01")),
  Case("%.6e", method(s("%.6e"), "format", list(.double(1052.032911275))), s("1.052033e+03")),
  Case("%f double", method(s("%f"), "format", list(.double(2.71828))), s("2.718280")),
  Case("%f int", method(s("%f"), "format", list(.int(2))), s("2.000000")),
  Case("%e uint", method(s("%e"), "format", list(.uint(3))), s("3.000000e+00")),
  Case("%.1e negative", method(s("%.1e"), "format", list(.double(-3.14))), s("-3.1e+00")),
  Case("%e NaN", method(s("%e"), "format", list(.double(.nan))), s("NaN")),
  Case("%f Infinity", method(s("%f"), "format", list(.double(.infinity))), s("Infinity")),
  Case("%d -Infinity", method(s("%d"), "format", list(.double(-.infinity))), s("-Infinity")),
  Case("%d double", method(s("%d"), "format", list(.double(3.14))), s("3.14")),
  Case("%s null", method(s("%s"), "format", list(.null)), s("null")),
  Case("%s big int", method(s("%s"), "format", list(.int(999_999_999_999))), s("999999999999")),
  Case("%s bytes", method(s("%s"), "format", list(.bytes(Array("xyz".utf8)))), s("xyz")),
  Case(
    "%s invalid bytes", method(s("%s"), "format", list(.bytes([0x61, 0xFF, 0xFE, 0x62]))), s("a\u{FFFD}b")),
  Case(
    "%s timestamp", method(s("%s"), "format", list(ts("2023-02-03T23:31:20+00:00"))),
    s("2023-02-03T23:31:20Z")),
  Case("%s duration", method(s("%s"), "format", list(dur("1h45m47s"))), s("6347s")),
  Case("%s double", method(s("%s, %s"), "format", list(.int(32), .double(56.8))), s("32, 56.8")),
  Case("%s 1e21 double", method(s("%s"), "format", list(.double(1e21))), s("1000000000000000000000")),
  Case("%s type", method(s("%s"), "format", list(.type(.int))), s("int")),
  Case(
    "%s map sorted",
    method(
      s("%s"), "format",
      list(
        map(
          (s("key1"), .bytes(Array("xyz".utf8))), (s("key5"), .null), (s("key2"), dur("2h")), (s("key4"), t),
          (s("key3"), .double(2.71828))))),
    s("{key1: xyz, key2: 7200s, key3: 2.71828, key4: true, key5: null}")),
  Case(
    "%s mixed keys",
    method(s("%s"), "format", list(map((s("strKey"), s("x")), (.int(6), dur("422s")), (t, .int(42))))),
    s("{6: 422s, strKey: x, true: 42}")),
  Case(
    "%s list specials",
    method(s("%s"), "format", list(list(.double(.nan), .double(.infinity), .double(-.infinity)))),
    s("[NaN, Infinity, -Infinity]")),
  Case(
    "%s list", method(s("%s"), "format", list(list(.int(6), .double(4.2), s("a string")))),
    s("[6, 4.2, a string]")),
  Case("%.0f 123.0", method(s("%.0f"), "format", list(.double(123))), s("123")),
  Case("%.0f 1.5", method(s("%.0f"), "format", list(.double(1.5))), s("2")),
  Case("%.0f 2.5 (half even)", method(s("%.0f"), "format", list(.double(2.5))), s("2")),
  Case("%.3f 123.4999", method(s("%.3f"), "format", list(.double(123.4999))), s("123.500")),
  Case("%.3f 123.4994", method(s("%.3f"), "format", list(.double(123.4994))), s("123.499")),
  Case("%.3f non-ASCII template", method(s("π≈%.3f"), "format", list(.double(3.14159))), s("π≈3.142")),
  Case("%a unknown", method(s("%a"), "format", list(.int(1))), anyError),
  Case("missing argument", method(s("%d %d %d"), "format", list(.int(0), .int(1))), anyError),
  Case("%o string", method(s("octal: %o"), "format", strs("a string")), anyError),
  Case("%x double", method(s("%x"), "format", list(.double(0.5))), anyError),
  Case("%f null", method(s("%f"), "format", list(.null)), anyError),
  Case("%b null", method(s("%b"), "format", list(.null)), anyError),
  Case("trailing %", method(s("100%"), "format", list()), anyError),
]

@Test("strings extension", arguments: stringsExtensionCases)
func stringsExtension(_ c: Case) {
  #expect(c.passes)
}

@Test("string.format", arguments: formatCases)
func stringFormat(_ c: Case) {
  #expect(c.passes)
}
