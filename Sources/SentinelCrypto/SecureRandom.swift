// Random bytes from OpenSSL's CSPRNG (`RAND_bytes`), and a comparison of secrets whose time
// does not depend on where they differ. Used for API keys (SentinelServer `APIKey`).

internal import CLibCrypto

/// Cryptographically secure random bytes.
public enum SecureRandom {
  /// `count` bytes from OpenSSL's CSPRNG. Throws `CryptoError` (kind `.randomness`) when it fails.
  public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    guard count > 0 else { return out }
    let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
    guard ok == 1 else {
      throw CryptoError(.randomness, CryptoError.openSSL("RAND_bytes").message)
    }
    return out
  }
}

/// Comparisons whose running time depends only on the lengths of their inputs.
public enum ConstantTime {
  /// Whether `a` and `b` are equal, looking at every byte whatever the first difference (for
  /// digests of secrets: the time reveals nothing about a near miss).
  public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
  }
}
