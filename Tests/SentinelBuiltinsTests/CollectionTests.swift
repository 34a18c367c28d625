import SentinelBuiltins
import SentinelModel
import Testing

let l789 = list(.int(7), .int(8), .int(9))
let someMap = map((.uint(0), .uint(1)), (.uint(2), s("happy")), (.int(5), .uint(3)), (t, .int(1)))
let numMap = map((.uint(1), .double(1)), (.int(2), .double(2)), (.uint(3), .double(3)))

let collectionCases: [Case] = [
  // Lists
  Case("[7,8,9][0]", call("_[_]", l789, .int(0)), .int(7)),
  Case("[7,8,9][dyn(0u)]", call("_[_]", l789, .uint(2)), .int(9)),
  Case("[7,8,9][dyn(0.0)]", call("_[_]", l789, .double(0)), .int(7)),
  Case("[7,8,9][dyn(0.1)]", call("_[_]", l789, .double(0.1)), anyError),
  Case("[7,8,9][NaN]", call("_[_]", l789, .double(.nan)), anyError),
  Case("[1,2,3][3]", call("_[_]", list(.int(1), .int(2), .int(3)), .int(3)), anyError),
  Case("[1][-1]", call("_[_]", list(.int(1)), .int(-1)), anyError),
  Case("[1][uint max]", call("_[_]", list(.int(1)), .uint(.max)), anyError),
  Case("[1,2,3][dyn('')]", invoke("index_list", list(.int(1)), s("")), anyError),
  Case("'elem' in [...]", call("@in", s("elem"), list(s("elem"), s("elemA"))), t),
  Case(
    "'elem' in [1u, 'str', 2, b'bytes']",
    call("@in", s("elem"), list(.uint(1), s("str"), .int(2), .bytes([1]))), f),
  Case("dyn(3u) in [5, 4, 3]", call("@in", .uint(3), list(.int(5), .int(4), .int(3))), t),
  Case("dyn(3) in [5.0, 3.0]", call("@in", .int(3), list(.double(5), .double(3))), t),
  Case("dyn(3.0) in [5u, 3u]", call("@in", .double(3), list(.uint(5), .uint(3))), t),
  Case("NaN in [NaN]", call("@in", .double(.nan), list(.double(.nan))), f),
  Case("7 in []", call("@in", .int(7), list()), f),
  Case("[1] in [[1.0]]", call("@in", list(.int(1)), list(list(.double(1)))), t),
  Case("size([1,2,3])", call("size", list(.int(1), .int(2), .int(3))), .int(3)),
  // Maps
  Case("{…}[2u]", call("_[_]", someMap, .uint(2)), s("happy")),
  Case("{…}[true]", call("_[_]", someMap, t), .int(1)),
  Case("{…}[5u] finds int key 5", call("_[_]", someMap, .uint(5)), .uint(3)),
  Case("{…}[2] finds uint key 2", call("_[_]", someMap, .int(2)), s("happy")),
  Case("{1u: 1.0, 2: 2.0, 3u: 3.0}[3.0]", call("_[_]", numMap, .double(3)), .double(3)),
  Case("{…}[3.1]", call("_[_]", numMap, .double(3.1)), anyError),
  Case("{…}[1]", call("_[_]", numMap, .int(1)), .double(1)),
  Case("{0:1,2:2,5:3}[1]", call("_[_]", map((.int(0), .int(1)), (.int(2), .int(2))), .int(1)), anyError),
  Case("map[b'']", call("_[_]", map((.int(0), .int(1))), .bytes([])), anyError),
  Case("map[null]", call("_[_]", map((.int(0), .int(1))), .null), anyError),
  Case(
    "'key' in {3: 3.0, 'key': 2u}", call("@in", s("key"), map((.int(3), .double(3)), (s("key"), .uint(2)))), t
  ),
  Case("3.1 in {1: 1, 3u: 3}", call("@in", .double(3.1), map((.int(1), .int(1)), (.uint(3), .int(3)))), f),
  Case("3.0 in {1: 1, 3u: 3}", call("@in", .double(3), map((.int(1), .int(1)), (.uint(3), .int(3)))), t),
  Case("2u in {2: 'a'}", call("@in", .uint(2), map((.int(2), s("a")))), t),
  Case("b'' in {0: 1}", call("@in", .bytes([]), map((.int(0), .int(1)))), f),
  Case("size({})", call("size", map()), .int(0)),
  Case("{'a': 1}.size()", method(map((s("a"), .int(1))), "size"), .int(1)),
  Case(
    "cel.@mapInsert(m, k, v)", call("cel.@mapInsert", map((s("a"), .int(1))), s("b"), .int(2)),
    map((s("a"), .int(1)), (s("b"), .int(2)))),
  Case("cel.@mapInsert duplicate", call("cel.@mapInsert", map((s("a"), .int(1))), s("a"), .int(2)), anyError),
  Case(
    "cel.@mapInsert duplicate across kinds",
    call("cel.@mapInsert", map((.int(1), .int(1))), .uint(1), .int(2)), anyError),
  Case("cel.@mapInsert bad key", call("cel.@mapInsert", map(), .double(1.5), .int(2)), anyError),
  Case(
    "cel.@mapInsert(m, m2)",
    call("cel.@mapInsert", map((s("a"), .int(1))), map((s("b"), .int(2)), (s("c"), .int(3)))),
    map((s("a"), .int(1)), (s("b"), .int(2)), (s("c"), .int(3)))),
  Case(
    "cel.@mapInsert(m, m2) duplicate", call("cel.@mapInsert", map((s("a"), .int(1))), map((s("a"), .int(2)))),
    anyError),
  // Logic (strict forms)
  Case("!false", call("!_", f), t),
  Case("!0", call("!_", .int(0)), anyError),
  Case("true && false", call("_&&_", t, f), f),
  Case("false || true", call("_||_", f, t), t),
  Case("true ? 1 : 2", call("_?_:_", t, .int(1), .int(2)), .int(1)),
  Case("false ? 'a' : 2", call("_?_:_", f, s("a"), .int(2)), .int(2)),
  Case("'cows' ? 1 : 2", call("_?_:_", s("cows"), .int(1), .int(2)), anyError),
  Case("@not_strictly_false(false)", call("@not_strictly_false", f), f),
  Case("@not_strictly_false(true)", call("@not_strictly_false", t), t),
]

