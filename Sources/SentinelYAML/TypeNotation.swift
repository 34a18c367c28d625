// Types as schema and list declarations write them: CEL's notation (`double`, `list(string)`,
// `map(string, int)`), plus `timestamp` and `duration` for the well-known types.

import SentinelModel

/// Parses CEL type notation.
enum TypeNotation {
  /// Why a type did not parse, and what to write instead.
  struct Failure: Error {
    var message: String
    var help: String?
  }

  /// The type names a declaration may use.
  static let names = [
    "bool", "int", "uint", "double", "string", "bytes", "timestamp", "duration", "dyn", "list", "map",
  ]

  /// Parses a type such as `list(string)`.
  static func parse(_ text: String) -> Result<CELType, Failure> {
    var parser = Parser(bytes: Array(text.utf8), text: text)
    do throws(Failure) {
      let type = try parser.type(depth: 0)
      parser.skipSpaces()
      guard parser.pos == parser.bytes.count else { throw parser.malformed() }
      return .success(type)
    } catch {
      return .failure(error)
    }
  }

  private struct Parser {
    let bytes: [UInt8]
    let text: String
    var pos = 0

    init(bytes: [UInt8], text: String) {
      self.bytes = bytes
      self.text = text
    }

    mutating func skipSpaces() {
      while pos < bytes.count && (bytes[pos] == 0x20 || bytes[pos] == 0x09) { pos += 1 }
    }

    func malformed() -> Failure {
      Failure(
        message: "malformed type `\(text)`",
        help: "write a type such as `string`, `list(string)` or `map(string, int)`")
    }

    mutating func type(depth: Int) throws(Failure) -> CELType {
      guard depth < 16 else { throw malformed() }
      skipSpaces()
      let start = pos
      while pos < bytes.count
        && ((bytes[pos] | 0x20 >= 0x61 && bytes[pos] | 0x20 <= 0x7A)
          || (bytes[pos] >= 0x30 && bytes[pos] <= 0x39)
          || bytes[pos] == 0x5F || bytes[pos] == 0x2E)
      {
        pos += 1
      }
      guard pos > start else { throw malformed() }
      let name = String(decoding: bytes[start..<pos], as: UTF8.self)
      skipSpaces()
      var args: [CELType] = []
      if pos < bytes.count && bytes[pos] == 0x28 {  // (
        pos += 1
        repeat {
          args.append(try type(depth: depth + 1))
          skipSpaces()
          guard pos < bytes.count else { throw malformed() }
          pos += 1
        } while bytes[pos - 1] == 0x2C  // ,
        guard bytes[pos - 1] == 0x29 else { throw malformed() }  // )
      }
      return try resolve(name, args)
    }

    func resolve(_ name: String, _ args: [CELType]) throws(Failure) -> CELType {
      func arity(_ n: Int) throws(Failure) {
        guard args.count == n else {
          throw Failure(
            message: "type `\(name)` takes \(n) argument\(n == 1 ? "" : "s"), found \(args.count)",
            help: name == "map" ? "write `map(string, int)`" : "write `list(string)`")
        }
      }
      switch name {
      case "list":
        if args.isEmpty { return .list(.dyn) }
        try arity(1)
        return .list(args[0])
      case "map":
        if args.isEmpty { return .map(.dyn, .dyn) }
        try arity(2)
        return .map(args[0], args[1])
      case "timestamp":
        try arity(0)
        return .timestamp
      case "duration":
        try arity(0)
        return .duration
      default:
        guard let t = CELType.named(name), !name.hasPrefix("list"), !name.hasPrefix("map") else {
          let suggestion = Suggestions.closest(to: name, among: TypeNotation.names)
          throw Failure(
            message: "unknown type `\(name)`",
            help: suggestion.map { "did you mean `\($0)`?" }
              ?? "types: \(TypeNotation.names.joined(separator: ", "))")
        }
        try arity(0)
        return t
      }
    }
  }
}
