// Constant lists to hash sets: `x in ["a", "b", …]` with a constant list of strings becomes
// `x in {"a": true, "b": true, …}` — the same `@in` function on a map, one hash lookup instead
// of a scan (`ip in blocked_ips` with 10,000 entries).
//
// Why it preserves every result: `@in` on a list is CEL equality against each element; on a
// map it is key membership. For string elements the two agree on every value of `x`: a string
// is in both exactly when it equals an element; any other kind (int, double, null, bytes, …)
// equals no string and is a key of no string-keyed map; an error `x` is the call's result
// either way (calls are strict). Lists with other element kinds are left alone (cross-numeric
// equality, e.g. `1u in [1]`, is not key lookup for doubles), and so are short lists, where a
// scan is as fast as hashing.

import SentinelBuiltins
import SentinelModel

/// Rewrites membership tests in constant string lists into map-key lookups.
public enum ListsToSets {
  /// Lists shorter than this stay lists.
  public static let minimumCount = 8

  public static func run(_ ir: IRFunction, catalog: Catalog) -> IRFunction {
    guard let inList = catalog.index(ofID: "in_list"), let inMap = catalog.index(ofID: "in_map") else {
      return ir
    }
    return ir.rebuild { node, type, span, out in
      guard case .call(let o, let args) = node, o == inList, args.count == 2,
        case .constant(let k) = out.nodes[args[1]], case .list(let xs) = out.constants[k],
        xs.count >= minimumCount
      else { return nil }
      var set = MapValue()
      for x in xs {
        guard case .string = x else { return nil }
        set.insert(x, .bool(true))
      }
      let table = out.constant(.map(set), span: out.spans[args[1]])
      return out.add(.call(overload: inMap, args: [args[0], table]), type: type, span: span)
    }
  }
}