@Test("lists, maps and logic", arguments: collectionCases)
func collections(_ c: Case) {
  #expect(c.passes)
}

let optionalCases: [Case] = [
  Case("optional.of(null).hasValue()", method(call("optional.of", .null), "hasValue"), t),
  Case("optional.none().hasValue()", method(call("optional.none"), "hasValue"), f),
  Case(
    "optional.none().or(none).orValue(42)",
    method(method(call("optional.none"), "or", call("optional.none")), "orValue", .int(42)), .int(42)),
  Case("optional.of(1).or(of(2))", method(.optional(.int(1)), "or", .optional(.int(2))), .optional(.int(1))),
  Case("optional.of(1).orValue(2)", method(.optional(.int(1)), "orValue", .int(2)), .int(1)),
  Case("optional.none().value()", method(.optional(nil), "value"), anyError),
  Case("optional.of('x').value()", method(.optional(s("x")), "value"), s("x")),
  Case("ofNonZeroValue(42)", call("optional.ofNonZeroValue", .int(42)), .optional(.int(42))),
  Case("ofNonZeroValue('')", call("optional.ofNonZeroValue", s("")), .optional(nil)),
  Case("ofNonZeroValue(0u)", call("optional.ofNonZeroValue", .uint(0)), .optional(nil)),
  Case("ofNonZeroValue(-0.0)", call("optional.ofNonZeroValue", .double(-0.0)), .optional(nil)),
  Case("ofNonZeroValue([])", call("optional.ofNonZeroValue", list()), .optional(nil)),
  Case("ofNonZeroValue({})", call("optional.ofNonZeroValue", map()), .optional(nil)),
  Case("ofNonZeroValue(null)", call("optional.ofNonZeroValue", .null), .optional(nil)),
  Case("ofNonZeroValue(false)", call("optional.ofNonZeroValue", f), .optional(nil)),
  Case("ofNonZeroValue(duration(0))", call("optional.ofNonZeroValue", dur("0s")), .optional(nil)),
  Case(
    "ofNonZeroValue(timestamp(0))", call("optional.ofNonZeroValue", call("timestamp", .int(0))),
    .optional(nil)),
  Case(
    "ofNonZeroValue(timestamp(1)) has a value", call("optional.ofNonZeroValue", call("timestamp", .int(1))),
    .optional(call("timestamp", .int(1)))),
  Case("{'k': 1}.?k", call("_?._", map((s("k"), .int(1))), s("k")), .optional(.int(1))),
  Case("{}.?k", call("_?._", map(), s("k")), .optional(nil)),
  Case("{'n': null}.?n", call("_?._", map((s("n"), .null)), s("n")), .optional(.null)),
  Case(
    "optional.of({'k': 1}).?k", call("_?._", .optional(map((s("k"), .int(1)))), s("k")), .optional(.int(1))),
  Case("optional.none().?k", call("_?._", .optional(nil), s("k")), .optional(nil)),
  Case("1.?k", call("_?._", .int(1), s("k")), anyError),
  Case("[1][?0]", call("_[?_]", list(.int(1)), .int(0)), .optional(.int(1))),
  Case("[][?0]", call("_[?_]", list(), .int(0)), .optional(nil)),
  Case("optional.of([])[?0]", call("_[?_]", .optional(list()), .int(0)), .optional(nil)),
  Case("optional.none()[?0]", call("_[?_]", .optional(nil), .int(0)), .optional(nil)),
  Case(
    "{true: 1, 2: 2, 5u: 3}[?true]", call("_[?_]", map((t, .int(1)), (.int(2), .int(2))), t),
    .optional(.int(1))),
  Case("{1u: 1.0, 3u: 3.0}[?3.0]", call("_[?_]", numMap, .double(3)), .optional(.double(3))),
  Case("{…}[?'missing']", call("_[?_]", map((s("a"), .int(1))), s("missing")), .optional(nil)),
  Case("optional.of(['x'])[0]", call("_[_]", .optional(list(s("x"))), .int(0)), .optional(s("x"))),
  Case("optional.none()[0]", call("_[_]", .optional(nil), .int(0)), .optional(nil)),
  Case(
    "optional.of({'c': 1})['c']", call("_[_]", .optional(map((s("c"), .int(1)))), s("c")), .optional(.int(1))),
  Case("[1, 2].first()", method(list(.int(1), .int(2)), "first"), .optional(.int(1))),
  Case("[].last()", method(list(), "last"), .optional(nil)),
  Case("optional.unwrap", call("optional.unwrap", list(.optional(.int(1)), .optional(nil))), list(.int(1))),
  Case("unwrapOpt", method(list(.optional(nil), .optional(s("a"))), "unwrapOpt"), list(s("a"))),
  Case(
    "type(optional.none()) == optional_type",
    call("_==_", call("type", .optional(nil)), .type(.optional(.dyn))), t),
]

@Test("optionals", arguments: optionalCases)
func optionals(_ c: Case) {
  #expect(c.passes)
}
