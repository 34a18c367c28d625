// The key forms of the string values a `LinePreparer` met last, for `replay`'s decoding thread.
//
// NOTE: `ValueKey.encode` of a string allocates a new String per call (`s<count>:<text>`); the
// preparer computes one for the value of every `seen` and `distinct` aggregate an event matches
// (the reference rules' `known_devices`: the device id of most lines), ~0.76 allocations per line
// of the scaled reference corpus, and each of them was freed later by whichever thread dropped
// the form last. Most values come back soon (a user's device): a direct-mapped table of 1,024
// forms (~75 % of the corpus's device ids found in it, simulated) hands out the form made the
// first time, retained. See docs/performance.md, "s19-dec: the decoding thread's allocations".

import SentinelModel
import SentinelState

// MARK: - FormCache

/// `ValueKey.encode` for strings, remembering the last form made in each of its places (a
/// direct-mapped table by `ByteHash` of the string's UTF-8 bytes). A place's form is handed out
/// only for a string of exactly its bytes: the form is made from the bytes (`s<count>:<text>`),
/// so two strings equal as Swift strings but not byte for byte (canonically equivalent) keep
/// their own forms, as `encode` gives them.
struct FormCache {
  /// A place: the hash of the bytes its form was made of, and the form ("" = empty: no form is
  /// empty).
  struct Place {
    var hash: UInt64 = 0
    var form: String = ""
  }

  private var places: [Place]
  private let mask: Int
  /// ANDed with every hash: all ones, except in tests that force collisions.
  private let hashMask: UInt64

  /// A table of `count` places (rounded up to a power of 2, at least 1).
  init(count: Int = 1024, hashMask: UInt64 = ~0) {
    var size = 1
    while size < count { size &<<= 1 }
    places = Array(repeating: Place(), count: size)
    mask = size &- 1
    self.hashMask = hashMask
  }

  /// The key form of `s`: `ValueKey.encode(.string(s))`, from the table when its place holds the
  /// form of the same bytes, else made and kept there (replacing the place's form).
  mutating func form(of s: String) -> String {
    var text = s
    return text.withUTF8 { bytes in form(of: s, bytes: bytes) }
  }

  private mutating func form(of s: String, bytes: UnsafeBufferPointer<UInt8>) -> String {
    let h = ByteHash.hash(bytes) & hashMask
    let i = Int(truncatingIfNeeded: h) & mask
    let found: String? = places.withUnsafeBufferPointer { p in
      let place = p[i]
      guard place.hash == h, FormCache.isForm(place.form, of: bytes) else { return nil }
      return place.form
    }
    if let found { return found }
    let made = ValueKey.encode(.string(s)) ?? ""
    places[i] = Place(hash: h, form: made)
    return made
  }

  /// Whether `form` is the key form of the string of `bytes`: `s`, the count's digits, `:`, then
  /// exactly those bytes. (A form of n' bytes of text has 2 + digits(n') + n' bytes, which grows
  /// with n': the same size means the same count, and then the same text.)
  @inline(__always)
  static func isForm(_ form: String, of bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = bytes.count
    let size = 2 &+ DecimalText.byteCount(Int64(n)) &+ n
    let same = form.utf8.withContiguousStorageIfAvailable { f -> Bool in
      guard f.count == size, f.first == 0x73 else { return false }
      return ByteHash.equal(
        UnsafeRawPointer(f.baseAddress.map { $0 + (size &- n) }), UnsafeRawPointer(bytes.baseAddress),
        count: n)
    }
    return same ?? false
  }
}

// MARK: - SlotStrings

/// The long strings (more than 15 UTF-8 bytes: heap-allocated) a `LinePreparer`'s decoder made
/// last for the flat fields it does not capture (`EventScanner.sharedString`), one per place of a
/// direct-mapped table by `ByteHash` of their bytes: a field whose bytes equal its place's
/// string's gets that string (a retain), not a new one. Bytes, not `==`: canonically
/// equivalent strings with other bytes stay apart, as decoding makes them.
struct SlotStrings {
  /// A place: the hash of its string's bytes, and the string ("" = empty).
  struct Place {
    var hash: UInt64 = 0
    var string: String = ""
  }

  var places: [Place]
  /// ANDed with every hash: all ones, except in tests that force collisions.
  let hashMask: UInt64

  /// A table of `count` places (rounded up to a power of 2, at least 1).
  init(count: Int = 1024, hashMask: UInt64 = ~0) {
    var size = 1
    while size < count { size &<<= 1 }
    places = Array(repeating: Place(), count: size)
    self.hashMask = hashMask
  }
}
