// The expansion of every macro, as cel-go expands it.

import SentinelModel
import SentinelSyntax
import Testing

let macroCases: [ShapeCase] = [
  .init("has(a.b)", "has(a.b)"),
  .init("has(a.b.c)", "has(a.b.c)"),
  .init("has({}.?x.y)", "has({}.?x.y)"),
  .init(
    "[1].all(x, x > 0)",
    "__comprehension__(x, [1], @result, true, @not_strictly_false(@result), (@result && (x > 0)), @result)"),
  .init(
    "[1].exists(x, x > 0)",
    "__comprehension__(x, [1], @result, false, @not_strictly_false(!@result), (@result || (x > 0)), @result)"),
  .init(
    "[1].exists_one(x, x > 0)",
    "__comprehension__(x, [1], @result, 0, true, ((x > 0) ? (@result + 1) : @result), (@result == 1))"),
  .init("[1].map(x, x * 2)", "__comprehension__(x, [1], @result, [], true, (@result + [(x * 2)]), @result)"),
  .init(
    "[1].map(x, x > 0, x * 2)",
    "__comprehension__(x, [1], @result, [], true, ((x > 0) ? (@result + [(x * 2)]) : @result), @result)"),
  .init(
    "[1].filter(x, x > 0)",
    "__comprehension__(x, [1], @result, [], true, ((x > 0) ? (@result + [x]) : @result), @result)"),
  .init(
    "[1].all(i, v, i < v)",
    "__comprehension__(i, v, [1], @result, true, @not_strictly_false(@result), (@result && (i < v)), @result)"
  ),
  .init(
    "[1].exists(i, v, i < v)",
    "__comprehension__(i, v, [1], @result, false, @not_strictly_false(!@result), (@result || (i < v)), @result)"
  ),
  .init(
    "[1].existsOne(i, v, i < v)",
    "__comprehension__(i, v, [1], @result, 0, true, ((i < v) ? (@result + 1) : @result), (@result == 1))"),
  .init(
    "[1].exists_one(i, v, i < v)",
    "__comprehension__(i, v, [1], @result, 0, true, ((i < v) ? (@result + 1) : @result), (@result == 1))"),
  .init(
    "[1].transformList(i, v, i + v)",
    "__comprehension__(i, v, [1], @result, [], true, (@result + [(i + v)]), @result)"),
  .init(
    "[1].transformList(i, v, i > 0, v)",
    "__comprehension__(i, v, [1], @result, [], true, ((i > 0) ? (@result + [v]) : @result), @result)"),
  .init(
    "m.transformMap(k, v, v + 1)",
    "__comprehension__(k, v, m, @result, {}, true, cel.@mapInsert(@result, k, (v + 1)), @result)"),
  .init(
    "m.transformMap(k, v, v > 0, v + 1)",
    "__comprehension__(k, v, m, @result, {}, true, ((v > 0) ? cel.@mapInsert(@result, k, (v + 1)) : @result), @result)"
  ),
  .init(
    "m.transformMapEntry(k, v, {v: k})",
    "__comprehension__(k, v, m, @result, {}, true, cel.@mapInsert(@result, {v: k}), @result)"),
  .init(
    "m.transformMapEntry(k, v, k != v, {v: k})",
    "__comprehension__(k, v, m, @result, {}, true, ((k != v) ? cel.@mapInsert(@result, {v: k}) : @result), @result)"
  ),
  .init("cel.bind(x, 1, x + x)", "__comprehension__(#unused, [], x, 1, false, x, (x + x))"),
  .init(
    "o.optMap(y, y + 1)",
    "(o.hasValue() ? optional.of(__comprehension__(#unused, [], y, o.value(), false, y, (y + 1))) : optional.none())"
  ),
  .init(
    "o.optFlatMap(y, y.?z)",
    "(o.hasValue() ? __comprehension__(#unused, [], y, o.value(), false, y, y.?z) : optional.none())"),
  .init(
    "[[1]].all(x, x.exists(y, y > 0))",
    "__comprehension__(x, [[1]], @result, true, @not_strictly_false(@result), (@result && __comprehension__(y, x, @result, false, @not_strictly_false(!@result), (@result || (y > 0)), @result)), @result)"
  ),
  // Not macros: wrong style, name, count or namespace.
  .init("x.has(a.b)", "x.has(a.b)"),
  .init("has(a.b, c)", "has(a.b, c)"),
  .init("all(x, p)", "all(x, p)"),
  .init("[1].existsOne(x, x > 0)", "[1].existsOne(x, (x > 0))"),
  .init("[1].map(x)", "[1].map(x)"),
  .init("[1].filter(i, v, p)", "[1].filter(i, v, p)"),
  .init("[1].transformList(i, v)", "[1].transformList(i, v)"),
  .init("foo.bind(a, 1, 2)", "foo.bind(a, 1, 2)"),
  .init("bind(a, 1, 2)", "bind(a, 1, 2)"),
  .init("o.optMap(y)", "o.optMap(y)"),
  .init("cel.block([1], cel.index(0))", "cel.block([1], cel.index(0))"),
]

