// The static kind of a register: the lattice the verifier's abstract interpretation runs on.
//
//   never  <  null, bool, int, uint, double, string, bytes, list, map, timestamp, duration,
//             type, optional  <  any  <  unset
//   counter < int
//
// `never` is a register that can only hold an error (errors are possible everywhere and are not
// part of a kind). `counter` is an int written only by `iter.init`/`iter.next`, which is what
// bounds a loop. `unset` means "not written on some path" and absorbs everything, so the same
// lattice does definite assignment and kind inference.

import SentinelBuiltins
import SentinelModel

/// What the verifier knows about a register's value at one program point.
package enum ValueKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// Only an error value can be here.
  case never
  /// `null` (or an error).
  case null
  /// A bool (or an error).
  case bool
  /// An int (or an error).
  case int
  /// A uint (or an error).
  case uint
  /// A double (or an error).
  case double
  /// A string (or an error).
  case string
  /// Bytes (or an error).
  case bytes
  /// A list of any elements (or an error).
  case list
  /// A map of any entries (or an error).
  case map
  /// A timestamp (or an error).
  case timestamp
  /// A duration (or an error).
  case duration
  /// A type value (or an error).
  case type
  /// An optional (or an error).
  case optional
  /// An int loop counter in `0...maxCollectionSize`, written only by `iter.init`/`iter.next`.
  case counter
  /// Any value.
  case any
  /// Possibly not written yet on some path reaching this point.
  case unset

  /// The least upper bound.
  package func join(_ other: ValueKind) -> ValueKind {
    if self == other { return self }
    if self == .unset || other == .unset { return .unset }
    if self == .never { return other }
    if other == .never { return self }
    if (self == .counter && other == .int) || (self == .int && other == .counter) { return .int }
    return .any
  }

  /// The kind of a runtime value (`never` for an error).
  @inlinable package init(of value: Value) {
    switch value {
    case .null: self = .null
    case .bool: self = .bool
    case .int: self = .int
    case .uint: self = .uint
    case .double: self = .double
    case .string: self = .string
    case .bytes: self = .bytes
    case .list: self = .list
    case .map: self = .map
    case .timestamp: self = .timestamp
    case .duration: self = .duration
    case .type: self = .type
    case .optional: self = .optional
    case .error: self = .never
    }
  }

  /// The kind of every value of a declared type; `nil` when no runtime value has the type
  /// (opaque or error types), `.any` for `dyn` and type parameters.
  package init?(declared type: CELType) {
    switch type {
    case .dyn, .typeParam: self = .any
    case .null: self = .null
    case .bool: self = .bool
    case .int: self = .int
    case .uint: self = .uint
    case .double: self = .double
    case .string: self = .string
    case .bytes: self = .bytes
    case .timestamp: self = .timestamp
    case .duration: self = .duration
    case .list: self = .list
    case .map: self = .map
    case .type: self = .type
    case .optional: self = .optional
    case .opaque:
      // Opaque values are carried as their representation (a screening list as its name).
      guard let r = ScreeningFunction.representation(of: type) else { return nil }
      self.init(declared: r)
    case .error: return nil
    }
  }

  /// Whether a runtime value may sit in a register of this kind (errors always may). Inlinable:
  /// the VM tests every variable it loads (docs/performance.md, issue 5).
  @inlinable @inline(__always) package func admits(_ value: Value) -> Bool {
    if self == .any || value.isError { return true }
    let k = ValueKind(of: value)
    return k == self || (self == .counter && k == .int)
  }

  /// Whether the kind is a collection an `iter.*` instruction can range over (or may be one).
  package var mayBeRange: Bool {
    switch self {
    case .list, .map, .any, .never: return true
    default: return false
    }
  }

  /// The kind's name in messages (`string`, `loop counter`…).
  package var description: String {
    switch self {
    case .never: return "error"
    case .null: return "null"
    case .bool: return "bool"
    case .int: return "int"
    case .uint: return "uint"
    case .double: return "double"
    case .string: return "string"
    case .bytes: return "bytes"
    case .list: return "list"
    case .map: return "map"
    case .timestamp: return "timestamp"
    case .duration: return "duration"
    case .type: return "type"
    case .optional: return "optional"
    case .counter: return "loop counter"
    case .any: return "dyn"
    case .unset: return "unassigned"
    }
  }
}

/// How a statically known argument fits a declared parameter type.
package enum ArgumentFit: Sendable, Hashable {
  /// Every non-error value of the argument's kind is accepted: no run-time test needed.
  case proven
  /// The argument's kind is `any`: the VM tests the value against the parameter at run time.
  case guarded
  /// No non-error value of the argument's kind can be accepted: the call can never succeed.
  case impossible

  /// How an argument of kind `kind` fits a parameter declared as `param`.
  package init(_ kind: ValueKind, _ param: CELType) {
    switch param {
    case .dyn, .typeParam:
      self = .proven
      return
    default: break
    }
    if kind == .never {
      // An error argument propagates before the implementation runs (`Catalog.invoke`).
      self = .proven
    } else if kind == .any {
      self = .guarded
    } else if let want = ValueKind(declared: param), want == kind || (want == .int && kind == .counter) {
      self = .proven
    } else {
      self = .impossible
    }
  }
}
