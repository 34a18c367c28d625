// Shared helpers for the builtin implementations: common signature types, error constructors and
// UTF-8 byte-level string primitives (CEL strings are sequences of code points, compared and
// searched by their UTF-8 bytes — never by Swift's grapheme-aware `String` operations).

import SentinelModel

// MARK: - Signature shorthands

/// Type parameters used by generic overloads, named as in cel-go's declarations.
enum T {
  static let a = CELType.typeParam("A")
  static let b = CELType.typeParam("B")
  static let k = CELType.typeParam("K")
  static let v = CELType.typeParam("V")
  static let listA = CELType.list(a)
  static let listV = CELType.list(v)
  static let mapKV = CELType.map(k, v)
  static let optV = CELType.optional(v)
  static let listString = CELType.list(.string)
  static let listDyn = CELType.list(.dyn)
}

/// Relative costs of one call, for the verifier's bound (1 = one arithmetic operation).
/// Operations linear in their input get a larger constant; the verifier may scale further.
enum Cost {
  static let constant = 1
  static let linear = 4
  static let search = 8
  static let regex = 32
  static let format = 16
  static let timeZone = 8
}

// MARK: - Errors

@inline(__always)
func err(_ kind: CELError.Kind, _ message: String) -> Value {
  .error(CELError(kind, message))
}

/// `no_matching_overload` for a call whose runtime arguments fit no implementation.
func noOverload(_ function: String, _ args: Value...) -> Value {
  .error(.noOverload(function, args))
}

let overflowValue = Value.error(.overflowError)

@inline(__always)
func rangeError(_ what: String) -> Value {
  err(.outOfRange, what)
}

// MARK: - UTF-8 primitives

/// Runs `body` over the UTF-8 bytes of `s` without copying when the string is native.
@inline(__always)
func withUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
  if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
  return Array(s.utf8).withUnsafeBufferPointer(body)
}

/// Lexicographic comparison of two byte buffers: -1, 0 or 1.
@inline(__always)
func compareBuffers(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
  let n = min(a.count, b.count)
  var i = 0
  while i < n {
    let x = a[i]
    let y = b[i]
    if x != y { return x < y ? -1 : 1 }
    i += 1
  }
  return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

/// Orders strings by code point (equivalently, by UTF-8 bytes), as CEL requires.
func compareStrings(_ a: String, _ b: String) -> Int {
  withUTF8(a) { x in withUTF8(b) { y in compareBuffers(x, y) } }
}

/// Code-point equality (Swift's `==` on `String` uses canonical equivalence, CEL does not).
func stringsEqual(_ a: String, _ b: String) -> Bool {
  if a.utf8.count != b.utf8.count { return false }
  // NOTE: equal code points are canonically equivalent, so Swift's `!=` (canonical equivalence)
  // can only rule equality out, and it does so without the buffer closures — on two ASCII
  // strings it compares their bytes in place. Only strings Swift finds equal are compared by
  // code point (docs/performance.md, issue 5).
  if a != b { return false }
  return withUTF8(a) { x in withUTF8(b) { y in compareBuffers(x, y) == 0 } }
}

/// Orders byte sequences lexicographically.
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
  a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in compareBuffers(x, y) } }
}

/// The byte offset of the first occurrence of `needle` in `hay` at or after `from`, or nil.
func findBytes(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>, from: Int = 0)
  -> Int?
{
  let n = needle.count
  if n == 0 { return from <= hay.count ? from : nil }
  if hay.count < n { return nil }
  let first = needle[0]
  var i = from
  let last = hay.count - n
  while i <= last {
    if hay[i] == first {
      var j = 1
      while j < n && hay[i + j] == needle[j] { j += 1 }
      if j == n { return i }
    }
    i += 1
  }
  return nil
}

/// The byte offset of the last occurrence of `needle` in `hay` starting at or before `upTo`.
func findLastBytes(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>, upTo: Int)
  -> Int?
{
  let n = needle.count
  if hay.count < n { return nil }
  var i = min(upTo, hay.count - n)
  while i >= 0 {
    var j = 0
    while j < n && hay[i + j] == needle[j] { j += 1 }
    if j == n { return i }
    i -= 1
  }
  return nil
}

/// Whether `s` contains `sub` as a sequence of code points.
func stringContains(_ s: String, _ sub: String) -> Bool {
  withUTF8(s) { h in withUTF8(sub) { n in findBytes(h, n) != nil } }
}

/// Code-point prefix test.
func stringHasPrefix(_ s: String, _ prefix: String) -> Bool {
  withUTF8(s) { h in
    withUTF8(prefix) { p in
      guard p.count <= h.count else { return false }
      var i = 0
      while i < p.count {
        if h[i] != p[i] { return false }
        i += 1
      }
      return true
    }
  }
}

/// Code-point suffix test.
func stringHasSuffix(_ s: String, _ suffix: String) -> Bool {
  withUTF8(s) { h in
    withUTF8(suffix) { p in
      guard p.count <= h.count else { return false }
      let off = h.count - p.count
      var i = 0
      while i < p.count {
        if h[off + i] != p[i] { return false }
        i += 1
      }
      return true
    }
  }
}

/// The number of code points of a string (CEL's `size`).
@inline(__always)
func codePointCount(_ s: String) -> Int {
  // Count the UTF-8 bytes that start a scalar (all but continuation bytes 10xxxxxx).
  withUTF8(s) { b in
    var n = 0
    for byte in b where byte & 0xC0 != 0x80 { n += 1 }
    return n
  }
}
