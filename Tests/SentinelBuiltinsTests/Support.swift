// Test helpers: calling builtins by function name through dynamic dispatch, value constructors,
// and the conformance harness's strict value equality (kinds must match; NaN matches NaN).

import SentinelBuiltins
import SentinelModel
import Testing

/// Calls a global function of `Builtins.all` by dynamic dispatch.
func call(_ function: String, _ args: Value...) -> Value {
  Builtins.all.dispatch(function, receiver: false, args)
}

/// Calls a receiver-style function (`target.f(args)`) by dynamic dispatch.
func method(_ target: Value, _ function: String, _ args: Value...) -> Value {
  Builtins.all.dispatch(function, receiver: true, [target] + args)
}

/// Calls an overload by its id.
func invoke(_ id: String, _ args: Value...) -> Value {
  guard let i = Builtins.all.index(ofID: id) else { return .error(CELError(.other, "no overload \(id)")) }
  return Builtins.all.invoke(i, args)
}

func ts(_ s: String) -> Value {
  guard let t = Timestamp.parse(s) else { return .error(CELError(.other, "bad timestamp \(s)")) }
  return .timestamp(t)
}

func dur(_ s: String) -> Value { call("duration", .string(s)) }

func list(_ xs: Value...) -> Value { .list(xs) }

func map(_ entries: (Value, Value)...) -> Value {
  var m = MapValue()
  for (k, v) in entries { m.insert(k, v) }
  return .map(m)
}

/// Strict equality, as the conformance harness compares results: same kind, numeric kinds not
/// mixed, NaN equal to NaN, maps compared by key.
func same(_ a: Value, _ b: Value) -> Bool {
  switch (a, b) {
  case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
  case (.list(let xs), .list(let ys)):
    return xs.count == ys.count && zip(xs, ys).allSatisfy { same($0, $1) }
  case (.map(let x), .map(let y)):
    guard x.count == y.count else { return false }
    for (k, v) in x.entries {
      guard let w = y.entries.first(where: { same($0.key, k) })?.value, same(v, w) else { return false }
    }
    return true
  case (.optional(let x), .optional(let y)):
    switch (x, y) {
    case (nil, nil): return true
    case (let u?, let v?): return same(u, v)
    default: return false
    }
  case (.error, .error): return true
  default:
    return a.celType.runtimeName == b.celType.runtimeName && celEquals(a, b)
  }
}

/// A readable label for a failing case.
func show(_ v: Value) -> String {
  if case .error(let e) = v { return "error(\(e.kind.rawValue): \(e.message))" }
  return v.description
}

let anyError = Value.error(CELError(.other, "any error"))

/// One table row: a computed result and the expected value (`anyError` for any error).
struct Case: Sendable, CustomTestStringConvertible {
  let label: String
  let got: Value
  let want: Value
  init(_ label: String, _ got: Value, _ want: Value) {
    self.label = label
    self.got = got
    self.want = want
  }
  var testDescription: String { "\(label) => \(show(got)) (want \(show(want)))" }
  var passes: Bool { same(got, want) }
}
