// A walk over the structure of JSON bytes without decoding them: strings are skipped (with their
// escapes), nesting is counted. Batch bodies are split with it (`BatchBody`) and an empty
// `event_id` is found with it (`EmptyEventID`); validating the JSON is the event decoder's job.

/// Walking the structure of JSON bytes.
enum JSONStructure {
  /// A structural point of the walk.
  enum Mark {
    /// The closing quote of a string that opened at `start`.
    case string(start: Int)
    /// `{` or `[`.
    case open
    /// `}` or `]`.
    case close
    /// `,`.
    case comma
  }

  /// Calls `visit(index, mark, depth)` at each structural point from `start` on, where `depth`
  /// is the nesting depth around it (for `open` and `close`: outside the bracket), until `visit`
  /// returns false. Returns the index where it stopped, or `b.count`.
  static func walk(_ b: [UInt8], from start: Int = 0, _ visit: (Int, Mark, Int) -> Bool) -> Int {
    var i = start
    var depth = 0
    var inString = false
    var escaped = false
    var stringStart = 0
    while i < b.count {
      let c = b[i]
      if inString {
        if escaped {
          escaped = false
        } else if c == UInt8(ascii: "\\") {
          escaped = true
        } else if c == UInt8(ascii: "\"") {
          inString = false
          if !visit(i, .string(start: stringStart), depth) { return i }
        }
      } else {
        switch c {
        case UInt8(ascii: "\""):
          inString = true
          stringStart = i
        case UInt8(ascii: "{"), UInt8(ascii: "["):
          if !visit(i, .open, depth) { return i }
          depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
          depth -= 1
          if !visit(i, .close, depth) { return i }
        case UInt8(ascii: ","):
          if !visit(i, .comma, depth) { return i }
        default: break
        }
      }
      i += 1
    }
    return b.count
  }

  /// Whether `b` is JSON white space.
  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}
