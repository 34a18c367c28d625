// A diagnostic together with the source file it points into, for multi-file rule sets.

import SentinelModel

/// A diagnostic and the source it is about.
public struct SourcedDiagnostic: Sendable, CustomStringConvertible {
  public var source: Source
  public var diagnostic: Diagnostic

  public init(_ source: Source, _ diagnostic: Diagnostic) {
    self.source = source
    self.diagnostic = diagnostic
  }

  /// `file:line:col: error[CODE]: message`, the source line, a caret, and `help:`.
  public var rendered: String { diagnostic.render(in: source) }

  public var description: String { rendered }

  public var isError: Bool { diagnostic.severity == .error }
}

extension Array where Element == SourcedDiagnostic {
  /// Whether any diagnostic is an error.
  public var hasErrors: Bool { contains { $0.isError } }

  /// Errors first in file order, then warnings in file order.
  public var sortedForDisplay: [SourcedDiagnostic] {
    sorted {
      if $0.isError != $1.isError { return $0.isError }
      if $0.source.name != $1.source.name { return $0.source.name < $1.source.name }
      return $0.diagnostic.span.start < $1.diagnostic.span.start
    }
  }
}
