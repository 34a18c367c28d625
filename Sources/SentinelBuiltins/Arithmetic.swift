// Arithmetic operators `_+_ _-_ _*_ _/_ _%_ -_` (langdef "Arithmetic Operators", "Overflow").
// int and uint arithmetic is checked: overflow, division and modulus by zero, and
// INT64_MIN / -1 (and INT64_MIN % -1, as cel-go) are error values. double follows IEEE 754.
// Concatenation of strings, bytes and lists, and timestamp/duration arithmetic are here too.

import SentinelModel

enum Arithmetic {
  static let overloads: [Overload] = [
    // MARK: _+_
    Overload(
      "add_int64", "_+_", [.int, .int], .int,
      .binary { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload("_+_", a, b) }
        let (r, o) = x.addingReportingOverflow(y)
        return o ? overflowValue : .int(r)
      }),
    Overload(
      "add_uint64", "_+_", [.uint, .uint], .uint,
      .binary { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload("_+_", a, b) }
        let (r, o) = x.addingReportingOverflow(y)
        return o ? overflowValue : .uint(r)
      }),
    Overload(
      "add_double", "_+_", [.double, .double], .double,
      .binary { a, b in
        guard case .double(let x) = a, case .double(let y) = b else { return noOverload("_+_", a, b) }
        return .double(x + y)
      }),
    Overload(
      "add_string", "_+_", [.string, .string], .string, cost: Cost.linear,
      .binary { a, b in
        guard case .string(let x) = a, case .string(let y) = b else { return noOverload("_+_", a, b) }
        return .string(x + y)
      }),
    Overload(
      "add_bytes", "_+_", [.bytes, .bytes], .bytes, cost: Cost.linear,
      .binary { a, b in
        guard case .bytes(let x) = a, case .bytes(let y) = b else { return noOverload("_+_", a, b) }
        return .bytes(x + y)
      }),
    Overload(
      "add_list", "_+_", [T.listA, T.listA], T.listA, cost: Cost.linear,
      .binary { a, b in
        guard case .list(let x) = a, case .list(let y) = b else { return noOverload("_+_", a, b) }
        if x.isEmpty { return b }
        if y.isEmpty { return a }
        return .list(x + y)
      }),
    Overload(
      "add_timestamp_duration", "_+_", [.timestamp, .duration], .timestamp,
      .binary { a, b in
        guard case .timestamp(let t) = a, case .duration(let d) = b else { return noOverload("_+_", a, b) }
        return TimeMath.add(t, d)
      }),
    Overload(
      "add_duration_timestamp", "_+_", [.duration, .timestamp], .timestamp,
      .binary { a, b in
        guard case .duration(let d) = a, case .timestamp(let t) = b else { return noOverload("_+_", a, b) }
        return TimeMath.add(t, d)
      }),
    Overload(
      "add_duration_duration", "_+_", [.duration, .duration], .duration,
      .binary { a, b in
        guard case .duration(let x) = a, case .duration(let y) = b else { return noOverload("_+_", a, b) }
        return TimeMath.add(x, y, negate: false)
      }),

    // MARK: _-_
    Overload(
      "subtract_int64", "_-_", [.int, .int], .int,
      .binary { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload("_-_", a, b) }
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? overflowValue : .int(r)
      }),
    Overload(
      "subtract_uint64", "_-_", [.uint, .uint], .uint,
      .binary { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload("_-_", a, b) }
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? overflowValue : .uint(r)
      }),
    Overload(
      "subtract_double", "_-_", [.double, .double], .double,
      .binary { a, b in
        guard case .double(let x) = a, case .double(let y) = b else { return noOverload("_-_", a, b) }
        return .double(x - y)
      }),
    Overload(
      "subtract_timestamp_timestamp", "_-_", [.timestamp, .timestamp], .duration,
      .binary { a, b in
        guard case .timestamp(let x) = a, case .timestamp(let y) = b else { return noOverload("_-_", a, b) }
        return TimeMath.difference(x, y)
      }),
    Overload(
      "subtract_timestamp_duration", "_-_", [.timestamp, .duration], .timestamp,
      .binary { a, b in
        guard case .timestamp(let t) = a, case .duration(let d) = b else { return noOverload("_-_", a, b) }
        return TimeMath.subtract(t, d)
      }),
    Overload(
      "subtract_duration_duration", "_-_", [.duration, .duration], .duration,
      .binary { a, b in
        guard case .duration(let x) = a, case .duration(let y) = b else { return noOverload("_-_", a, b) }
        return TimeMath.add(x, y, negate: true)
      }),

    // MARK: _*_
    Overload(
      "multiply_int64", "_*_", [.int, .int], .int,
      .binary { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload("_*_", a, b) }
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return o ? overflowValue : .int(r)
      }),
    Overload(
      "multiply_uint64", "_*_", [.uint, .uint], .uint,
      .binary { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload("_*_", a, b) }
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return o ? overflowValue : .uint(r)
      }),
    Overload(
      "multiply_double", "_*_", [.double, .double], .double,
      .binary { a, b in
        guard case .double(let x) = a, case .double(let y) = b else { return noOverload("_*_", a, b) }
        return .double(x * y)
      }),

    // MARK: _/_
    Overload(
      "divide_int64", "_/_", [.int, .int], .int,
      .binary { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload("_/_", a, b) }
        if y == 0 { return .error(.divideByZero) }
        if x == .min && y == -1 { return overflowValue }
        return .int(x / y)
      }),
    Overload(
      "divide_uint64", "_/_", [.uint, .uint], .uint,
      .binary { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload("_/_", a, b) }
        if y == 0 { return .error(.divideByZero) }
        return .uint(x / y)
      }),
    Overload(
      "divide_double", "_/_", [.double, .double], .double,
      .binary { a, b in
        guard case .double(let x) = a, case .double(let y) = b else { return noOverload("_/_", a, b) }
        return .double(x / y)
      }),

    // MARK: _%_
    Overload(
      "modulo_int64", "_%_", [.int, .int], .int,
      .binary { a, b in
        guard case .int(let x) = a, case .int(let y) = b else { return noOverload("_%_", a, b) }
        if y == 0 { return .error(.modulusByZero) }
        if x == .min && y == -1 { return overflowValue }  // as cel-go; Swift would trap
        return .int(x % y)
      }),
    Overload(
      "modulo_uint64", "_%_", [.uint, .uint], .uint,
      .binary { a, b in
        guard case .uint(let x) = a, case .uint(let y) = b else { return noOverload("_%_", a, b) }
        if y == 0 { return .error(.modulusByZero) }
        return .uint(x % y)
      }),

    // MARK: -_
    Overload(
      "negate_int64", "-_", [.int], .int,
      .unary { a in
        guard case .int(let x) = a else { return noOverload("-_", a) }
        if x == .min { return overflowValue }
        return .int(-x)
      }),
    Overload(
      "negate_double", "-_", [.double], .double,
      .unary { a in
        guard case .double(let x) = a else { return noOverload("-_", a) }
        return .double(-x)
      }),
  ]
}
