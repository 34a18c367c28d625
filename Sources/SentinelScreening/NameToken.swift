// A normalized word of a name.

/// A word of a normalized name: upper-case ASCII letters and digits.
public struct NameToken: Sendable, Hashable, Codable {
  /// The word (`ALSALAH` for `al-Salah`).
  public var text: String
  /// The word without a joined Arabic article (`SALAH`), when it had one.
  public var core: String?
  /// What the word is, for weighting.
  public var role: TokenRole

  /// Creates a token.
  public init(text: String, core: String? = nil, role: TokenRole) {
    self.text = text
    self.core = core
    self.role = role
  }
}
