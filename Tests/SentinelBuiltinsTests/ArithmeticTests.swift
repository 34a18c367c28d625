import SentinelBuiltins
import SentinelModel
import Testing

let maxI = Value.int(.max)
let minI = Value.int(.min)

let arithmeticCases: [Case] = [
  Case("40 + 2", call("_+_", .int(40), .int(2)), .int(42)),
  Case("max + 1", call("_+_", maxI, .int(1)), anyError),
  Case("min + -1", call("_+_", minI, .int(-1)), anyError),
  Case("1 - -max", call("_-_", .int(1), .int(-Int64.max)), anyError),
  Case("min - 1", call("_-_", minI, .int(1)), anyError),
  Case("-min", call("-_", minI), anyError),
  Case("-(-42)", call("-_", .int(-42)), .int(42)),
  Case("5e9 * 5e9", call("_*_", .int(5_000_000_000), .int(5_000_000_000)), anyError),
  Case("min * -1", call("_*_", minI, .int(-1)), anyError),
  Case("-1 * min", call("_*_", .int(-1), minI), anyError),
  Case("min / -1", call("_/_", minI, .int(-1)), anyError),
  Case("min % -1", call("_%_", minI, .int(-1)), anyError),
  Case("min / 1", call("_/_", minI, .int(1)), minI),
  Case("15 / 0", call("_/_", .int(15), .int(0)), anyError),
  Case("15 % 0", call("_%_", .int(15), .int(0)), anyError),
  Case("-20 / 3 truncates", call("_/_", .int(-20), .int(3)), .int(-6)),
  Case("43 % -5", call("_%_", .int(43), .int(-5)), .int(3)),
  Case("-42 % -5", call("_%_", .int(-42), .int(-5)), .int(-2)),
  Case("uint max + 1", call("_+_", .uint(.max), .uint(1)), anyError),
  Case("0u - 1u", call("_-_", .uint(0), .uint(1)), anyError),
  Case("5e9u * 5e9u", call("_*_", .uint(5_000_000_000), .uint(5_000_000_000)), anyError),
  Case("15u / 0u", call("_/_", .uint(15), .uint(0)), anyError),
  Case("34u % 0u", call("_%_", .uint(34), .uint(0)), anyError),
  Case("42u % 5u", call("_%_", .uint(42), .uint(5)), .uint(2)),
  Case("-(5u) has no overload", call("-_", .uint(5)), anyError),
  Case("1 + 1u has no overload", call("_+_", .int(1), .uint(1)), anyError),
  Case("double overflow → -inf", call("_*_", .double(2), .double(-8.988466e307)), .double(-.infinity)),
  Case("1/0.0", call("_/_", .double(1), .double(0)), .double(.infinity)),
  Case("0.0/0.0", call("_/_", .double(0), .double(0)), .double(.nan)),
  Case("-(0.0)", call("-_", .double(0)), .double(-0.0)),
  Case("string concat", call("_+_", .string("r"), .string("ôle")), .string("rôle")),
  Case("bytes concat", call("_+_", .bytes([1]), .bytes([2, 3])), .bytes([1, 2, 3])),
  Case("list concat", call("_+_", list(.int(1)), list(.string("a"))), list(.int(1), .string("a"))),
  Case("[] + [3]", call("_+_", list(), list(.int(3))), list(.int(3))),
  // Time arithmetic
  Case(
    "ts + -999999999ns",
    call("_+_", ts("0001-01-01T00:00:01.000000001Z"), dur("-999999999ns")),
    ts("0001-01-01T00:00:00.000000002Z")),
  Case(
    "ts + 999999999ns carries",
    call("_+_", ts("0001-01-01T00:00:01.999999999Z"), dur("999999999ns")),
    ts("0001-01-01T00:00:02.999999998Z")),
  Case("dur + ts", call("_+_", dur("24h"), ts("2023-01-01T00:00:00Z")), ts("2023-01-02T00:00:00Z")),
  Case("ts - dur", call("_-_", ts("2009-02-13T23:10:00Z"), dur("600s")), ts("2009-02-13T23:00:00Z")),
  Case("ts - ts", call("_-_", ts("2009-02-13T23:31:00Z"), ts("2009-02-13T23:29:00Z")), dur("120s")),
  Case(
    "ts - ts negative", call("_-_", ts("2009-02-13T23:29:00.5Z"), ts("2009-02-13T23:31:00Z")), dur("-119.5s")),
  Case("dur - dur", call("_-_", dur("900s"), dur("42s")), dur("858s")),
  Case("dur + dur", call("_+_", dur("1m"), dur("1s")), dur("61s")),
  Case("max ts + 1s", call("_+_", ts("9999-12-31T23:59:59Z"), dur("1s")), anyError),
  Case("max ts + 1ns", call("_+_", ts("9999-12-31T23:59:59.999999999Z"), dur("1ns")), anyError),
  Case("min ts - 1ns", call("_+_", ts("0001-01-01T00:00:00Z"), dur("-1ns")), anyError),
  Case("min ts - dur", call("_-_", ts("0001-01-01T00:00:00Z"), dur("1s")), anyError),
  Case("ts span overflow", call("_-_", ts("9999-12-31T23:59:59Z"), ts("0001-01-01T00:00:00Z")), anyError),
  Case(
    "dur sum overflow",
    call("_+_", dur("-2000000000s"), call("_+_", dur("-4000000000s"), dur("-4000000000s"))),
    anyError),
  Case("dur diff overflow", call("_-_", dur("5000000000s"), dur("-5000000000s")), anyError),
]

@Test("arithmetic", arguments: arithmeticCases)
func arithmetic(_ c: Case) {
  #expect(c.passes)
}
