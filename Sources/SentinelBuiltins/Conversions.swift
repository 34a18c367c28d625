// Type conversions `int() uint() double() string() bytes() bool() timestamp() duration()`
// (langdef "Types and Conversions", "Overflow"), with cel-go's overload ids and semantics:
//
// * double → int/uint truncates toward zero; NaN, ±Inf and values outside the open range
//   (-2^63, 2^63) (resp. [0, 2^64)) are range errors — so `int(-9223372036854775808.0)` fails.
// * int ↔ uint are range-checked; string → int/uint/double parse base-10 (Go's strconv rules:
//   no whitespace; `uint` takes no sign; a double literal that overflows is an error).
// * bool(string) accepts "1", "t", "T", "TRUE", "true", "True" and the false counterparts.
// * string(bytes) requires valid UTF-8; string(double) prints like Go's `%g`.
// * timestamp(string) is RFC 3339; timestamp(int) is epoch seconds; both range-checked.
// * duration(string) is Go's duration syntax (`1h2m3.5s`), limited to int64 nanoseconds.

import SentinelModel

enum Conversions {
  static func conversionError(_ from: Value, _ to: String) -> Value {
    err(.conversion, "type conversion error from '\(from.typeName)' to '\(to)'")
  }

  /// int(double): truncation toward zero, range error outside (-2^63, 2^63).
  static func doubleToInt(_ d: Double) -> Value {
    guard d.isFinite, d > -twoTo63, d < twoTo63 else { return rangeError("int64 overflow") }
    return .int(Int64(d))
  }

  /// uint(double): truncation toward zero, range error outside [0, 2^64).
  static func doubleToUint(_ d: Double) -> Value {
    guard d.isFinite, d >= 0, d < twoTo64 else { return rangeError("uint64 overflow") }
    return .uint(UInt64(d))
  }

  /// Go's strconv.ParseInt(s, 10, 64).
  static func parseInt(_ s: String) -> Int64? {
    guard !s.isEmpty else { return nil }
    return Int64(s, radix: 10)
  }

  /// Go's strconv.ParseUint(s, 10, 64): digits only.
  static func parseUint(_ s: String) -> UInt64? {
    guard let first = s.utf8.first, first >= 0x30, first <= 0x39 else { return nil }
    return UInt64(s, radix: 10)
  }

  /// Go's strconv.ParseFloat(s, 64): decimal or hex floats, `inf`/`infinity`/`nan` in any case;
  /// a finite literal that overflows to infinity is an error.
  static func parseDouble(_ s: String) -> Double? {
    guard let d = Double(s) else { return nil }
    if d.isInfinite {
      let lower = s.lowercased()
      guard lower.hasSuffix("inf") || lower.hasSuffix("infinity") else { return nil }
    }
    return d
  }

  /// Go's strconv.ParseBool.
  static func parseBool(_ s: String) -> Bool? {
    switch s {
    case "1", "t", "T", "TRUE", "true", "True": return true
    case "0", "f", "F", "FALSE", "false", "False": return false
    default: return nil
    }
  }

  static let identity: Implementation = .unary { $0 }

