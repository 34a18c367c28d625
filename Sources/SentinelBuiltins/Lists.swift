// List functions of the standard library (langdef "List Operators"): `size`, `@in` (membership
// with CEL's heterogeneous equality, so `dyn(3u) in [1, 2, 3]`) and `_[_]` indexing.
//
// Indexing accepts an int, a uint, or a double with an integral value (`[7, 8, 9][dyn(0.0)]`),
// as cel-go does at run time; besides cel-go's `index_list(list(A), int)` the catalog declares
// `index_list_uint` and `index_list_double` so that dynamic dispatch finds an overload for those
// index kinds too. An index outside the list is an `index_out_of_bounds` error.

import SentinelModel

public enum Lists {
  /// `list[index]` for an int, uint or integral double index.
  static func index(_ xs: [Value], _ index: Value) -> Value {
    let i: Int64
    switch index {
    case .int(let v):
      i = v
    case .uint(let u):
      guard u <= UInt64(Int64.max) else { return outOfBounds(Value.render(index), xs.count) }
      i = Int64(u)
    case .double(let d):
      guard d.isFinite, d == d.rounded(.towardZero), d > -twoTo63, d < twoTo63 else {
        return err(.invalidArgument, "unsupported index value: \(Value.render(index))")
      }
      i = Int64(d)
    default:
      return err(.invalidArgument, "unsupported index type '\(index.typeName)' for a list")
    }
    guard i >= 0 && i < Int64(xs.count) else { return outOfBounds(String(i), xs.count) }
    return xs[Int(i)]
  }

  static func outOfBounds(_ i: String, _ count: Int) -> Value {
    err(.indexOutOfBounds, "index '\(i)' out of range in list of size \(count)")
  }

  /// `v in list`, by CEL equality.
  static func contains(_ xs: [Value], _ v: Value) -> Bool {
    // NOTE: a string equals only strings (CEL equality is false across non-numeric kinds), so a
    // string is compared with the string elements alone, without `celEquals`'s pair switch and
    // value copies: `event.country_code in ["KP", "IR", …]` is the common case
    // (docs/performance.md, issue 5).
    if case .string(let s) = v { return containsString(xs, s) }
    for x in xs where celEquals(x, v) { return true }
    return false
  }

  /// `s in list` for a string: the typed kernel of `in_list` (the VM's `test.vk` calls it with
  /// a constant list).
  public static func containsString(_ xs: [Value], _ s: String) -> Bool {
    for x in xs {
      if case .string(let t) = x, stringsEqual(s, t) { return true }
    }
    return false
  }

  static let overloads: [Overload] = [
    Overload(
      "size_list", "size", [T.listA], .int,
      .unary { a in
        guard case .list(let xs) = a else { return noOverload("size", a) }
        return .int(Int64(xs.count))
      }),
    Overload(
      "list_size", "size", receiver: true, [T.listA], .int,
      .unary { a in
        guard case .list(let xs) = a else { return noOverload("size", a) }
        return .int(Int64(xs.count))
      }),
    Overload(
      "in_list", "@in", [T.a, T.listA], .bool, cost: Cost.search, kernel: .inList,
      .binary { v, l in
        guard case .list(let xs) = l else { return noOverload("@in", v, l) }
        return .bool(contains(xs, v))
      }),
    Overload(
      "index_list", "_[_]", [T.listA, .int], T.a,
      .binary { l, i in
        guard case .list(let xs) = l else { return noOverload("_[_]", l, i) }
        return index(xs, i)
      }),
    Overload(
      "index_list_uint", "_[_]", [T.listA, .uint], T.a,
      .binary { l, i in
        guard case .list(let xs) = l else { return noOverload("_[_]", l, i) }
        return index(xs, i)
      }),
    Overload(
      "index_list_double", "_[_]", [T.listA, .double], T.a,
      .binary { l, i in
        guard case .list(let xs) = l else { return noOverload("_[_]", l, i) }
        return index(xs, i)
      }),
  ]
}
