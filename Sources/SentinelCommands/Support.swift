// Small helpers shared by commands: standard error, file reading, CEL type notation.

import SentinelModel

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file descriptor to write text to.
struct FileStream {
  let fd: Int32

  static var standardError: FileStream { FileStream(fd: 2) }

  func write(_ s: String) {
    var bytes = Array(s.utf8)[...]
    while !bytes.isEmpty {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n <= 0 { return }
      bytes = bytes.dropFirst(n)
    }
  }
}

/// Parses CEL type notation (`int`, `list(string)`, `map(string, dyn)`, `optional_type(int)`).
enum TypeNotation {
  static func parse(_ text: String) -> CELType? {
    var p = Substring(text.filter { !$0.isWhitespace })
    let t = parseType(&p)
    return p.isEmpty ? t : nil
  }

  private static func parseType(_ p: inout Substring) -> CELType? {
    var name = ""
    while let c = p.first, c.isLetter || c.isNumber || c == "_" || c == "." {
      name.append(c)
      p.removeFirst()
    }
    var args: [CELType] = []
    if p.first == "(" {
      p.removeFirst()
      while true {
        guard let a = parseType(&p) else { return nil }
        args.append(a)
        if p.first == "," {
          p.removeFirst()
          continue
        }
        guard p.first == ")" else { return nil }
        p.removeFirst()
        break
      }
    }
    switch (name, args.count) {
    case ("list", 1): return .list(args[0])
    case ("map", 2): return .map(args[0], args[1])
    case ("optional_type", 1): return .optional(args[0])
    case ("type", 1): return .type(args[0])
    case (_, 0): return CELType.named(name)
    default: return nil
    }
  }
}
