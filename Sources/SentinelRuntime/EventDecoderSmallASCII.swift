// Short ASCII strings of the event decoder built from their bytes (see `SmallASCII`).

/// Small ASCII strings built from their bytes without `String(decoding:as:)`, which validates
/// the bytes again and is most of a short string field's cost; the scanner has validated them.
///
/// NOTE: this relies on the standard library's 64-bit representation of small strings (up to 15
/// UTF-8 bytes stored in the String's two words, the count and the flags in the top byte: ASCII
/// and small, `0xE0 | count`). It is not public API, so `available` checks it at run time against
/// `String(decoding:as:)` for every length and every ASCII byte at five positions (the first,
/// the last, the middle, and either side of the word boundary), and the decoder uses it only when
/// every check passes (`EventDecoderFlatPathTests` checks that they do on this platform).
/// Measured with `bench/decode-peer.sh` at load ~11, together with the scanner passed by reference
/// to `makeString`/`allowedString`: peer events 782–846 → 665–680 ns/event (docs/performance.md,
/// branch `s11-decode`).
enum SmallASCII {
  /// The longest small string.
  static let capacity = 15

  /// The small string of `count` ASCII bytes held little-endian in `low` (bytes 0–7) and `high`
  /// (bytes 8–14; its top byte zero). Only when `available`.
  @inline(__always)
  static func string(low: UInt64, high: UInt64, count: Int) -> String {
    unsafeBitCast((low, high | (0xE0 | UInt64(count)) << 56), to: String.self)
  }

  /// Whether `string(low:high:count:)` builds, bit for bit, the String `String(decoding:as:)`
  /// builds, for every length 0…15 and every ASCII byte value at five positions.
  static let available: Bool = {
    guard MemoryLayout<String>.size == 16, MemoryLayout<(UInt64, UInt64)>.size == 16 else { return false }
    func check(_ bytes: [UInt8]) -> Bool {
      var low: UInt64 = 0
      var high: UInt64 = 0
      for (k, b) in bytes.enumerated() {
        if k < 8 { low |= UInt64(b) << UInt64(k << 3) } else { high |= UInt64(b) << UInt64((k - 8) << 3) }
      }
      let real = String(decoding: bytes, as: UTF8.self)
      let bits = unsafeBitCast(real, to: (UInt64, UInt64).self)
      guard bits.0 == low, bits.1 == high | (0xE0 | UInt64(bytes.count)) << 56 else { return false }
      let made = string(low: low, high: high, count: bytes.count)
      return made == real && made.utf8.count == bytes.count && made.utf8.elementsEqual(bytes)
    }
    for count in 0...capacity {
      for byte in UInt8(0)..<0x80 {
        for position in Set([0, 7, 8, count / 2, count - 1]) where position >= 0 && position < max(1, count) {
          var bytes = [UInt8](repeating: 0x61, count: count)
          if count > 0 { bytes[position] = byte }
          guard check(bytes) else { return false }
        }
      }
    }
    return true
  }()
}
