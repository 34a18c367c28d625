// Every literal form and escape, checked by value (cel-spec "Syntax" and "String and Bytes Values").

import SentinelModel
import SentinelSyntax
import Testing

struct LiteralCase: CustomTestStringConvertible, Sendable {
  let source: String
  let expected: Lit
  var testDescription: String { source }
  init(_ source: String, _ expected: Lit) {
    self.source = source
    self.expected = expected
  }
}

let numberCases: [LiteralCase] = [
  .init("0", .int(0)),
  .init("42", .int(42)),
  .init("007", .int(7)),
  .init("9223372036854775807", .int(.max)),
  .init("-9223372036854775808", .int(.min)),
  .init("- 9223372036854775808", .int(.min)),
  .init("-5", .int(-5)),
  .init("- 5", .int(-5)),
  .init("0x0", .int(0)),
  .init("0xFF", .int(255)),
  .init("0xff", .int(255)),
  .init("0x7fffffffffffffff", .int(.max)),
  .init("-0x8000000000000000", .int(.min)),
  .init("-0x10", .int(-16)),
  .init("0u", .uint(0)),
  .init("0U", .uint(0)),
  .init("42u", .uint(42)),
  .init("18446744073709551615u", .uint(.max)),
  .init("0xFFFFFFFFFFFFFFFFu", .uint(.max)),
  .init("0x1fU", .uint(31)),
  .init("1.5", .dbl(1.5)),
  .init(".5", .dbl(0.5)),
  .init("0.0", .dbl(0)),
  .init("1e10", .dbl(1e10)),
  .init("1E10", .dbl(1e10)),
  .init("1e+10", .dbl(1e10)),
  .init("1.5e-3", .dbl(0.0015)),
  .init(".700e1", .dbl(7)),
  .init("7e0", .dbl(7)),
  .init("0e+0", .dbl(0)),
  .init("-1.5", .dbl(-1.5)),
  .init("-0.0", .dbl(-0.0)),
  .init("-.5", .dbl(-0.5)),
  .init("1e308", .dbl(1e308)),
  .init("1e-400", .dbl(0)),
  .init("true", .bool(true)),
  .init("false", .bool(false)),
  .init("null", .null),
]

