// The harness's strict value equality and the deduced-type comparison.

import SentinelConformance
import SentinelModel
import Testing

private func match(_ e: Value, _ a: Value) -> Bool { ConformanceMatching.valuesMatch(expected: e, actual: a) }

private func map(_ entries: [(Value, Value)]) -> Value {
  var m = MapValue()
  for (k, v) in entries { m.insert(k, v) }
  return .map(m)
}

@Test func numericKindsMustMatch() {
  #expect(match(.int(1), .int(1)))
  #expect(!match(.int(1), .uint(1)))
  #expect(!match(.uint(1), .int(1)))
  #expect(!match(.int(1), .double(1)))
  #expect(!match(.double(1), .uint(1)))
  #expect(!match(.bool(true), .int(1)))
  #expect(!match(.string("a"), .bytes([97])))
  #expect(!match(.null, .optional(nil)))
  #expect(match(.null, .null))
}

@Test func doublesCompareAsIEEEWithNaNMatchingNaN() {
  #expect(match(.double(.nan), .double(.nan)))
  #expect(match(.double(.nan), .double(-.nan)))
  #expect(!match(.double(.nan), .double(0)))
  #expect(match(.double(-0.0), .double(0.0)))
  #expect(match(.double(0.0), .double(-0.0)))
  #expect(match(.double(.infinity), .double(.infinity)))
  #expect(!match(.double(.infinity), .double(-.infinity)))
  #expect(!match(.double(1.5), .double(1.5000000000000002)))
}

@Test func listsCompareInOrder() {
  #expect(match(.list([.int(1), .string("a")]), .list([.int(1), .string("a")])))
  #expect(!match(.list([.int(1), .int(2)]), .list([.int(2), .int(1)])))
  #expect(!match(.list([.int(1)]), .list([.int(1), .int(1)])))
  #expect(!match(.list([.int(1)]), .list([.uint(1)])))
}

@Test func mapsIgnoreOrderButNotKeyKinds() {
  let a = map([(.string("a"), .int(1)), (.string("b"), .int(2))])
  let b = map([(.string("b"), .int(2)), (.string("a"), .int(1))])
  #expect(match(a, b))
  #expect(!match(a, map([(.string("a"), .int(1)), (.string("b"), .int(3))])))
  #expect(!match(a, map([(.string("a"), .int(1))])))
  #expect(!match(map([(.int(1), .null)]), map([(.uint(1), .null)])))
  #expect(
    match(
      map([(.uint(1), .null), (.bool(true), .list([]))]), map([(.bool(true), .list([])), (.uint(1), .null)])))
  #expect(!match(map([(.string("a"), .int(1))]), map([(.string("a"), .double(1))])))
}

@Test func typesTimestampsAndDurationsCompareSemantically() {
  #expect(match(.type(.list(.dyn)), .type(.list(.int))))
  #expect(match(.type(.opaque("google.protobuf.Timestamp", [])), .type(.timestamp)))
  #expect(!match(.type(.int), .type(.uint)))
  #expect(!match(.type(.int), .string("int")))
  let utc = Timestamp.parse("2009-02-13T23:31:30Z")
  let plusOne = Timestamp.parse("2009-02-14T00:31:30+01:00")
  #expect(utc != nil && plusOne != nil)
  if let utc, let plusOne {
    #expect(match(.timestamp(utc), .timestamp(plusOne)))
    #expect(!match(.timestamp(utc), .timestamp(Timestamp(seconds: utc.seconds, nanos: 1))))
  }
  let d1 = ConformanceValueDecoding.parseDuration("1.5s")
  let d2 = SentinelModel.Duration.make(seconds: 0, nanos: 1_500_000_000)
  #expect(d1 != nil && d2 != nil)
  if let d1, let d2 {
    #expect(match(.duration(d1), .duration(d2)))
    #expect(!match(.duration(d1), .timestamp(Timestamp(seconds: 1, nanos: 500_000_000))))
  }
}

@Test func optionalsAndErrors() {
  #expect(match(.optional(nil), .optional(nil)))
  #expect(match(.optional(.int(1)), .optional(.int(1))))
  #expect(!match(.optional(.int(1)), .optional(.uint(1))))
  #expect(!match(.optional(.int(1)), .int(1)))
  #expect(match(.error(.divideByZero), .error(.overflowError)))
  #expect(!match(.int(0), .error(.divideByZero)))
}

@Test func typesMatchStructurallyWithTypeParamsRenamed() {
  let m = ConformanceMatching.typesMatch
  #expect(m(.list(.int), .list(.int)))
  #expect(!m(.list(.int), .list(.dyn)))
  #expect(m(.typeParam("T"), .typeParam("_var0")))
  #expect(m(.map(.typeParam("K"), .typeParam("V")), .map(.typeParam("A"), .typeParam("B"))))
  #expect(!m(.map(.typeParam("K"), .typeParam("V")), .map(.typeParam("A"), .typeParam("A"))))
  #expect(!m(.map(.typeParam("K"), .typeParam("K")), .map(.typeParam("A"), .typeParam("B"))))
  #expect(!m(.typeParam("T"), .dyn))
  #expect(m(.opaque("tuple", [.dyn, .dyn]), .opaque("tuple", [.dyn, .dyn])))
  #expect(!m(.opaque("tuple", [.dyn, .dyn]), .opaque("tuple", [.dyn])))
  #expect(m(.optional(.int), .opaque("optional_type", [.int])))
  #expect(m(.type(nil), .type(nil)))
  #expect(!m(.type(nil), .type(.int)))
  #expect(m(.list(.optional(.typeParam("T"))), .list(.optional(.typeParam("U")))))
}
