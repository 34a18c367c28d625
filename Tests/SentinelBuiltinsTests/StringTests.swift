import SentinelBuiltins
import SentinelModel
import Testing

func s(_ x: String) -> Value { .string(x) }

let stringCases: [Case] = [
  // size
  Case("size('πέντε')", call("size", s("πέντε")), .int(5)),
  Case("'fiance\\u0301'.size()", method(s("fiance\u{301}"), "size"), .int(7)),
  Case("size('🐱😀')", call("size", s("🐱😀")), .int(2)),
  Case("size(b'\\xF0\\x9F\\xA4\\xAA')", call("size", .bytes([0xF0, 0x9F, 0xA4, 0xAA])), .int(4)),
  Case("size(list)", call("size", list(.int(1), .int(2), .int(3))), .int(3)),
  Case("map.size()", method(map((.int(1), t)), "size"), .int(1)),
  // contains / startsWith / endsWith
  Case("'Straße'.contains('aß')", method(s("Straße"), "contains", s("aß")), t),
  Case("'abababc'.contains('ababc')", method(s("abababc"), "contains", s("ababc")), t),
  Case("'hello'.contains('ol')", method(s("hello"), "contains", s("ol")), f),
  Case("''.contains('')", method(s(""), "contains", s("")), t),
  Case("'e\\u0301'.contains('e') (code points)", method(s("e\u{301}"), "contains", s("e")), t),
  Case("'завтра'.startsWith('за')", method(s("завтра"), "startsWith", s("за")), t),
  Case("'e\\u0301'.startsWith('e')", method(s("e\u{301}"), "startsWith", s("e")), t),
  Case("'🐱😀😛'.startsWith('🐱')", method(s("🐱😀😛"), "startsWith", s("🐱")), t),
  Case("''.startsWith('foo')", method(s(""), "startsWith", s("foo")), f),
  Case("'foobar'.endsWith('bar')", method(s("foobar"), "endsWith", s("bar")), t),
  Case("''.endsWith('')", method(s(""), "endsWith", s("")), t),
  Case("'a\\u0301'.endsWith('\\u0301')", method(s("a\u{301}"), "endsWith", s("\u{301}")), t),
  // matches (RE2 semantics)
  Case("'hubba'.matches('ubb')", method(s("hubba"), "matches", s("ubb")), t),
  Case("''.matches('foo|bar')", method(s(""), "matches", s("foo|bar")), f),
  Case("'cows'.matches('')", method(s("cows"), "matches", s("")), t),
  Case("matches('grey', 'gr(a|e)y')", call("matches", s("grey"), s("gr(a|e)y")), t),
  Case("'banana'.matches('ba(na)*')", method(s("banana"), "matches", s("ba(na)*")), t),
  Case("'🐱😀😀'.matches('(a|😀){2}')", method(s("🐱😀😀"), "matches", s("(a|😀){2}")), t),
  Case("'e\\u0301' matches '^e'", method(s("e\u{301}"), "matches", s("^e")), t),
  Case("'é' matches '^.$' (one code point)", method(s("\u{e9}"), "matches", s("^.$")), t),
  Case("'e\\u0301' does not match '^.$'", method(s("e\u{301}"), "matches", s("^.$")), f),
  Case("'\\r' matches '^.$'", method(s("\r"), "matches", s("^.$")), t),
  Case("'\\n' does not match '^.$'", method(s("\n"), "matches", s("^.$")), f),
  Case("(?s) lets . match \\n", method(s("a\nb"), "matches", s("(?s)a.b")), t),
  Case("'a\\n' does not match 'a$'", method(s("a\n"), "matches", s("a$")), f),
  Case("(?m)$ matches before \\n", method(s("a\nb"), "matches", s("(?m)a$")), t),
  Case("\\d is ASCII", method(s("\u{663}"), "matches", s("\\d")), f),
  Case("\\w is ASCII", method(s("é"), "matches", s("^\\w$")), f),
  Case("[[:alpha:]] is ASCII", method(s("é"), "matches", s("^[[:alpha:]]$")), f),
  Case("[[:alpha:]] matches ASCII", method(s("x"), "matches", s("^[[:alpha:]]+$")), t),
  Case("\\pL (one-letter class)", method(s("é"), "matches", s("^\\pL$")), t),
  Case("\\p{Greek}", method(s("α"), "matches", s("^\\p{Greek}$")), t),
  Case("octal escape \\101", method(s("A"), "matches", s("^\\101$")), t),
  Case("\\x{263a}", method(s("☺"), "matches", s("\\x{263a}")), t),
  Case("(?i) case folding", method(s("HELLO"), "matches", s("(?i)^hello$")), t),
  Case("named group (?P<n>)", method(s("ab"), "matches", s("(?P<first>a)b")), t),
  Case("literal {", method(s("a{"), "matches", s("a{")), t),
  Case("literal ]", method(s("a]"), "matches", s("a]")), t),
  Case("[]a] class", method(s("]"), "matches", s("^[]a]$")), t),
  Case("[[] class", method(s("["), "matches", s("^[[]$")), t),
  Case("\\Q...\\E", method(s("a.b*c"), "matches", s("\\Qa.b*c\\E")), t),
  Case("\\Q...\\E is literal", method(s("axb"), "matches", s("\\Qa.b\\E")), f),
  Case("a{2,3}", method(s("aaa"), "matches", s("^a{2,3}$")), t),
  Case("lazy a+?", method(s("aaa"), "matches", s("a+?")), t),
  Case("non-capturing group", method(s("abab"), "matches", s("^(?:ab)+$")), t),
  Case("scoped flags", method(s("ABc"), "matches", s("^(?i:ab)c$")), t),
  Case("scoped flags end", method(s("ABC"), "matches", s("^(?i:ab)c$")), f),
  Case("negated flag", method(s("a\nb"), "matches", s("(?s)a(?-s:.)b")), f),
  Case("empty flags rejected", method(s("a"), "matches", s("(?)a")), anyError),
  Case("alternation with anchors", method(s("2023-01-05"), "matches", s("^\\d{4}-\\d{2}-\\d{2}$")), t),
  Case("card number pattern", method(s("4111 1111 1111 1111"), "matches", s("^(?:\\d{4} ?){4}$")), t),
  Case(
    "email-like pattern", method(s("a.b@example.com"), "matches", s("^[\\w.+-]+@[\\w-]+\\.[a-z]{2,}$")), t),
  Case("invalid pattern", method(s("abc"), "matches", s("(")), anyError),
  Case("invalid class", method(s("abc"), "matches", s("[z-a]")), anyError),
  Case("lookahead rejected", method(s("ab"), "matches", s("a(?=b)")), anyError),
  Case("lookbehind rejected", method(s("ab"), "matches", s("(?<=a)b")), anyError),
  Case("backreference rejected", method(s("aa"), "matches", s("(a)\\1")), anyError),
  Case("possessive rejected", method(s("aa"), "matches", s("a*+")), anyError),
  Case("double repetition rejected", method(s("aa"), "matches", s("a**")), anyError),
  Case("repeat > 1000 rejected", method(s("aa"), "matches", s("a{1001}")), anyError),
  Case("unknown flag rejected", method(s("aa"), "matches", s("(?x)a")), anyError),
  Case("\\Z rejected", method(s("a"), "matches", s("a\\Z")), anyError),
  Case("\\8 rejected", method(s("a"), "matches", s("\\8")), anyError),
]

@Test("string functions and regular expressions", arguments: stringCases)
func strings(_ c: Case) {
  #expect(c.passes)
}

@Test func regexCacheIsThreadSafe() async {
  await withTaskGroup(of: Bool.self) { group in
    for i in 0..<64 {
      group.addTask {
        let pattern = "^x\(i % 8)+$"
        return same(method(s("x\(i % 8)"), "matches", s(pattern)), t)
      }
    }
    for await ok in group { #expect(ok) }
  }
}
