// Error cases: each with its code and span, and the limits.

import SentinelModel
import SentinelSyntax
import Testing

struct ErrorCase: CustomTestStringConvertible, Sendable {
  let source: String
  let code: String
  let span: Span
  var testDescription: String { "\(code): \(source.debugDescription)" }
  init(_ source: String, _ code: String, _ start: Int, _ end: Int) {
    self.source = source
    self.code = code
    span = Span(start, end)
  }
}

let errorCases: [ErrorCase] = [
  // E0001 unexpected token
  .init("", SyntaxCode.unexpectedToken, 0, 0),
  .init("1 +", SyntaxCode.unexpectedToken, 3, 3),
  .init("(1", SyntaxCode.unexpectedToken, 2, 2),
  .init("a b", SyntaxCode.unexpectedToken, 2, 3),
  .init("f(a,)", SyntaxCode.unexpectedToken, 4, 5),
  .init("f(,)", SyntaxCode.unexpectedToken, 2, 3),
  .init("[1 2]", SyntaxCode.unexpectedToken, 3, 4),
  .init("{1 2}", SyntaxCode.unexpectedToken, 3, 4),
  .init("{1: }", SyntaxCode.unexpectedToken, 4, 5),
  .init("a[1", SyntaxCode.unexpectedToken, 3, 3),
  .init("1 ? 2 ? 3 : 4 : 5", SyntaxCode.unexpectedToken, 6, 7),
  .init("1 ? 2", SyntaxCode.unexpectedToken, 5, 5),
  .init("a.true", SyntaxCode.unexpectedToken, 2, 6),
  .init("a.in", SyntaxCode.unexpectedToken, 2, 4),
  .init("a.", SyntaxCode.unexpectedToken, 2, 2),
  .init("1.", SyntaxCode.unexpectedToken, 2, 2),
  .init("a.5", SyntaxCode.unexpectedToken, 1, 3),
  .init("-!a", SyntaxCode.unexpectedToken, 1, 2),
  .init("!-a", SyntaxCode.unexpectedToken, 1, 2),
  .init(".(a)", SyntaxCode.unexpectedToken, 1, 2),
  .init("M{1: 2}", SyntaxCode.unexpectedToken, 2, 3),
  .init("M{a 2}", SyntaxCode.unexpectedToken, 4, 5),
  .init("a.?b(c)", SyntaxCode.unexpectedToken, 4, 5),
  .init("1 == == 2", SyntaxCode.unexpectedToken, 5, 7),
  .init("true(1)", SyntaxCode.unexpectedToken, 4, 5),
  .init("[1].map(x, x)(1)", SyntaxCode.unexpectedToken, 13, 14),
  .init("rb 'x'", SyntaxCode.unexpectedToken, 3, 6),
  // E0002 unexpected character
  .init("#", SyntaxCode.unexpectedCharacter, 0, 1),
  .init("a = b", SyntaxCode.unexpectedCharacter, 2, 3),
  .init("a & b", SyntaxCode.unexpectedCharacter, 2, 3),
  .init("a | b", SyntaxCode.unexpectedCharacter, 2, 3),
  .init("é", SyntaxCode.unexpectedCharacter, 0, 2),
  .init("a $ b", SyntaxCode.unexpectedCharacter, 2, 3),
  .init("1\u{0}", SyntaxCode.unexpectedCharacter, 1, 2),
  // E0003 unterminated string
  .init("'abc", SyntaxCode.unterminatedString, 0, 4),
  .init("\"abc\ndef\"", SyntaxCode.unterminatedString, 0, 4),
  .init("'''abc''", SyntaxCode.unterminatedString, 0, 8),
  .init("b'abc", SyntaxCode.unterminatedString, 0, 5),
  .init(#"r'\''"#, SyntaxCode.unterminatedString, 4, 5),
  .init("'a\rb'", SyntaxCode.unterminatedString, 0, 2),
  // E0004 invalid escape
  .init(#"'a\sb'"#, SyntaxCode.invalidEscape, 2, 4),
  .init(#"'\x4'"#, SyntaxCode.invalidEscape, 1, 4),
  .init(#"'\u12'"#, SyntaxCode.invalidEscape, 1, 5),
  .init(#"'\U0001F6'"#, SyntaxCode.invalidEscape, 1, 9),
  .init(#"'\400'"#, SyntaxCode.invalidEscape, 1, 3),
  .init(#"'\08'"#, SyntaxCode.invalidEscape, 1, 3),
  .init(#"'\é'"#, SyntaxCode.invalidEscape, 1, 4),
  .init(#"b'\u00ff'"#, SyntaxCode.invalidEscape, 2, 8),
  .init(#"b'\U000000ff'"#, SyntaxCode.invalidEscape, 2, 12),
  .init("'''\\\n'''", SyntaxCode.invalidEscape, 3, 4),
  // E0005 invalid code point
  .init(#"'\uD800'"#, SyntaxCode.invalidCodePoint, 1, 7),
  .init(#"'\uD83D\uDE03'"#, SyntaxCode.invalidCodePoint, 1, 7),
  .init(#"'\UD83DDE03'"#, SyntaxCode.invalidCodePoint, 1, 11),
  .init(#"'\U00110000'"#, SyntaxCode.invalidCodePoint, 1, 11),
  // E0006 int out of range
  .init("9223372036854775808", SyntaxCode.intOutOfRange, 0, 19),
  .init("-9223372036854775809", SyntaxCode.intOutOfRange, 0, 20),
  .init("99999999999999999999", SyntaxCode.intOutOfRange, 0, 20),
  .init("0x8000000000000000", SyntaxCode.intOutOfRange, 0, 18),
  .init("18446744073709551616u", SyntaxCode.intOutOfRange, 0, 21),
  .init("0x10000000000000000u", SyntaxCode.intOutOfRange, 0, 20),
  .init("-(9223372036854775808)", SyntaxCode.intOutOfRange, 2, 21),
  // E0007 malformed number
  .init("0x", SyntaxCode.invalidNumber, 0, 2),
  .init("0X1F", SyntaxCode.invalidNumber, 0, 2),
  .init("1e999", SyntaxCode.invalidNumber, 0, 5),
  // E0008 reserved identifier
  .init("if", SyntaxCode.reservedIdentifier, 0, 2),
  .init("a + while", SyntaxCode.reservedIdentifier, 4, 9),
  .init("package(1)", SyntaxCode.reservedIdentifier, 0, 7),
  .init(".var", SyntaxCode.reservedIdentifier, 1, 4),
  .init("[1].all(as, true)", SyntaxCode.reservedIdentifier, 8, 10),
  .init("let.x{}", SyntaxCode.reservedIdentifier, 0, 3),
  // E0009 backquoted identifiers
  .init("`a`", SyntaxCode.invalidEscapedIdentifier, 0, 3),
  .init("a.`b`()", SyntaxCode.invalidEscapedIdentifier, 2, 5),
  .init("a.``", SyntaxCode.invalidEscapedIdentifier, 2, 4),
  .init("a.`b", SyntaxCode.invalidEscapedIdentifier, 2, 4),
  .init("a.`b+c`", SyntaxCode.invalidEscapedIdentifier, 4, 5),
  // E0010 literal prefix
  .init("rb'x'", SyntaxCode.invalidLiteralPrefix, 0, 2),
  .init("RB\"x\"", SyntaxCode.invalidLiteralPrefix, 0, 2),
  // E0013 optional syntax disabled (see `optionalSyntaxDisabled`)
  // E0014 invalid macro argument
  .init("has(a)", SyntaxCode.invalidMacroArgument, 4, 5),
  .init("has(a[0])", SyntaxCode.invalidMacroArgument, 4, 8),
  .init("has(a.?b)", SyntaxCode.invalidMacroArgument, 4, 8),
  .init("has(has(a.b))", SyntaxCode.invalidMacroArgument, 4, 12),
  // E0015 macro variable not simple
  .init("[].all(a.b, true)", SyntaxCode.macroVariableNotSimple, 7, 10),
  .init("[].map(1, 2)", SyntaxCode.macroVariableNotSimple, 7, 8),
  .init("[].exists(.x, true)", SyntaxCode.macroVariableNotSimple, 10, 12),
  .init("[].all(i, f(v), true)", SyntaxCode.macroVariableNotSimple, 10, 14),
  .init("cel.bind(a.b, 1, 2)", SyntaxCode.macroVariableNotSimple, 9, 12),
  .init("o.optMap(1, 2)", SyntaxCode.macroVariableNotSimple, 9, 10),
  // E0016 invalid macro variable
  .init("[].all(__result__, true)", SyntaxCode.invalidMacroVariable, 7, 17),
  .init("[].all(x, x, true)", SyntaxCode.invalidMacroVariable, 10, 11),
  .init("m.transformMap(k, __result__, 1)", SyntaxCode.invalidMacroVariable, 18, 28),
]

@Suite("Diagnostics")
struct DiagnosticTests {
  @Test("error codes and spans", arguments: errorCases)
  func errorCase(_ c: ErrorCase) {
    let (ast, diagnostics) = parse(c.source)
    #expect(ast == nil)
    let first = diagnostics.first
    #expect(first?.code == c.code, "\(diagnostics)")
    #expect(first?.span == c.span, "\(diagnostics)")
    #expect(first?.severity == .error)
  }

  @Test("messages are lowercase one-liners", arguments: errorCases)
  func messageStyle(_ c: ErrorCase) throws {
    for d in parse(c.source).1 {
      let first = try #require(d.message.first)
      #expect(!first.isUppercase, "\(d.message)")
      #expect(!d.message.contains("\n"))
    }
  }

  @Test func messagesQuoteTheInput() {
    #expect(parse("a b").1.first?.message == "unexpected `b` after the end of the expression")
    #expect(parse("if").1.first?.message == "reserved identifier `if`")
    #expect(parse("(1").1.first?.message == "expected `)`, found end of input")
    #expect(parse(#"'\q'"#).1.first?.message == #"invalid escape sequence `\q`"#)
    #expect(
      parse("[].all(a.b, true)").1.first?.message
        == "the variable of `all` must be a simple identifier, found `a.b`")
    #expect(
      parse("9223372036854775808").1.first?.message == "int literal `9223372036854775808` is out of range")
  }

  @Test func independentErrorsAreAllReportedInOrder() {
    let (ast, diagnostics) = parse("if + 9223372036854775808 + has(a) + '\\s' + `x`")
    #expect(ast == nil)
    #expect(
      diagnostics.map(\.code) == [
        SyntaxCode.reservedIdentifier, SyntaxCode.intOutOfRange, SyntaxCode.invalidMacroArgument,
        SyntaxCode.invalidEscape, SyntaxCode.invalidEscapedIdentifier,
      ])
  }

  @Test func aSyntaxErrorStopsParsingWithoutCascades() {
    let (_, diagnostics) = parse("a + + b ) ] c d")
    #expect(diagnostics.count == 1)
    // A lexical error is not repeated as a syntax error.
    let (_, lexical) = parse("a + #")
    #expect(lexical.map(\.code) == [SyntaxCode.unexpectedCharacter])
    let (_, unterminated) = parse("f('abc")
    #expect(unterminated.map(\.code) == [SyntaxCode.unterminatedString])
  }

  @Test(arguments: ["a.?b", "a[?0]", "[?a]", "{?a: b}", "M{?f: 1}"])
  func optionalSyntaxDisabled(_ source: String) {
    let (ast, diagnostics) = parse(source, ParseOptions(enableOptionalSyntax: false))
    #expect(ast == nil)
    #expect(diagnostics.map(\.code) == [SyntaxCode.optionalSyntaxDisabled])
    #expect(parse(source).0 != nil)
  }

  @Test func nestingDepthIsLimited() {
    for (open, close) in [("(", ")"), ("[", "]"), ("f(", ")"), ("{1: ", "}"), ("M{f: ", "}"), ("-(", ")")] {
      let deep = String(repeating: open, count: 300) + "1" + String(repeating: close, count: 300)
      let (ast, diagnostics) = parse(deep)
      #expect(ast == nil)
      #expect(diagnostics.map(\.code) == [SyntaxCode.nestingTooDeep], "\(open)")
    }
    for chain in [
      "a" + String(repeating: ".b", count: 300), "a" + String(repeating: "[0]", count: 300),
      String(repeating: "!", count: 300) + "a", String(repeating: "-", count: 300) + "a",
      Array(repeating: "1", count: 300).joined(separator: " + "),
      Array(repeating: "a ? b :", count: 300).joined(separator: " ") + " c",
    ] {
      #expect(parse(chain).1.map(\.code) == [SyntaxCode.nestingTooDeep], "\(chain.prefix(20))")
    }
    // The limit is configurable, and exactly `maxRecursionDepth` levels are accepted.
    let options = ParseOptions(maxRecursionDepth: 10)
    let nine = String(repeating: "(", count: 9) + "1" + String(repeating: ")", count: 9)
    let ten = String(repeating: "(", count: 10) + "1" + String(repeating: ")", count: 10)
    #expect(parse(nine, options).0 != nil)
    #expect(parse(ten, options).1.map(\.code) == [SyntaxCode.nestingTooDeep])
  }

  @Test func deepestAcceptedNestingDoesNotExhaustTheStack() {
    // Every construct at the default limit (250): the parser and the recursive passes over
    // the result (span collection, debugString) must survive on a test thread.
    let n = 240
    let sources = [
      String(repeating: "f(", count: n) + "1" + String(repeating: ")", count: n),
      String(repeating: "[", count: n) + String(repeating: "]", count: n),
      String(repeating: "M{f: ", count: n) + "1" + String(repeating: "}", count: n),
      String(repeating: "{1: ", count: n) + "1" + String(repeating: "}", count: n),
      String(repeating: "x.all(y, ", count: n / 2) + "true" + String(repeating: ")", count: n / 2),
      String(repeating: "o.optMap(y, ", count: n / 2) + "y" + String(repeating: ")", count: n / 2),
    ]
    for source in sources {
      let (ast, diagnostics) = parse(source)
      #expect(diagnostics.isEmpty, "\(source.prefix(20)): \(diagnostics)")
      if let ast {
        #expect(checkInvariants(ast) == nil)
        #expect(!ast.debugString.isEmpty)
      }
    }
  }

  @Test func expressionSizeIsLimited() {
    let options = ParseOptions(maxExpressionCodePoints: 10)
    #expect(parse("1 + 2 + 3 + 4", options).1.map(\.code) == [SyntaxCode.expressionTooLarge])
    // Code points, not bytes: five two-byte characters fit in a limit of 7.
    #expect(parse("'ééééé'", ParseOptions(maxExpressionCodePoints: 7)).0 != nil)
    let big = "[" + Array(repeating: "1", count: 60_000).joined(separator: ",") + "]"
    #expect(parse(big).1.map(\.code) == [SyntaxCode.expressionTooLarge])
  }

  @Test func diagnosticsRenderWithACaret() {
    let source = Source(name: "rule.cel", text: "a &&\n  if")
    let (_, diagnostics) = CELParser.parse(source)
    let rendered = diagnostics.first?.render(in: source)
    #expect(
      rendered == """
        rule.cel:2:3: error[E0008]: reserved identifier `if`
          |
        2 |   if
          |   ^^
          = help: reserved words can be field names (a.if) but not variables or functions

        """)
  }
}