  static let overloads: [Overload] = [
    // MARK: int
    Overload("int64_to_int64", "int", [.int], .int, identity),
    Overload(
      "uint64_to_int64", "int", [.uint], .int,
      .unary { a in
        guard case .uint(let u) = a else { return noOverload("int", a) }
        return u <= UInt64(Int64.max) ? .int(Int64(u)) : rangeError("int64 overflow")
      }),
    Overload(
      "double_to_int64", "int", [.double], .int,
      .unary { a in
        guard case .double(let d) = a else { return noOverload("int", a) }
        return doubleToInt(d)
      }),
    Overload(
      "string_to_int64", "int", [.string], .int, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("int", a) }
        return parseInt(s).map(Value.int) ?? conversionError(a, "int")
      }),
    Overload(
      "timestamp_to_int64", "int", [.timestamp], .int,
      .unary { a in
        guard case .timestamp(let t) = a else { return noOverload("int", a) }
        return .int(t.seconds)
      }),
    Overload(
      "duration_to_int64", "int", [.duration], .int,
      .unary { a in
        guard case .duration(let d) = a else { return noOverload("int", a) }
        return d.totalNanos.map(Value.int) ?? rangeError("int64 overflow")
      }),

    // MARK: uint
    Overload("uint64_to_uint64", "uint", [.uint], .uint, identity),
    Overload(
      "int64_to_uint64", "uint", [.int], .uint,
      .unary { a in
        guard case .int(let i) = a else { return noOverload("uint", a) }
        return i >= 0 ? .uint(UInt64(i)) : rangeError("uint64 overflow")
      }),
    Overload(
      "double_to_uint64", "uint", [.double], .uint,
      .unary { a in
        guard case .double(let d) = a else { return noOverload("uint", a) }
        return doubleToUint(d)
      }),
    Overload(
      "string_to_uint64", "uint", [.string], .uint, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("uint", a) }
        return parseUint(s).map(Value.uint) ?? conversionError(a, "uint")
      }),

    // MARK: double
    Overload("double_to_double", "double", [.double], .double, identity),
    Overload(
      "int64_to_double", "double", [.int], .double,
      .unary { a in
        guard case .int(let i) = a else { return noOverload("double", a) }
        return .double(Double(i))
      }),
    Overload(
      "uint64_to_double", "double", [.uint], .double,
      .unary { a in
        guard case .uint(let u) = a else { return noOverload("double", a) }
        return .double(Double(u))
      }),
    Overload(
      "string_to_double", "double", [.string], .double, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("double", a) }
        return parseDouble(s).map(Value.double) ?? conversionError(a, "double")
      }),

    // MARK: bool
    Overload("bool_to_bool", "bool", [.bool], .bool, identity),
    Overload(
      "string_to_bool", "bool", [.string], .bool,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("bool", a) }
        return parseBool(s).map(Value.bool) ?? conversionError(a, "bool")
      }),

    // MARK: bytes
    Overload("bytes_to_bytes", "bytes", [.bytes], .bytes, identity),
    Overload(
      "string_to_bytes", "bytes", [.string], .bytes, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("bytes", a) }
        return .bytes(Array(s.utf8))
      }),

    // MARK: string
    Overload("string_to_string", "string", [.string], .string, identity),
    Overload(
      "bool_to_string", "string", [.bool], .string,
      .unary { a in
        guard case .bool(let b) = a else { return noOverload("string", a) }
        return .string(b ? "true" : "false")
      }),
    Overload(
      "int64_to_string", "string", [.int], .string,
      .unary { a in
        guard case .int(let i) = a else { return noOverload("string", a) }
        return .string(String(i))
      }),
    Overload(
      "uint64_to_string", "string", [.uint], .string,
      .unary { a in
        guard case .uint(let u) = a else { return noOverload("string", a) }
        return .string(String(u))
      }),
    Overload(
      "double_to_string", "string", [.double], .string,
      .unary { a in
        guard case .double(let d) = a else { return noOverload("string", a) }
        return .string(DoubleFormat.goG(d))
      }),
    Overload(
      "bytes_to_string", "string", [.bytes], .string, cost: Cost.linear,
      .unary { a in
        guard case .bytes(let b) = a else { return noOverload("string", a) }
        guard let s = String(validating: b, as: UTF8.self) else {
          return err(.conversion, "invalid UTF-8 in bytes, cannot convert to string")
        }
        return .string(s)
      }),
    Overload(
      "timestamp_to_string", "string", [.timestamp], .string,
      .unary { a in
        guard case .timestamp(let t) = a else { return noOverload("string", a) }
        guard TimeMath.inRange(t) else { return TimeMath.timestampRange }
        return .string(TimeMath.format(t))
      }),
    Overload(
      "duration_to_string", "string", [.duration], .string,
      .unary { a in
        guard case .duration(let d) = a else { return noOverload("string", a) }
        return .string(TimeMath.format(d))
      }),

    // MARK: timestamp
    Overload("timestamp_to_timestamp", "timestamp", [.timestamp], .timestamp, identity),
    Overload(
      "string_to_timestamp", "timestamp", [.string], .timestamp, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("timestamp", a) }
        guard let t = Timestamp.parse(s) else {
          return err(.conversion, "cannot parse timestamp (RFC 3339, within years 0001-9999): '\(s)'")
        }
        return .timestamp(t)
      }),
    Overload(
      "int64_to_timestamp", "timestamp", [.int], .timestamp,
      .unary { a in
        guard case .int(let i) = a else { return noOverload("timestamp", a) }
        guard i >= Timestamp.minSeconds, i <= Timestamp.maxSeconds else { return TimeMath.timestampRange }
        return .timestamp(Timestamp(seconds: i))
      }),

    // MARK: duration
    Overload("duration_to_duration", "duration", [.duration], .duration, identity),
    Overload(
      "string_to_duration", "duration", [.string], .duration, cost: Cost.linear,
      .unary { a in
        guard case .string(let s) = a else { return noOverload("duration", a) }
        guard let d = TimeMath.parseDuration(s) else {
          return err(.conversion, "invalid duration (or outside ±292 years): '\(s)'")
        }
        return .duration(d)
      }),
  ]
}
