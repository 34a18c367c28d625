// VALUE and TYPE trees of the conformance files (fixtures/cel-conformance/README.md, "VALUE" and
// the `*_tree` fields) → SentinelModel's `Value` and `CELType`.
//
// Two kinds of trouble are kept apart: a *malformed* tree (`{"int": 5}`, a bad base64 string) is a
// `ConformanceFormatError` and fails loading the file; a well-formed tree the engine cannot
// represent (protobuf messages, enums, wrapper types, `google.protobuf.Any`) decodes to
// `.unsupported`, and the runner skips the tests that use it.

import Foundation
import SentinelModel

/// A decoded VALUE or TYPE, or the reason it has no SentinelModel counterpart.
public enum ConformanceDecoded<Wrapped: Sendable>: Sendable {
  /// The tree decoded.
  case supported(Wrapped)
  /// The tree is well formed but names something the engine does not model (a protobuf message,
  /// an enum value, a wrapper type…); `json` is the original tree, for display.
  case unsupported(reason: String, json: ConformanceJSON)

  /// The decoded value, or nil when unsupported.
  public var supported: Wrapped? {
    if case .supported(let w) = self { return w }
    return nil
  }

  /// Why the tree is unsupported, or nil when it decoded.
  public var unsupportedReason: String? {
    if case .unsupported(let reason, _) = self { return reason }
    return nil
  }
}

/// Either failure while decoding a tree.
private enum TreeFailure: Error {
  case malformed(ConformanceFormatError)
  case unsupported(String)
}

/// Decoding of the VALUE and TYPE trees of the conformance files.
public enum ConformanceValueDecoding {
  /// Decodes a VALUE tree: `{"int": "-5"}`, `{"double": "NaN"}`, `{"list": [...]}`, …
  /// Messages (`object`), `enum` values, and `error`/`unknown` binding values are unsupported.
  /// - Parameter path: the tree's location, used in error messages.
  public static func value(
    from json: ConformanceJSON, path: String = "$"
  ) throws(ConformanceFormatError) -> ConformanceDecoded<Value> {
    do {
      return .supported(try decodeValue(JSONReader(json, path: path)))
    } catch {
      switch error {
      case .malformed(let e): throw e
      case .unsupported(let reason): return .unsupported(reason: reason, json: json)
      }
    }
  }

  /// Decodes a TYPE tree: `{"primitive": "int"}`, `{"list": TYPE}`, `{"type_param": "T"}`, …
  /// `function(R, A...)` becomes `.opaque("function", [R, A...])` and abstract types other than
  /// `optional_type(T)` become `.opaque(name, params)`, so that `description` gives the
  /// conformance files' notation. The messages `google.protobuf.Timestamp`/`Duration` are
  /// `.timestamp`/`.duration`; other message types, wrapper types and `google.protobuf.Any` are
  /// unsupported.
  public static func type(
    from json: ConformanceJSON, path: String = "$"
  ) throws(ConformanceFormatError) -> ConformanceDecoded<CELType> {
    do {
      return .supported(try decodeType(JSONReader(json, path: path)))
    } catch {
      switch error {
      case .malformed(let e): throw e
      case .unsupported(let reason): return .unsupported(reason: reason, json: json)
      }
    }
  }

  /// Decodes a VALUE tree from JSON text (a convenience for tests and tools).
  public static func value(fromJSON text: String) throws -> ConformanceDecoded<Value> {
    try value(from: ConformanceJSON.parse(Data(text.utf8)))
  }

  /// Decodes a TYPE tree from JSON text (a convenience for tests and tools).
  public static func type(fromJSON text: String) throws -> ConformanceDecoded<CELType> {
    try type(from: ConformanceJSON.parse(Data(text.utf8)))
  }

  /// Parses a duration in the protobuf JSON form: optional `-`, seconds, an optional fraction of
  /// 1 to 9 digits, and `s` (`"123.321456789s"`, `"-1.5s"`, `"0s"`). Nil when malformed or out of
  /// the protobuf Duration range.
  public static func parseDuration(_ text: String) -> SentinelModel.Duration? {
    var b = Array(text.utf8)[...]
    guard b.last == UInt8(ascii: "s") else { return nil }
    b = b.dropLast()
    var negative = false
    if b.first == UInt8(ascii: "-") {
      negative = true
      b = b.dropFirst()
    }
    var seconds: Int64 = 0
    var secondDigits = 0
    while let c = b.first, c >= 48 && c <= 57 {
      let (m, o1) = seconds.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
      if o1 || o2 { return nil }
      seconds = a
      secondDigits += 1
      b = b.dropFirst()
    }
    guard secondDigits > 0 else { return nil }
    var nanos: Int64 = 0
    if b.first == UInt8(ascii: ".") {
      b = b.dropFirst()
      guard !b.isEmpty, b.count <= 9 else { return nil }
      for c in b {
        guard c >= 48 && c <= 57 else { return nil }
        nanos = nanos * 10 + Int64(c - 48)
      }
      for _ in b.count..<9 { nanos *= 10 }
      b = b.dropFirst(b.count)
    }
    guard b.isEmpty else { return nil }
    return negative
      ? SentinelModel.Duration.make(seconds: -seconds, nanos: -nanos)
      : SentinelModel.Duration.make(seconds: seconds, nanos: nanos)
  }

  // MARK: - VALUE

