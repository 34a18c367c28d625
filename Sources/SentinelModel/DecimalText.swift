// Integers in decimal, written as ASCII bytes straight into a buffer (no `String` per number):
// the decision line's score (`Decision.jsonLine`) and the Redis consumer's command arguments.

/// Decimal text of integers.
public enum DecimalText {
  /// The bytes of `n` in decimal: a `-` for a negative number, then its digits.
  @inline(__always) public static func byteCount(_ n: Int64) -> Int {
    var rest = n.magnitude
    var digits = 1
    while rest >= 10 {
      rest /= 10
      digits += 1
    }
    return n < 0 ? digits + 1 : digits
  }

  /// Writes `n` in decimal at `start` (`byteCount(n)` bytes, which the caller has room for) and
  /// returns the index after it.
  @inline(__always) public static func write(
    _ n: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
  )
    -> Int
  {
    let end = start + byteCount(n)
    if n < 0 { buffer[start] = 0x2D }
    var m = n.magnitude
    var k = end
    repeat {
      k -= 1
      buffer[k] = UInt8(truncatingIfNeeded: m % 10) + 0x30
      m /= 10
    } while m > 0
    return end
  }
}
