// A problem found while loading a list file: reported with its place, never fatal to the rest.

/// A bad line in a list file: `file:line: what`.
public struct LoadIssue: Sendable, Hashable, CustomStringConvertible {
  /// The file name as given to the loader.
  public var file: String
  /// 1-based line where the offending record starts.
  public var line: Int
  /// What is wrong, lowercase, user input in backticks.
  public var message: String

  /// Creates an issue.
  public init(file: String, line: Int, message: String) {
    self.file = file
    self.line = line
    self.message = message
  }

  /// `file:line: warning: message`.
  public var description: String { "\(file):\(line): warning: \(message)" }
}
