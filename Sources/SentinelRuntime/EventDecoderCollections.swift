// Lists, maps and `dyn` values of the event decoder: typed element by element, materialized only
// when a program reads the field. These read the line through `EventScanner`'s token methods
// (the raw buffer stays in EventDecoderScanner.swift).

import SentinelModel

extension EventScanner {
  /// A value of a list, map or `dyn` kind (field `f` is named in errors); nil when not wanted.
  mutating func value(_ kind: ValueKind, _ f: Int, depth: Int, want: Bool) throws(EventError) -> Value? {
    let c = peek()
    switch kind {
    case .any:
      return try anyValue(f, depth: depth, want: want)
    case .list(let e):
      guard c == UInt8(ascii: "[") else { break }
      guard depth < EventDecoder.maxDepth else { throw tooDeep() }
      i += 1
      var xs: [Value] = []
      skipSpace()
      if peek() == UInt8(ascii: "]") {
        i += 1
        return want ? .list(xs) : nil
      }
      while true {
        if let v = try value(e, f, depth: depth + 1, want: want) { xs.append(v) }
        skipSpace()
        let d = peek()
        if d == UInt8(ascii: ",") {
          i += 1
          skipSpace()
          continue
        }
        guard d == UInt8(ascii: "]") else { throw syntax("expected ',' or ']'") }
        i += 1
        return want ? .list(xs) : nil
      }
    case .map(let e):
      guard c == UInt8(ascii: "{") else { break }
      guard depth < EventDecoder.maxDepth else { throw tooDeep() }
      i += 1
      var m = MapValue()
      skipSpace()
      if peek() == UInt8(ascii: "}") {
        i += 1
        return want ? .map(m) : nil
      }
      while true {
        guard peek() == UInt8(ascii: "\"") else { throw syntax("expected a string key") }
        let k = try scanString()
        skipSpace()
        guard peek() == UInt8(ascii: ":") else { throw syntax("expected ':'") }
        i += 1
        skipSpace()
        if let v = try value(e, f, depth: depth + 1, want: want) { m.set(.string(makeString(k)), v) }
        skipSpace()
        let d = peek()
        if d == UInt8(ascii: ",") {
          i += 1
          skipSpace()
          continue
        }
        guard d == UInt8(ascii: "}") else { throw syntax("expected ',' or '}'") }
        i += 1
        return want ? .map(m) : nil
      }
    case .string: return try scalar(.string, f, depth: depth, want: want, element: true)
    case .int: return try scalar(.int, f, depth: depth, want: want, element: true)
    case .uint: return try scalar(.uint, f, depth: depth, want: want, element: true)
    case .double: return try scalar(.double, f, depth: depth, want: want, element: true)
    case .bool: return try scalar(.bool, f, depth: depth, want: want, element: true)
    case .timestamp: return try scalar(.timestamp, f, depth: depth, want: want, element: true)
    case .duration: return try scalar(.duration, f, depth: depth, want: want, element: true)
    case .unsupported: break
    }
    fail(f, .wrongType, "must be \(plan.expected(f)) (found \(EventValues.jsonKind(c)))")
    try skipValue(depth: depth)
    return nil
  }

  /// Any JSON value as `JSONReader` converts it (integers → int, or uint above Int64.max;
  /// other numbers → double; duplicate keys: the last wins). Non-finite numbers are rejected.
  mutating func anyValue(_ f: Int, depth: Int, want: Bool) throws(EventError) -> Value? {
    switch peek() {
    case UInt8(ascii: "\""):
      let span = try scanString()
      return want ? .string(makeString(span)) : nil
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth < EventDecoder.maxDepth else { throw tooDeep() }
      let isObject = peek() == UInt8(ascii: "{")
      let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
      i += 1
      var m = MapValue()
      var xs: [Value] = []
      skipSpace()
      if peek() == close {
        i += 1
      } else {
        while true {
          var k: StringSpan?
          if isObject {
            guard peek() == UInt8(ascii: "\"") else { throw syntax("expected a string key") }
            k = try scanString()
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { throw syntax("expected ':'") }
            i += 1
            skipSpace()
          }
          let v = try anyValue(f, depth: depth + 1, want: want)
          if let v {
            if let k { m.set(.string(makeString(k)), v) } else { xs.append(v) }
          }
          skipSpace()
          let d = peek()
          if d == UInt8(ascii: ",") {
            i += 1
            skipSpace()
            continue
          }
          guard d == close else { throw syntax(isObject ? "expected ',' or '}'" : "expected ',' or ']'") }
          i += 1
          break
        }
      }
      guard want else { return nil }
      return isObject ? .map(m) : .list(xs)
    case 0x74:
      try literal("true")
      return want ? .bool(true) : nil
    case 0x66:
      try literal("false")
      return want ? .bool(false) : nil
    case 0x6E:
      try literal("null")
      return want ? .null : nil
    default:
      guard peek() == UInt8(ascii: "-") || peek() &- 0x30 < 10 else {
        try skipValue(depth: depth)  // throws: not a JSON value
        return nil
      }
      let t = try number()
      if t.integral {
        if let v = EventValues.int64(t) { return want ? .int(v) : nil }
        if let v = EventValues.uint64(t) ?? (t.negative ? nil : UInt64(tokenText(t))) {
          return want ? .uint(v) : nil
        }
      }
      if let d = EventValues.fastDouble(t) { return want ? .double(d) : nil }
      guard let d = slowDouble(t), d.isFinite else { return outOfRange(f) }
      return want ? .double(d) : nil
    }
  }
}

extension ValueKind {
  init(tag: FieldTag) {
    switch tag {
    case .string: self = .string
    case .int: self = .int
    case .uint: self = .uint
    case .double: self = .double
    case .bool: self = .bool
    case .timestamp: self = .timestamp
    case .duration: self = .duration
    case .any: self = .any
    default: self = .unsupported
    }
  }
}