@Suite("Macros")
struct MacroTests {
  @Test("expansions", arguments: macroCases)
  func expansion(_ c: ShapeCase) {
    #expect(debug(c.source) == c.expected)
  }

  @Test(
    "macros stay calls when disabled",
    arguments: [
      "has(a.b)", "[1].all(x, (x > 0))", "[1].map(x, x, x)", "cel.bind(x, 1, x)", "o.optMap(y, y)",
      "m.transformMap(k, v, v)",
    ])
  func disabled(_ source: String) throws {
    let ast = try #require(parse(source, ParseOptions(enableMacros: false)).0)
    guard case .call = ast.root.kind else {
      Issue.record("\(source) was expanded: \(ast.debugString)")
      return
    }
    #expect(ast.debugString == source)
  }

  @Test func expansionsHaveTheMacroCallSpan() throws {
    let source = "xs.all(x, x > 0)"
    let ast = try #require(parse(source).0)
    guard case .comprehension(let c) = ast.root.kind else {
      Issue.record("not a comprehension: \(ast.debugString)")
      return
    }
    let whole = Span(0, 16)
    #expect(ast.span(of: ast.root.id) == whole)
    #expect(ast.span(of: c.accuInit.id) == whole)
    #expect(ast.span(of: c.loopCondition.id) == whole)
    #expect(ast.span(of: c.result.id) == whole)
    // User-written parts keep their own spans.
    #expect(ast.span(of: c.iterRange.id) == Span(0, 2))
    guard case .call(_, _, let stepArgs) = c.loopStep.kind else { return }
    #expect(ast.span(of: stepArgs[1].id) == Span(10, 15))
    #expect(c.accuVar == MacroNames.accumulator)
    #expect(c.iterVar == "x" && c.iterVar2 == nil)
  }

  @Test func hasIsATestOnlySelect() throws {
    let ast = try #require(parse("has(a.b)").0)
    guard case .select(let operand, "b", true) = ast.root.kind, case .ident("a") = operand.kind else {
      Issue.record("unexpected \(ast.debugString)")
      return
    }
    #expect(ast.span(of: ast.root.id) == Span(0, 8))
  }

  @Test func twoVariableMacrosSetTheSecondVariable() throws {
    let ast = try #require(parse("{'a': 1}.all(k, v, v > 0)").0)
    guard case .comprehension(let c) = ast.root.kind else { return }
    #expect(c.iterVar == "k")
    #expect(c.iterVar2 == "v")
  }

  @Test func optMapCopiesItsTargetWithFreshIDs() throws {
    let ast = try #require(parse("a.b.optMap(x, x)").0)
    #expect(checkInvariants(ast) == nil)
    guard case .call(nil, Operators.conditional, let args) = ast.root.kind,
      case .call(let hasTarget?, "hasValue", _) = args[0].kind
    else {
      Issue.record("unexpected \(ast.debugString)")
      return
    }
    #expect(ast.span(of: hasTarget.id) == Span(0, 3))
  }

  @Test func blockExtensionMacros() {
    let options = ParseOptions(enableBlockExtension: true)
    #expect(
      debug("cel.block([1, cel.index(0) + 1], cel.index(1))", options)
        == "cel.@block([1, (@index0 + 1)], @index1)")
    #expect(
      debug("[1].exists(cel.iterVar(0, 0), cel.iterVar(0, 0) > cel.accuVar(1, 2))", options)
        == "__comprehension__(@it:0:0, [1], @result, false, @not_strictly_false(!@result), (@result || (@it:0:0 > @ac:1:2)), @result)"
    )
    #expect(parse("cel.block(x, 1)", options).1.first?.code == SyntaxCode.invalidMacroArgument)
    #expect(parse("cel.index(-1)", options).1.first?.code == SyntaxCode.invalidMacroArgument)
    #expect(parse("cel.iterVar(0, x)", options).1.first?.code == SyntaxCode.invalidMacroArgument)
  }

  @Test func optionalMacrosNeedOptionalSyntax() {
    #expect(debug("o.optMap(y, y)", ParseOptions(enableOptionalSyntax: false)) == "o.optMap(y, y)")
  }
}
