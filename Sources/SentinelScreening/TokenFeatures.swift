// A word prepared for comparison: its bytes and derived keys, computed once per word.

/// A word with its derived keys.
public struct TokenFeatures: Sendable, Hashable, Codable {
  /// The word's bytes (upper-case ASCII for Latin text).
  public var text: [UInt8]
  /// The word without a joined Arabic article, or `text`.
  public var core: [UInt8]
  /// `NameKeys.phonetic(text)`.
  public var phonetic: [UInt8]
  /// `NameKeys.ocr(text)`.
  public var ocr: [UInt8]
  /// The word's role.
  public var role: TokenRole

  /// Computes the features of a token.
  public init(_ token: NameToken) {
    self.init(text: Array(token.text.utf8), core: token.core.map { Array($0.utf8) }, role: token.role)
  }

  /// Computes the features of a word.
  public init(text: [UInt8], core: [UInt8]? = nil, role: TokenRole) {
    self.text = text
    self.core = core ?? text
    self.phonetic = NameKeys.phonetic(text)
    self.ocr = NameKeys.ocr(text)
    self.role = role
  }

  /// A word with its keys as stored (the index's vocabulary).
  init(text: [UInt8], core: [UInt8], phonetic: [UInt8], ocr: [UInt8], role: TokenRole) {
    self.text = text
    self.core = core
    self.phonetic = phonetic
    self.ocr = ocr
    self.role = role
  }

  /// The word as a string.
  public var string: String { String(decoding: text, as: UTF8.self) }

  /// The concatenation of two words (`TRA` + `DING`), for a word split or joined by mistake.
  public func joined(with other: TokenFeatures) -> TokenFeatures {
    TokenFeatures(text: text + other.text, role: .name)
  }
}
