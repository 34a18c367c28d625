// CEL's types, as the checker reasons about them and as `type()` values name them at run time.

/// A CEL type: primitive, parameterized (list, map, optional, type), a type parameter, or dyn.
public indirect enum CELType: Sendable, Hashable, CustomStringConvertible {
  case dyn
  case null
  case bool
  case int
  case uint
  case double
  case string
  case bytes
  case timestamp
  case duration
  case list(CELType)
  case map(CELType, CELType)
  /// The type of a type value; `type(int)` is the type of the value `int`. `nil` means unknown.
  case type(CELType?)
  /// CEL's abstract `optional_type(T)`.
  case optional(CELType)
  /// A type parameter of a generic overload (`T`, `K`, `V`) or a checker type variable.
  case typeParam(String)
  /// A named type the engine knows only by name (protobuf messages are out of scope).
  case opaque(String, [CELType])
  /// The type of an expression that failed to check.
  case error

  /// The name CEL gives this type as a runtime type value (`type(x) == int`).
  public var runtimeName: String {
    switch self {
    case .dyn: return "dyn"
    case .null: return "null_type"
    case .bool: return "bool"
    case .int: return "int"
    case .uint: return "uint"
    case .double: return "double"
    case .string: return "string"
    case .bytes: return "bytes"
    case .timestamp: return "google.protobuf.Timestamp"
    case .duration: return "google.protobuf.Duration"
    case .list: return "list"
    case .map: return "map"
    case .type: return "type"
    case .optional: return "optional_type"
    case .typeParam(let n): return n
    case .opaque(let n, _): return n
    case .error: return "*error*"
    }
  }

  /// CEL's type notation, e.g. `map(string, list(int))`, as the conformance files write it.
  public var description: String {
    switch self {
    case .list(let e): return "list(\(e))"
    case .map(let k, let v): return "map(\(k), \(v))"
    case .type(let t): return t.map { "type(\($0))" } ?? "type"
    case .optional(let t): return "optional_type(\(t))"
    case .opaque(let n, let ps):
      return ps.isEmpty ? n : "\(n)(\(ps.map(\.description).joined(separator: ", ")))"
    default: return runtimeName
    }
  }

  /// Whether the type mentions no type parameter.
  public var isGround: Bool {
    switch self {
    case .typeParam: return false
    case .list(let e): return e.isGround
    case .map(let k, let v): return k.isGround && v.isGround
    case .type(let t): return t?.isGround ?? true
    case .optional(let t): return t.isGround
    case .opaque(_, let ps): return ps.allSatisfy(\.isGround)
    default: return true
    }
  }

  /// The type a name denotes when used as a value in an expression (`int`, `list`,
  /// `google.protobuf.Timestamp`); `dyn` has no denotation as a value.
  public static func denoted(by name: String) -> CELType? {
    name == "dyn" ? nil : named(name)
  }

  /// Looks up a type by the name a CEL expression uses for it (`int`, `list`, `google.protobuf.Timestamp`).
  public static func named(_ name: String) -> CELType? {
    switch name {
    case "dyn": return .dyn
    case "null_type": return .null
    case "bool": return .bool
    case "int": return .int
    case "uint": return .uint
    case "double": return .double
    case "string": return .string
    case "bytes": return .bytes
    case "list": return .list(.dyn)
    case "map": return .map(.dyn, .dyn)
    case "type": return .type(nil)
    case "optional_type": return .optional(.dyn)
    case "google.protobuf.Timestamp": return .timestamp
    case "google.protobuf.Duration": return .duration
    default: return nil
    }
  }
}
