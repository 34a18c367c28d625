// The builtin catalog: every CEL function the engine knows, each overload declared once with its
// signature (read by the checker), its cost (read by the verifier's cost bound) and ONE
// implementation (run by the VM, by the reference evaluator and by constant folding).

import SentinelModel

/// The implementation of one overload. Arguments are never error values: the caller
/// (`Catalog.invoke`) propagates an error argument before calling a strict implementation.
public enum Implementation: Sendable {
  case unary(@Sendable (Value) -> Value)
  case binary(@Sendable (Value, Value) -> Value)
  case ternary(@Sendable (Value, Value, Value) -> Value)
  case nary(@Sendable ([Value]) -> Value)
}

/// The typed form of an overload that the verifier may run without boxing or a closure call, on
/// a variable and a constant of proven kinds (`test.vk`, docs/bytecode.md "Typed instructions").
/// Each case names public typed kernels that the overload's own closure calls too, so the
/// catalog, constant folding, the reference evaluator and the VM share one implementation.
public enum KernelShape: Sendable, Hashable {
  /// An ordering on ints and doubles: `Relation.holds` on (int, int), (int, double), (double,
  /// int) or (double, double).
  case order(Relation)
  /// `_==_` (or `_!=_` when negated) on ints, doubles and strings: `EqualityKernel.equal`.
  case equals(negated: Bool)
  /// `@in` of a string in a list: `Lists.containsString`.
  case inList
  /// `@in` of a string in a map's keys: `MapValue.contains(string:)`.
  case inMap
  /// `matches` of a string with a pattern: `ConstantPattern.matches`.
  case matches
}

/// One overload of a function: `add_int64` is `_+_(int, int) -> int`.
public struct Overload: Sendable {
  /// Stable id, as cel-go names them (`add_int64`, `size_string`, `string_to_int64`…);
  /// bundles refer to builtins by this id.
  public let id: String
  /// The function name (`_+_`, `size`, `contains`…).
  public let function: String
  /// Whether it is called as `target.f(args)`; then `params[0]` is the target's type.
  public let isReceiver: Bool
  public let params: [CELType]
  public let result: CELType
  /// Relative cost of one call, for the verifier's worst-case bound (1 = one arithmetic op).
  public let cost: Int
  public let implementation: Implementation
  /// Its typed kernel, if the VM may specialize a call of it (`KernelShape`).
  public let kernel: KernelShape?

  public init(
    _ id: String, _ function: String, receiver: Bool = false, _ params: [CELType], _ result: CELType,
    cost: Int = 1, kernel: KernelShape? = nil, _ implementation: Implementation
  ) {
    self.kernel = kernel
    self.id = id
    self.function = function
    self.isReceiver = receiver
    self.params = params
    self.result = result
    self.cost = cost
    self.implementation = implementation
  }

  /// The number of arguments, the target included.
  public var arity: Int { params.count }
}

/// A set of overloads, addressed by index (a builtin's number inside one process) and by id.
public struct Catalog: Sendable {
  public private(set) var overloads: [Overload] = []
  private var byID: [String: Int] = [:]
  private var byFunction: [String: [Int]] = [:]

  public init(_ overloads: [Overload] = []) {
    for o in overloads { add(o) }
  }

  /// Adds an overload; a later overload with the same id replaces the earlier one.
  public mutating func add(_ o: Overload) {
    if let i = byID[o.id] {
      overloads[i] = o
      return
    }
    byID[o.id] = overloads.count
    byFunction[o.function, default: []].append(overloads.count)
    overloads.append(o)
  }

  /// The union of two catalogs.
  public static func + (a: Catalog, b: Catalog) -> Catalog {
    var c = a
    for o in b.overloads { c.add(o) }
    return c
  }

  /// Index of the overload with this id.
  public func index(ofID id: String) -> Int? { byID[id] }

  /// Indices of the overloads of a function name.
  public func overloads(of function: String) -> [Int] { byFunction[function] ?? [] }

  /// Whether any overload has this function name.
  public func hasFunction(_ name: String) -> Bool { byFunction[name] != nil }

  /// Calls overload `index` on arguments, propagating the first error argument (CEL functions
  /// are strict). INVARIANT: `args.count == overloads[index].arity`.
  @inlinable
  public func invoke(_ index: Int, _ args: [Value]) -> Value {
    for a in args where a.isError { return a }
    switch overloads[index].implementation {
    case .unary(let f): return f(args[0])
    case .binary(let f): return f(args[0], args[1])
    case .ternary(let f): return f(args[0], args[1], args[2])
    case .nary(let f): return f(args)
    }
  }

  /// Dynamic dispatch, for unchecked expressions and `dyn` arguments: the first overload of
  /// `function` (receiver-style or global as called) whose parameters accept the runtime
  /// arguments; `no_matching_overload` when none does.
  public func dispatch(_ function: String, receiver: Bool, _ args: [Value]) -> Value {
    for a in args where a.isError { return a }
    for i in overloads(of: function) {
      let o = overloads[i]
      guard o.isReceiver == receiver, o.arity == args.count else { continue }
      var bindings: [String: CELType] = [:]
      if zip(o.params, args).allSatisfy({ Catalog.accepts($0.0, $0.1, &bindings) }) {
        return invoke(i, args)
      }
    }
    return .error(.noOverload(function, args))
  }

  /// Whether a runtime value fits a declared parameter type (`bindings` is reserved for
  /// stricter matching; type parameters accept any value at run time).
  public static func accepts(_ t: CELType, _ v: Value, _ bindings: inout [String: CELType]) -> Bool {
    switch t {
    case .dyn: return true
    case .typeParam:
      // NOTE: at run time a type parameter accepts any value (as cel-go's dispatcher): the
      // checker already enforced consistency, and CEL's equality is heterogeneous (`1 == 1u`).
      return true
    case .null: if case .null = v { return true }
    case .bool: if case .bool = v { return true }
    case .int: if case .int = v { return true }
    case .uint: if case .uint = v { return true }
    case .double: if case .double = v { return true }
    case .string: if case .string = v { return true }
    case .bytes: if case .bytes = v { return true }
    case .timestamp: if case .timestamp = v { return true }
    case .duration: if case .duration = v { return true }
    case .list: if case .list = v { return true }
    case .map: if case .map = v { return true }
    case .type: if case .type = v { return true }
    case .optional: if case .optional = v { return true }
    case .opaque:
      // An opaque value is carried as its representation (`ScreeningFunction.representation`).
      guard let r = ScreeningFunction.representation(of: t) else { return false }
      return accepts(r, v, &bindings)
    case .error: return false
    }
    return false
  }
}
