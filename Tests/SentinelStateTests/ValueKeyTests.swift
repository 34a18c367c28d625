// ValueKey: injective on different values, equal on CEL-equal numbers, nil for errors.

import SentinelModel
import SentinelState
import Testing

@Suite struct ValueKeyTests {
  @Test func differentValuesGetDifferentKeys() {
    var m1 = MapValue()
    m1.insert(.string("a"), .string("b"))
    var m2 = MapValue()
    m2.insert(.string("ab"), .string(""))
    let values: [Value] = [
      .null, .bool(true), .bool(false), .int(0), .int(-1), .uint(UInt64.max), .double(0.5), .double(.nan),
      .double(.infinity), .double(-.infinity), .double(1e300), .string(""), .string("0"), .string("i0;"),
      .string("a"), .string("ab"), .bytes([]), .bytes([0x61]), .list([]),
      .list([.string("a"), .string("b")]),
      .list([.string("ab")]), .list([.list([])]), .map(MapValue()), .map(m1), .map(m2),
      .timestamp(Timestamp(seconds: 1)), .duration(Duration(seconds: 1)), .type(.int), .type(.string),
      .optional(nil), .optional(.null),
    ]
    let keys = values.map { ValueKey.encode($0) }
    #expect(keys.allSatisfy { $0 != nil })
    #expect(Set(keys.compactMap { $0 }).count == values.count, "\(keys)")
  }

  @Test func celEqualNumbersShareAKey() {
    #expect(ValueKey.encode(.int(1)) == ValueKey.encode(.uint(1)))
    #expect(ValueKey.encode(.int(1)) == ValueKey.encode(.double(1)))
    #expect(ValueKey.encode(.double(0)) == ValueKey.encode(.double(-0.0)))
    #expect(ValueKey.encode(.uint(UInt64.max)) != ValueKey.encode(.double(18_446_744_073_709_549_568)))
    var a = MapValue()
    a.insert(.string("x"), .int(1))
    a.insert(.string("y"), .int(2))
    var b = MapValue()
    b.insert(.string("y"), .int(2))
    b.insert(.string("x"), .int(1))
    #expect(ValueKey.encode(.map(a)) == ValueKey.encode(.map(b)), "maps: entry order does not matter")
  }

  @Test func errorsHaveNoKey() {
    #expect(ValueKey.encode(.error(CELError(.other, "e"))) == nil)
    #expect(ValueKey.encode(.list([.int(1), .error(CELError(.other, "e"))])) == nil)
    var nested: Value = .null
    for _ in 0..<40 { nested = .list([nested]) }
    #expect(ValueKey.encode(nested) == nil)
  }

  @Test func randomValuesAreInjective() {
    var rng = SplitMix64(seed: 2)
    var byKey: [String: String] = [:]
    var byForm: [String: String] = [:]
    for _ in 0..<5000 {
      let v = AggregateStateEncodingTests.anyValue(&rng)
      guard let k = ValueKey.encode(v) else { continue }
      let form = normalForm(v)
      if let previous = byKey[k] { #expect(previous == form, "\(previous) and \(form) share key \(k)") }
      if let previous = byForm[form] { #expect(previous == k, "\(form) has keys \(previous) and \(k)") }
      byKey[k] = form
      byForm[form] = k
    }
  }

  /// An independent rendering that is equal exactly for CEL-equal values: numbers normalized,
  /// map entries sorted.
  private func normalForm(_ v: Value) -> String {
    switch v {
    case .uint(let u): return u <= UInt64(Int64.max) ? "\(u)" : "\(u)u"
    case .int(let i): return "\(i)"
    case .double(let d):
      if let i = Int64(exactly: d) { return "\(i)" }
      if let u = UInt64(exactly: d) { return "\(u)u" }
      return d.isNaN ? "NaN" : "\(d)d"
    case .list(let xs): return "[" + xs.map(normalForm).joined(separator: ", ") + "]"
    case .map(let m):
      return "{"
        + m.entries.map { normalForm($0.key) + ": " + normalForm($0.value) }.sorted().joined(separator: ", ")
        + "}"
    case .optional(let o): return o.map { "optional(" + normalForm($0) + ")" } ?? "none"
    default: return Value.render(v)
    }
  }

  /// `stringText(ofForm:)` inverts `encode` on strings and refuses every other form.
  @Test func stringFormsDecodeBackToTheirText() throws {
    for text in ["", "u-42", "s3:abc", "é😀", "a:b", String(repeating: "x", count: 300)] {
      let form = try #require(ValueKey.encode(.string(text)))
      #expect(ValueKey.stringText(ofForm: form) == text)
    }
    let others: [Value] = [.int(5), .null, .bool(true), .list([.string("a")]), .bytes([1]), .double(0.5)]
    for v in others { #expect(ValueKey.stringText(ofForm: try #require(ValueKey.encode(v))) == nil, "\(v)") }
    for bad in ["s", "s:", "s1:", "s2:a", "s1:ab", "sx:a", "S1:a", "s-1:a", "s99999999999999999999:a"] {
      #expect(ValueKey.stringText(ofForm: bad) == nil, "\(bad)")
    }
  }

  /// A string's form (`stringForm`, written straight into its storage) is `s<UTF-8 count>:` and
  /// the text, and it is the form the general encoder gives the same string inside a list.
  @Test func stringFormsAreCountColonText() throws {
    var texts = (0...120).map { String(repeating: "a", count: $0) }
    texts += ["é", "e\u{301}", "日本語のキー", "dev-827ccb12d5~1", "u000330~1", "\u{0}", "x\"y"]
    texts.append(String(repeating: "z", count: 12_345))
    for text in texts {
      let form = try #require(ValueKey.encode(.string(text)))
      #expect(form == "s\(text.utf8.count):" + text, "\(text.debugDescription)")
      #expect(ValueKey.encode(.list([.string(text)])) == "l1:" + form, "\(text.debugDescription)")
    }
  }
}
