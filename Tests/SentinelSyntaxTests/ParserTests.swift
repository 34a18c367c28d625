// Precedence, associativity and the shape of every construct, through `debugString`.

import SentinelModel
import SentinelSyntax
import Testing

struct ShapeCase: CustomTestStringConvertible, Sendable {
  let source: String
  let expected: String
  var testDescription: String { source }
  init(_ source: String, _ expected: String) {
    self.source = source
    self.expected = expected
  }
}

let precedenceCases: [ShapeCase] = [
  .init("a || b && c", "(a || (b && c))"),
  .init("a && b || c", "((a && b) || c)"),
  .init("a || b || c", "((a || b) || c)"),
  .init("a || b || c || d", "((a || b) || (c || d))"),
  .init("a && b && c && d && e", "(((a && b) && c) && (d && e))"),
  .init("a + b * c", "(a + (b * c))"),
  .init("a * b + c", "((a * b) + c)"),
  .init("a - b - c", "((a - b) - c)"),
  .init("a / b % c * d", "(((a / b) % c) * d)"),
  .init("1 + 2 * 3 - 4 / 5 % 6", "((1 + (2 * 3)) - ((4 / 5) % 6))"),
  .init("(a + b) * c", "((a + b) * c)"),
  .init("a < b == c", "((a < b) == c)"),
  .init("a <= b != c >= d", "(((a <= b) != c) >= d)"),
  .init("a + 1 > b * 2", "((a + 1) > (b * 2))"),
  .init("a in b && c in d", "((a in b) && (c in d))"),
  .init("x in [1, 2] == true", "((x in [1, 2]) == true)"),
  .init("a ? b : c", "(a ? b : c)"),
  .init("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
  .init("a || b ? c && d : e || f", "((a || b) ? (c && d) : (e || f))"),
  .init("!a && b", "(!a && b)"),
  .init("!a.b", "!a.b"),
  .init("!!a", "!!a"),
  .init("-a.b", "-a.b"),
  .init("--a", "--a"),
  .init("-a * b", "(-a * b)"),
  .init("- - a", "--a"),
  .init("1 - -1", "(1 - -1)"),
  .init("1--1", "(1 - -1)"),
  .init("2 - 1", "(2 - 1)"),
  .init("-(5)", "-(5)"),
  .init("-(-5)", "--5"),
  .init("!-5", "!-5"),
  .init("-5.abs()", "-5.abs()"),
  .init("(-a).b", "(-a).b"),
  .init("(!a)[0]", "(!a)[0]"),
  .init("(a)", "a"),
  .init("((((1))))", "1"),
]

let constructCases: [ShapeCase] = [
  .init("a.b.c", "a.b.c"),
  .init(".a.b", ".a.b"),
  .init(".a", ".a"),
  .init("a.b(c)", "a.b(c)"),
  .init("a.b.c(d)[e].f", "a.b.c(d)[e].f"),
  .init("f()", "f()"),
  .init("f(a, b)", "f(a, b)"),
  .init(".f(a)", ".f(a)"),
  .init("a.f()", "a.f()"),
  .init("a[0][1]", "a[0][1]"),
  .init("a.?b", "a.?b"),
  .init("a.?b.c", "a.?b.c"),
  .init("a[?0]", "a[?0]"),
  .init("a.? b", "a.?b"),
  .init("[]", "[]"),
  .init("[,]", "[]"),
  .init("[1, ?a, 2,]", "[1, ?a, 2]"),
  .init("{}", "{}"),
  .init("{,}", "{}"),
  .init("{1: 2, ?3: 4,}", "{1: 2, ?3: 4}"),
  .init("{'a': {'b': [1]}}", "{\"a\": {\"b\": [1]}}"),
  .init("A{}", "A{}"),
  .init("A.B{c: 1, ?d: 2,}", "A.B{c: 1, ?d: 2}"),
  .init(".a.B{c: 1}", ".a.B{c: 1}"),
  .init("A{`in`: true}.`in`", "A{`in`: true}.`in`"),
  .init("a.`b-c`", "a.`b-c`"),
  .init("a.`foo.txt`.`a b/c`", "a.`foo.txt`.`a b/c`"),
  .init("a.?`b-c`", "a.?`b-c`"),
  .init("a.if", "a.if"),
  .init("a.package()", "a.package()"),
  .init("A{as: 1, while: 2}", "A{as: 1, while: 2}"),
  .init("x // comment\n + 1", "(x + 1)"),
  .init("// leading\nx", "x"),
  .init(
    "[\n.\ncel.\nexpr\n.TestAllTypes\n{\nsingle_int64\n:\n17\n}\n.\nsingle_int64\n]",
    "[.cel.expr.TestAllTypes{single_int64: 17}.single_int64]"),
  .init("'a' + \"b\"", "(\"a\" + \"b\")"),
  .init("b'\\x00\\xff'", "b\"\\x00\\xff\""),
  .init("1.5 + 1e20 + 2u", "((1.5 + 1e+20) + 2u)"),
  .init("a.b{c: 1}.d", "a.b{c: 1}.d"),
]

@Suite("Parser")
struct ParserTests {
  @Test("precedence and associativity", arguments: precedenceCases)
  func precedence(_ c: ShapeCase) {
    #expect(debug(c.source) == c.expected)
  }

  @Test("constructs", arguments: constructCases)
  func constructs(_ c: ShapeCase) {
    #expect(debug(c.source) == c.expected)
  }

  @Test("debug strings parse back to themselves", arguments: precedenceCases + constructCases)
  func roundTrip(_ c: ShapeCase) {
    let once = debug(c.source)
    #expect(debug(once) == once)
  }

  @Test func operatorsAreCallsWithTheOperatorNames() throws {
    let cases: [(String, String)] = [
      ("a ? b : c", Operators.conditional), ("a && b", Operators.logicalAnd),
      ("a || b", Operators.logicalOr), ("!a", Operators.logicalNot), ("a == b", Operators.equals),
      ("a != b", Operators.notEquals), ("a < b", Operators.less), ("a <= b", Operators.lessEquals),
      ("a > b", Operators.greater), ("a >= b", Operators.greaterEquals), ("a + b", Operators.add),
      ("a - b", Operators.subtract), ("a * b", Operators.multiply), ("a / b", Operators.divide),
      ("a % b", Operators.modulo), ("-a", Operators.negate), ("a[b]", Operators.index),
      ("a[?b]", Operators.optionalIndex), ("a.?b", Operators.optionalSelect), ("a in b", Operators.in),
    ]
    for (source, name) in cases {
      let ast = try #require(parse(source).0)
      guard case .call(nil, let function, _) = ast.root.kind else {
        Issue.record("\(source) is not a global call")
        continue
      }
      #expect(function == name, "\(source)")
    }
  }

  @Test func selectsAndIdentsHaveTheirNames() throws {
    let ast = try #require(parse(".a.b.c").0)
    guard case .select(let ab, "c", false) = ast.root.kind, case .select(let a, "b", false) = ab.kind,
      case .ident(".a") = a.kind
    else {
      Issue.record("unexpected shape \(ast.debugString)")
      return
    }
    let call = try #require(parse("x.f(1, 2)").0)
    guard case .call(let target?, "f", let args) = call.root.kind, case .ident("x") = target.kind else {
      Issue.record("unexpected shape \(call.debugString)")
      return
    }
    #expect(args.count == 2)
    let opt = try #require(parse("a.?b").0)
    guard case .call(nil, Operators.optionalSelect, let optArgs) = opt.root.kind,
      case .literal(.string("b")) = optArgs[1].kind
    else {
      Issue.record("unexpected shape \(opt.debugString)")
      return
    }
  }

  @Test func aggregatesRecordOptionalMarkers() throws {
    let list = try #require(parse("[a, ?b, c, ?d]").0)
    guard case .list(let elements, let optionals) = list.root.kind else { return }
    #expect(elements.count == 4)
    #expect(optionals == [1, 3])
    let map = try #require(parse("{a: 1, ?b: 2}").0)
    guard case .map(let entries) = map.root.kind else { return }
    #expect(entries.map(\.optional) == [false, true])
    let message = try #require(parse("pkg.Msg{f: 1, ?g: 2}").0)
    guard case .structure("pkg.Msg", let fields) = message.root.kind else { return }
    #expect(fields.map(\.name) == ["f", "g"])
    #expect(fields.map(\.optional) == [false, true])
  }

  @Test func spansAreUTF8ByteRanges() throws {
    let source = "'é' + foo.bar[0]"
    let ast = try #require(parse(source).0)
    #expect(ast.span(of: ast.root.id) == Span(0, 17))
    guard case .call(_, _, let args) = ast.root.kind else { return }
    #expect(ast.span(of: args[0].id) == Span(0, 4))
    #expect(ast.span(of: args[1].id) == Span(7, 17))
    guard case .call(_, _, let indexArgs) = args[1].kind else { return }
    #expect(ast.span(of: indexArgs[0].id) == Span(7, 14))
    #expect(ast.span(of: indexArgs[1].id) == Span(15, 16))
  }

  @Test func mapEntriesAndFieldsHaveIDsAndSpans() throws {
    let ast = try #require(parse("{1: 2, ?3: x}").0)
    guard case .map(let entries) = ast.root.kind else { return }
    #expect(ast.span(of: entries[0].id) == Span(1, 5))
    #expect(ast.span(of: entries[1].id) == Span(7, 12))
    let msg = try #require(parse("M{a: 1}").0)
    guard case .structure(_, let fields) = msg.root.kind else { return }
    #expect(msg.span(of: fields[0].id) == Span(2, 6))
    #expect(msg.span(of: msg.root.id) == Span(0, 7))
  }

  @Test func idsAreUniqueAndSpansComplete() throws {
    for source in [
      "a.b.c(d, [1, 2], {3: 4})[?e] ? f : M{x: 1}", "[1, 2].map(x, x * 2).filter(y, y > 2)",
      "o.optMap(v, v + 1)", "cel.bind(a, 1, a + a)", "{'a': 1}.transformMap(k, v, v + 1)",
    ] {
      let ast = try #require(parse(source).0)
      #expect(checkInvariants(ast) == nil, "\(source)")
    }
  }

  @Test func theSpecMinimumsParse() {
    let ors = Array(repeating: "a", count: 32).joined(separator: " || ")
    let ands = Array(repeating: "a", count: 32).joined(separator: " && ")
    let args = "f(" + Array(repeating: "1", count: 32).joined(separator: ", ") + ")"
    let ternaries = Array(repeating: "a ? b :", count: 24).joined(separator: " ") + " c"
    let sums = Array(repeating: "1", count: 25).joined(separator: " + ")
    let relations = Array(repeating: "1", count: 25).joined(separator: " < ")
    let calls = String(repeating: "f(", count: 12) + "1" + String(repeating: ")", count: 12)
    let selects = "a" + String(repeating: ".b", count: 12)
    let indexes = "a" + String(repeating: "[0]", count: 12)
    let lists = String(repeating: "[", count: 12) + String(repeating: "]", count: 12)
    let maps = String(repeating: "{1: ", count: 12) + "1" + String(repeating: "}", count: 12)
    let messages = String(repeating: "M{f: ", count: 12) + "1" + String(repeating: "}", count: 12)
    for source in [
      ors, ands, args, ternaries, sums, relations, calls, selects, indexes, lists, maps, messages,
    ] {
      let (ast, diagnostics) = parse(source)
      #expect(ast != nil && diagnostics.isEmpty, "\(source.prefix(40))")
    }
  }

  @Test func longButShallowExpressionsParseFast() throws {
    let elements = (0..<15_000).map(String.init).joined(separator: ",")
    let source =
      "[" + elements + "].exists(x, x == 14999) && "
      + Array(repeating: "a", count: 2_000).joined(separator: " || ")
    #expect(source.utf8.count < 100_000)
    let clock = ContinuousClock()
    let elapsed = clock.measure { _ = parse(source) }
    let ast = try #require(parse(source).0)
    #expect(checkInvariants(ast) == nil)
    #expect(elapsed < .seconds(2), "parsing \(source.utf8.count) bytes took \(elapsed)")
  }
}
