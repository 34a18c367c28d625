// A run-time list as a bundle carries it (section 10): a list declared `runtime list` in the rule
// set, with its default entries. The programs read it from two variable slots instead of a
// constant, so the daemon can replace it without a recompile (`PUT /v1/lists/{name}`):
//
//   slot `name`       list(T)          the entries, for every use of the list but membership
//   slot `name#set`   map(T, bool)     the entries as map keys: `x in name` is one hash lookup
//
// The runtime builds both values once per change of the list (never per event). A program that
// never uses the list has neither slot.

import SentinelModel

/// A list a rule set declared changeable at run time.
public struct BundleRuntimeList: Sendable {
  /// The element types a run-time list may have: those whose map-key lookup agrees with CEL's
  /// list membership (`@in` by heterogeneous equality), so `x in name` can be a hash lookup.
  public static let elementTypes: [CELType] = [.string, .int, .uint]

  /// The list's name in the rule set (`blocked_ips`), also the name of its list slot.
  public var name: String
  /// The type of its elements (one of `elementTypes`).
  public var elementType: CELType
  /// The default entries (the rule set's contents), in order, each of `elementType`.
  public var entries: [Value]

  /// A run-time list.
  public init(name: String, elementType: CELType, entries: [Value]) {
    self.name = name
    self.elementType = elementType
    self.entries = entries
  }

  /// The name of the slot holding the entries as a `list(T)`.
  public var listSlot: String { name }
  /// The name of the slot holding the entries as the keys of a `map(T, bool)`.
  public var setSlot: String { Self.setSlot(of: name) }

  /// The set slot's name for a list named `name` (`#` cannot occur in a CEL name).
  public static func setSlot(of name: String) -> String { name + "#set" }

  /// The declared type of the list slot.
  public var listType: CELType { .list(elementType) }
  /// The declared type of the set slot.
  public var setType: CELType { .map(elementType, .bool) }
}
