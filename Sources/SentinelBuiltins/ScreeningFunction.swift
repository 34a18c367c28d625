// `screen(name, list)`: sanctions screening from CEL (docs/screening.md, "In rules").
//
// The function's signature, types and result shape are declared here, once, for the checker,
// the verifier and the VM; its implementation is SentinelScreening's (`ScreeningLists.screen`),
// passed in by whoever builds the catalog — the rule compiler from the lists it loaded, the
// bundle loader from the lists a bundle carries — so this target stays free of the matcher.
//
// Opaque types and their run-time form: a `screening_list` value is a handle, the list's name (a
// string); a `screening_match` value is a map with the fields of `matchFields`.

import SentinelModel

/// The `screen` builtin's declarations.
public enum ScreeningFunction {
  /// The function name in CEL.
  public static let name = "screen"
  /// The overload id bundles import.
  public static let overloadID = "screen_string_screening_list"
  /// The type of a declared screening list (`list sdn from "sdn.csv" format screening`).
  public static let listType = CELType.opaque("screening_list", [])
  /// The type of `screen`'s result.
  public static let matchType = CELType.opaque("screening_match", [])
  /// The fields of a `screening_match` and their types.
  public static let matchFields: [String: CELType] = [
    "score": .double, "id": .int, "name": .string, "matched_name": .string,
  ]
  /// Relative cost of one call for the verifier's bound: screening one name against a list is
  /// about as expensive as a few thousand arithmetic operations.
  public static let cost = 5000

  /// The value an opaque type is carried as at run time, or nil for an opaque type with no
  /// run-time values.
  public static func representation(of type: CELType) -> CELType? {
    guard case .opaque(let n, let ps) = type, ps.isEmpty else { return nil }
    switch n {
    case "screening_list": return .string
    case "screening_match": return .map(.string, .dyn)
    default: return nil
    }
  }

  /// A match as a CEL value (the `screening_match` map).
  public static func matchValue(score: Double, id: Int, name: String, matchedName: String) -> Value {
    var m = MapValue()
    m.insert(.string("score"), .double(score))
    m.insert(.string("id"), .int(Int64(id)))
    m.insert(.string("name"), .string(name))
    m.insert(.string("matched_name"), .string(matchedName))
    return .map(m)
  }

  /// The `screen(string, screening_list) -> screening_match` overload, running `screen(name,
  /// listName)` — SentinelScreening's implementation, bound to the lists at hand.
  public static func overload(_ screen: @escaping @Sendable (String, String) -> Value) -> Overload {
    Overload(
      overloadID, name, [.string, listType], matchType, cost: cost,
      .binary { name, list in
        guard case .string(let n) = name, case .string(let l) = list else {
          return .error(.noOverload("screen", [name, list]))
        }
        return screen(n, l)
      })
  }
}
