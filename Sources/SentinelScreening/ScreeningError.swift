// Errors that stop a screening operation: I/O and malformed input files.

/// Errors of the screening library that stop an operation (I/O and malformed input files).
public enum ScreeningError: Error, Sendable, CustomStringConvertible {
  /// A file could not be read.
  case unreadable(String)
  /// A file's content is not what was expected.
  case malformed(String)

  /// A one-line description.
  public var description: String {
    switch self {
    case .unreadable(let p): return "cannot read `\(p)`"
    case .malformed(let m): return m
    }
  }
}
