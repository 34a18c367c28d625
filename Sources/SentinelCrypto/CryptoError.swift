// Errors of the crypto layer: a stable kind and a message that carries OpenSSL's own error
// string when OpenSSL refused something (so "why" is never lost on the way up).

internal import CLibCrypto

/// A failed cryptographic operation or a malformed key.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What went wrong, as a stable identifier.
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    /// Raw key bytes of the wrong length.
    case invalidKeyLength = "invalid_key_length"
    /// A key file that is not in the expected format (PEM label, base64, DER structure).
    case invalidKeyFormat = "invalid_key_format"
    /// OpenSSL reported a failure (the message holds its error string).
    case openSSL = "openssl"
    /// The system random number generator failed.
    case randomness = "randomness"
  }

  /// The stable kind.
  public var kind: Kind
  /// A one-line explanation.
  public var message: String

  /// An error of `kind` with `message`.
  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  /// The message.
  public var description: String { message }

  /// An `.openSSL` error for `operation`, with the oldest queued OpenSSL error string. Clears
  /// this thread's OpenSSL error queue (the queue is thread-local, so this is thread-safe).
  static func openSSL(_ operation: String) -> CryptoError {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return CryptoError(.openSSL, "\(operation) failed (no OpenSSL error recorded)") }
    var buffer = [CChar](repeating: 0, count: 256)
    let text = buffer.withUnsafeMutableBufferPointer { p -> String in
      guard let base = p.baseAddress else { return "" }
      ERR_error_string_n(code, base, p.count)
      return String(cString: base)
    }
    return CryptoError(.openSSL, "\(operation) failed: \(text)")
  }
}
