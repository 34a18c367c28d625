// The decision line of REFERENCE_RULES.md, `{"event_id":…,"action":…,"score":N,"rules":[…]}`:
// one implementation for `Decision.jsonLine` (SentinelRuntime), a `DecisionRecord` made without
// its line (rendered when asked), and an in-memory replay's output, which writes the bytes
// straight into its buffer (`append`) with no string per line.

import SentinelModel

/// Renders decision lines.
public enum DecisionLine {
  /// The line as a string.
  public static func string(eventID: String, action: String, score: Int, rules: [String]) -> String {
    // The bytes are written straight into the string's storage, each id tested for escaping as
    // it is copied (the common case: none needs it); when one does, the line is built again by
    // appending.
    var plain = true
    let line = String(unsafeUninitializedCapacity: capacity(eventID, action, rules)) { buffer in
      var w = LineWriter(buffer: buffer)
      guard write(&w, eventID, action, score, rules) else {
        plain = false
        return 0
      }
      return w.count
    }
    return plain ? line : escaped(eventID: eventID, action: action, score: score, rules: rules)
  }

  /// Appends the line's bytes (no newline) to `out`: what `string` gives, without making it.
  public static func append(
    eventID: String, action: String, score: Int, rules: [String], to out: inout [UInt8]
  ) {
    let done = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity(eventID, action, rules)) {
      buffer -> Bool in
      var w = LineWriter(buffer: buffer)
      guard write(&w, eventID, action, score, rules) else { return false }
      out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<w.count]))
      return true
    }
    if !done {
      out.append(contentsOf: escaped(eventID: eventID, action: action, score: score, rules: rules).utf8)
    }
  }

  /// The line built by appending, each string quoted by `JSONWriter.quote` (escaped as needed):
  /// what `string` falls back to when an id needs escaping.
  public static func escaped(eventID: String, action: String, score: Int, rules: [String]) -> String {
    var out = "{\"event_id\":"
    out += JSONWriter.quote(eventID)
    out += ",\"action\":"
    out += JSONWriter.quote(action)
    out += ",\"score\":"
    out += String(score)
    out += ",\"rules\":["
    for (k, r) in rules.enumerated() {
      if k > 0 { out += "," }
      out += JSONWriter.quote(r)
    }
    out += "]}"
    return out
  }

  /// Whether UTF-8 `bytes` need escaping in a JSON string literal: a control character, a quote
  /// or a backslash (no early exit: ids are short, and the loop stays branch-free).
  @inline(__always)
  public static func needsEscaping(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    var bad = false
    for b in bytes { bad = bad || b < 0x20 || b == 0x22 || b == 0x5C }
    return bad
  }

  /// Whether `s` needs escaping in a JSON string literal.
  public static func needsEscaping(_ s: String) -> Bool {
    // Over the contiguous bytes when the string has them (native strings do): the `utf8` view's
    // iterator was ~1.5 % of replay's deciding thread for the event ids (docs/performance.md,
    // "s16-decide").
    var s = s
    return s.withUTF8 { needsEscaping(bytes: $0) }
  }

  /// The most bytes a plain line takes: the fixed text (47 bytes), the score at its longest (20
  /// bytes: Int.min), the event id and action, and each rule id with its quotes and comma.
  static func capacity(_ eventID: String, _ action: String, _ rules: [String]) -> Int {
    var n = 47 + 20 + eventID.utf8.count + action.utf8.count
    for r in rules { n += r.utf8.count + 3 }
    return n
  }

  /// Writes the plain line; false when a string needs escaping.
  @inline(__always)
  static func write(
    _ w: inout LineWriter, _ eventID: String, _ action: String, _ score: Int, _ rules: [String]
  )
    -> Bool
  {
    w.write("{\"event_id\":\"")
    guard w.writeUnescaped(eventID) else { return false }
    w.write("\",\"action\":\"")
    guard w.writeUnescaped(action) else { return false }
    w.write("\",\"score\":")
    w.write(score)
    w.write(",\"rules\":[")
    for (k, r) in rules.enumerated() {
      w.write(k > 0 ? ",\"" : "\"")
      guard w.writeUnescaped(r) else { return false }
      w.write("\"")
    }
    w.write("]}")
    return true
  }
}

/// Writes the bytes of a decision line into uninitialized storage whose capacity the caller
/// computed (`DecisionLine.capacity`).
struct LineWriter {
  let buffer: UnsafeMutableBufferPointer<UInt8>
  private(set) var count = 0

  init(buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

  /// Copies `s` unless it needs escaping in a JSON string literal (`DecisionLine.needsEscaping`):
  /// false then, with what was copied left behind (the caller drops the line). Over the string's
  /// contiguous bytes, read in place: `withUTF8` on a copy retained and released it per id.
  mutating func writeUnescaped(_ s: String) -> Bool {
    let done = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
      // INVARIANT: the capacity counts every byte written (`DecisionLine.capacity`).
      guard let from = bytes.baseAddress, let to = buffer.baseAddress else { return bytes.isEmpty }
      if DecisionLine.needsEscaping(bytes: bytes) { return false }
      (to + count).initialize(from: from, count: bytes.count)
      count += bytes.count
      return true
    }
    if let done { return done }
    if DecisionLine.needsEscaping(s) { return false }
    for b in s.utf8 {
      buffer[count] = b
      count += 1
    }
    return true
  }

  mutating func write(_ s: StaticString) {
    s.withUTF8Buffer { bytes in
      for b in bytes {
        buffer[count] = b
        count += 1
      }
    }
  }

  mutating func write(_ n: Int) {
    // INVARIANT: the capacity counts the score's 20 bytes at most (`DecisionLine.capacity`).
    count = DecimalText.write(Int64(n), into: buffer, at: count)
  }
}
