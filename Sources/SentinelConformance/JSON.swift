// A plain JSON tree (decoded with Foundation's `JSONDecoder`), and a reader over it that keeps the
// path it is at, so that a malformed conformance file is reported as
// `sections[2].tests[5].expected.value: expected a decimal string for "int"`.

import Foundation
import SentinelModel

/// A JSON value, as read from a conformance file. Kept for display and for data the harness does
/// not decode into `Value` (protobuf messages, enums).
public indirect enum ConformanceJSON: Sendable, Hashable, Decodable, CustomStringConvertible {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([ConformanceJSON])
  case object([String: ConformanceJSON])

  /// Decodes any JSON value.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([ConformanceJSON].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: ConformanceJSON].self))
    }
  }

  /// Parses JSON text (with `JSONSerialization`, much faster than `JSONDecoder` for a tree).
  /// - Throws: the `JSONSerialization` error, whose `NSDebugDescription` says where the text is bad.
  public static func parse(_ data: Data) throws -> ConformanceJSON {
    let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    guard let json = ConformanceJSON(foundation: object) else {
      throw ConformanceFormatError(path: "$", message: "unexpected JSON object \(type(of: object))")
    }
    return json
  }

  /// Converts a `JSONSerialization` result. JSON booleans arrive as `NSNumber`s whose `objCType`
  /// is `c` (numbers never are), so they are told apart from `0` and `1` that way.
  init?(foundation object: Any) {
    switch object {
    case is NSNull:
      self = .null
    case let s as String:
      self = .string(s)
    case let n as NSNumber:
      if String(cString: n.objCType) == "c" {
        self = .bool(n.boolValue)
      } else {
        self = .number(n.doubleValue)
      }
    case let a as [Any]:
      var out: [ConformanceJSON] = []
      out.reserveCapacity(a.count)
      for x in a {
        guard let j = ConformanceJSON(foundation: x) else { return nil }
        out.append(j)
      }
      self = .array(out)
    case let o as [String: Any]:
      var out: [String: ConformanceJSON] = [:]
      out.reserveCapacity(o.count)
      for (k, x) in o {
        guard let j = ConformanceJSON(foundation: x) else { return nil }
        out[k] = j
      }
      self = .object(out)
    default:
      return nil
    }
  }

  /// Compact JSON text with sorted keys.
  public var description: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let d):
      if d == d.rounded(), abs(d) < 1e15, !(d == 0 && d.sign == .minus) { return String(Int64(d)) }
      return String(d)
    case .string(let s): return ConformanceJSON.quote(s)
    case .array(let xs): return "[" + xs.map(\.description).joined(separator: ",") + "]"
    case .object(let o):
      let body = o.keys.sorted().map { k in
        ConformanceJSON.quote(k) + ":" + (o[k]?.description ?? "null")
      }
      return "{" + body.joined(separator: ",") + "}"
    }
  }

  /// A short name of the JSON kind, for error messages.
  public var kindName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }

  static func quote(_ s: String) -> String { JSONWriter.quote(s) }
}

/// A structural problem in a conformance file: where (a path such as
/// `sections[0].tests[3].expected.kind`) and what.
public struct ConformanceFormatError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The JSON path of the offending element, `$` for the root.
  public var path: String
  /// What is wrong, e.g. `missing key "kind"`.
  public var message: String

  /// Creates a format error.
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { "\(path): \(message)" }
}

/// A cursor into a JSON tree that knows its path, with typed accessors that throw
/// `ConformanceFormatError` naming that path.
struct JSONReader {
  let json: ConformanceJSON
  let path: String

  init(_ json: ConformanceJSON, path: String = "$") {
    self.json = json
    self.path = path
  }

  func fail(_ message: String) -> ConformanceFormatError {
    ConformanceFormatError(path: path, message: message)
  }

  private func child(_ key: String) -> String {
    path == "$" ? key : "\(path).\(key)"
  }

  /// The members of an object.
  func object() throws(ConformanceFormatError) -> [String: ConformanceJSON] {
    guard case .object(let o) = json else { throw fail("expected an object, found \(json.kindName)") }
    return o
  }

  /// A required member.
  func key(_ k: String) throws(ConformanceFormatError) -> JSONReader {
    let o = try object()
    guard let v = o[k] else { throw fail("missing key \"\(k)\"") }
    return JSONReader(v, path: child(k))
  }

  /// An optional member; nil when absent.
  func optionalKey(_ k: String) throws(ConformanceFormatError) -> JSONReader? {
    let o = try object()
    return o[k].map { JSONReader($0, path: child(k)) }
  }

  /// Whether the object has the member.
  func has(_ k: String) -> Bool {
    if case .object(let o) = json { return o[k] != nil }
    return false
  }

  func string() throws(ConformanceFormatError) -> String {
    guard case .string(let s) = json else { throw fail("expected a string, found \(json.kindName)") }
    return s
  }

  /// A string or null.
  func optionalString() throws(ConformanceFormatError) -> String? {
    if case .null = json { return nil }
    return try string()
  }

  func bool() throws(ConformanceFormatError) -> Bool {
    guard case .bool(let b) = json else { throw fail("expected a boolean, found \(json.kindName)") }
    return b
  }

  func number() throws(ConformanceFormatError) -> Double {
    guard case .number(let d) = json else { throw fail("expected a number, found \(json.kindName)") }
    return d
  }

  /// An integral number that fits in Int64.
  func integer() throws(ConformanceFormatError) -> Int64 {
    let d = try number()
    guard d == d.rounded(), d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else {
      throw fail("expected an integer, found \(json)")
    }
    return Int64(d)
  }

  /// The elements of an array, each with its path.
  func array() throws(ConformanceFormatError) -> [JSONReader] {
    guard case .array(let xs) = json else { throw fail("expected an array, found \(json.kindName)") }
    return xs.enumerated().map { JSONReader($0.element, path: "\(path)[\($0.offset)]") }
  }

  /// An array of strings.
  func strings() throws(ConformanceFormatError) -> [String] {
    var out: [String] = []
    for r in try array() { out.append(try r.string()) }
    return out
  }

  /// The members of an object, sorted by key, each with its path.
  func members() throws(ConformanceFormatError) -> [(key: String, value: JSONReader)] {
    let o = try object()
    return o.keys.sorted().compactMap { k in o[k].map { (k, JSONReader($0, path: child(k))) } }
  }

  /// The single member of a one-key object (a VALUE or TYPE tag).
  func tagged(_ what: String) throws(ConformanceFormatError) -> (tag: String, value: JSONReader) {
    let o = try object()
    guard o.count == 1, let first = o.first else {
      throw fail("a \(what) must be an object with exactly one key, found \(o.count) keys")
    }
    return (first.key, JSONReader(first.value, path: child(first.key)))
  }
}