  private static func decodeValue(_ r: JSONReader) throws(TreeFailure) -> Value {
    do {
      let (tag, v) = try r.tagged("VALUE")
      switch tag {
      case "null":
        return .null
      case "bool":
        return .bool(try v.bool())
      case "int":
        let s = try v.string()
        guard let i = Int64(s) else { throw v.fail("expected a decimal int64 string, found \"\(s)\"") }
        return .int(i)
      case "uint":
        let s = try v.string()
        guard let u = UInt64(s) else { throw v.fail("expected a decimal uint64 string, found \"\(s)\"") }
        return .uint(u)
      case "double":
        return .double(try decodeDouble(v))
      case "string":
        return .string(try v.string())
      case "bytes_b64":
        let s = try v.string()
        guard let data = Data(base64Encoded: s) else { throw v.fail("invalid base64 \"\(s)\"") }
        return .bytes(Array(data))
      case "list":
        var out: [Value] = []
        for e in try v.array() { out.append(try decodeValue(e)) }
        return .list(out)
      case "map":
        return .map(try decodeMap(v))
      case "type":
        let name = try v.string()
        return .type(CELType.named(name) ?? .opaque(name, []))
      case "timestamp":
        let s = try v.string()
        guard let t = Timestamp.parse(s) else { throw v.fail("invalid or out-of-range timestamp \"\(s)\"") }
        return .timestamp(t)
      case "duration":
        let s = try v.string()
        guard let d = parseDuration(s) else { throw v.fail("invalid or out-of-range duration \"\(s)\"") }
        return .duration(d)
      case "enum":
        let type = (try? v.key("type").string()) ?? "?"
        throw TreeFailure.unsupported("enum value of type \(type)")
      case "object":
        let type = (try? v.key("type").string()) ?? "?"
        throw TreeFailure.unsupported("protobuf message \(type)")
      case "error":
        throw TreeFailure.unsupported("error value in a binding")
      case "unknown":
        throw TreeFailure.unsupported("unknown value in a binding")
      default:
        throw TreeFailure.unsupported("unknown VALUE tag \"\(tag)\"")
      }
    } catch let e as ConformanceFormatError {
      throw .malformed(e)
    } catch let e as TreeFailure {
      throw e
    } catch {
      throw .malformed(r.fail("\(error)"))
    }
  }

  private static func decodeDouble(_ v: JSONReader) throws -> Double {
    switch v.json {
    case .number(let d): return d
    case .string("NaN"): return .nan
    case .string("Infinity"): return .infinity
    case .string("-Infinity"): return -.infinity
    default:
      throw v.fail("expected a number or \"NaN\"/\"Infinity\"/\"-Infinity\", found \(v.json)")
    }
  }

  private static func decodeMap(_ v: JSONReader) throws -> MapValue {
    var m = MapValue()
    for entry in try v.array() {
      let key = try decodeValue(try entry.key("key"))
      let value = try decodeValue(try entry.key("value"))
      guard MapKey(key) != nil else {
        throw TreeFailure.unsupported("map key \(key) of type \(key.typeName) at \(entry.path)")
      }
      guard m.insert(key, value) else {
        throw TreeFailure.unsupported("map key \(key) collides with an earlier key at \(entry.path)")
      }
    }
    return m
  }

  // MARK: - TYPE

  private static func decodeType(_ r: JSONReader) throws(TreeFailure) -> CELType {
    do {
      let (tag, v) = try r.tagged("TYPE")
      switch tag {
      case "dyn":
        return .dyn
      case "null":
        return .null
      case "primitive":
        let name = try v.string()
        switch name {
        case "bool": return .bool
        case "int": return .int
        case "uint": return .uint
        case "double": return .double
        case "string": return .string
        case "bytes": return .bytes
        default: throw v.fail("unknown primitive type \"\(name)\"")
        }
      case "wrapper":
        throw TreeFailure.unsupported("wrapper type wrapper(\((try? v.string()) ?? "?"))")
      case "well_known":
        let name = try v.string()
        switch name {
        case "timestamp": return .timestamp
        case "duration": return .duration
        case "any": throw TreeFailure.unsupported("type google.protobuf.Any")
        default: throw v.fail("unknown well-known type \"\(name)\"")
        }
      case "list":
        return .list(try decodeType(v))
      case "map":
        return .map(try decodeType(try v.key("key")), try decodeType(try v.key("value")))
      case "function":
        var parts = [try decodeType(try v.key("result"))]
        for a in try v.key("args").array() { parts.append(try decodeType(a)) }
        return .opaque("function", parts)
      case "message":
        // The well-known Timestamp and Duration messages are CEL's timestamp and duration.
        let name = try v.string()
        switch name {
        case "google.protobuf.Timestamp": return .timestamp
        case "google.protobuf.Duration": return .duration
        default: throw TreeFailure.unsupported("message type \(name)")
        }
      case "type_param":
        return .typeParam(try v.string())
      case "type":
        if case .null = v.json { return .type(nil) }
        return .type(try decodeType(v))
      case "error":
        return .error
      case "abstract":
        let name = try v.key("name").string()
        var params: [CELType] = []
        for p in try v.key("params").array() { params.append(try decodeType(p)) }
        if name == "optional_type", params.count == 1 { return .optional(params[0]) }
        return .opaque(name, params)
      default:
        throw TreeFailure.unsupported("unknown TYPE tag \"\(tag)\"")
      }
    } catch let e as ConformanceFormatError {
      throw .malformed(e)
    } catch let e as TreeFailure {
      throw e
    } catch {
      throw .malformed(r.fail("\(error)"))
    }
  }
}