let stringCases: [LiteralCase] = [
  .init(#"''"#, .string("")),
  .init(#""""#, .string("")),
  .init(#"'hello'"#, .string("hello")),
  .init(#""hello""#, .string("hello")),
  .init(#"'''hello'''"#, .string("hello")),
  .init(#""""hello""""#, .string("hello")),
  .init(#"'""'"#, .string(#""""#)),
  .init(#"'''x''x'''"#, .string("x''x")),
  .init(#""""a"b""c""""#, .string(#"a"b""c"#)),
  .init(#""\"""#, .string("\"")),
  .init(#""\\""#, .string("\\")),
  .init(#"r"\\""#, .string(#"\\"#)),
  .init(#"R'\d+'"#, .string(#"\d+"#)),
  .init(#"r'''a\n'b'''"#, .string(#"a\n'b"#)),
  .init(#"R"""\u0041""""#, .string(#"\u0041"#)),
  .init(#"'\a\b\f\n\r\t\v'"#, .string("\u{07}\u{08}\u{0C}\n\r\t\u{0B}")),
  .init(#"'\\ \? \" \' \`'"#, .string(#"\ ? " ' `"#)),
  .init(#"'\x41\X42\x7f'"#, .string("AB\u{7F}")),
  .init(#""\xFF""#, .string("\u{FF}")),
  .init(#""\377""#, .string("\u{FF}")),
  .init(#""\303\277""#, .string("\u{C3}\u{BF}")),
  .init(#"'\000\012\101'"#, .string("\u{0}\nA")),
  .init(#"'\u00e9\u01aB'"#, .string("\u{E9}\u{1AB}")),
  .init(#"'\U0001F62C\U00088888'"#, .string("\u{1F62C}\u{88888}")),
  .init(#"'\uFFFB'"#, .string("\u{FFFB}")),
  .init("'é😀'", .string("é😀")),
  .init("'''a\nb'''", .string("a\nb")),
  .init("'''a\r\nb'''", .string("a\nb")),
  .init("\"\"\"a\rb\"\"\"", .string("a\nb")),
  .init("'''a\\nb'''", .string("a\nb")),
  .init("r'''a\r\nb'''", .string("a\nb")),
  .init(#"'''it\'s'''"#, .string("it's")),
]

let bytesCases: [LiteralCase] = [
  .init(#"b'abc'"#, .bytes([97, 98, 99])),
  .init(#"B"abc""#, .bytes([97, 98, 99])),
  .init(#"b''"#, .bytes([])),
  .init("b\"ÿ\"", .bytes([195, 191])),
  .init(#"b"\303\277""#, .bytes([195, 191])),
  .init(#"b"\377""#, .bytes([255])),
  .init(#"b"\xff""#, .bytes([255])),
  .init(#"b'\X4a\x4B'"#, .bytes([0x4A, 0x4B])),
  .init(#"b'\000\a\n'"#, .bytes([0, 7, 10])),
  .init(#"b'''\x00'''"#, .bytes([0])),
  .init(#"b"""a"b""""#, .bytes([97, 34, 98])),
  .init(#"br'\x00'"#, .bytes(Array(#"\x00"#.utf8))),
  .init(#"bR"\u0000""#, .bytes(Array(#"\u0000"#.utf8))),
  .init(#"Br'''\n'''"#, .bytes(Array(#"\n"#.utf8))),
  .init(#"BR"x""#, .bytes([120])),
  .init("b'😀'", .bytes([0xF0, 0x9F, 0x98, 0x80])),
]

@Suite("Literals")
struct LiteralTests {
  @Test("numbers, bools and null", arguments: numberCases)
  func numbers(_ c: LiteralCase) {
    #expect(literal(c.source) == c.expected)
  }

  @Test("strings and escapes", arguments: stringCases)
  func strings(_ c: LiteralCase) {
    #expect(literal(c.source) == c.expected)
  }

  @Test("bytes and escapes", arguments: bytesCases)
  func bytes(_ c: LiteralCase) {
    #expect(literal(c.source) == c.expected)
  }

  @Test func negatedLiteralsAreFoldedButUintIsNot() throws {
    let ast = try #require(parse("-5u").0)
    guard case .call(nil, Operators.negate, let args) = ast.root.kind else {
      Issue.record("expected a negation call, got \(ast.debugString)")
      return
    }
    #expect(args.count == 1)
    // Two minus signs: a negation of the literal -5.
    let twice = try #require(parse("--5").0)
    guard case .call(nil, Operators.negate, let inner) = twice.root.kind,
      case .literal(let v) = inner[0].kind
    else {
      Issue.record("expected -_(-5), got \(twice.debugString)")
      return
    }
    #expect(Lit(v) == .int(-5))
  }

  @Test func literalSpansCoverTheSign() throws {
    let ast = try #require(parse("1 + -42").0)
    guard case .call(_, _, let args) = ast.root.kind else { return }
    #expect(ast.span(of: args[1].id) == Span(4, 7))
    #expect(ast.span(of: ast.root.id) == Span(0, 7))
  }

  @Test func tokensOfTheLexer() {
    let (tokens, diagnostics) = Lexer.tokenize(Source(text: "a.?b[?0] != 1u // c\n && `x-y` in [r'z']"))
    #expect(diagnostics.isEmpty)
    let kinds = tokens.map(\.kind)
    #expect(
      kinds == [
        .identifier("a"), .dot, .question, .identifier("b"), .leftBracket, .question, .int(0), .rightBracket,
        .notEqual, .uint(1), .and, .escapedIdentifier("x-y"), .inKeyword, .leftBracket, .string("z"),
        .rightBracket, .endOfInput,
      ])
    #expect(tokens[0].span == Span(0, 1))
    #expect(tokens[11].span == Span(24, 29))
  }

  @Test func reservedWordsAreIdentifierTokensAndKeywordsAreNot() {
    let (tokens, _) = Lexer.tokenize(Source(text: "if true null in false while"))
    #expect(
      tokens.map(\.kind) == [
        .identifier("if"), .trueKeyword, .nullKeyword, .inKeyword, .falseKeyword, .identifier("while"),
        .endOfInput,
      ])
  }

  @Test func verticalTabIsNotWhitespace() {
    #expect(parse("1\u{0B}+ 2").1.first?.code == SyntaxCode.unexpectedCharacter)
    #expect(debug("1\u{0C}+\r\n2\t") == "(1 + 2)")
  }
}
