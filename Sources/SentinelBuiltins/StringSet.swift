// A set of strings built once from a constant list or map, for `s in [...]` and `s in {...}`
// when the VM runs them as typed tests (SentinelVerifier/TypedTest.swift). It is a pure
// precomputation of the constant: membership is UTF-8 byte equality, which is CEL's string
// equality (code points) — exactly `Lists.containsString` over the list's string elements
// (`stringsEqual`), and, for the ASCII queries `containsASCII` answers, exactly
// `MapValue.contains(string:)` over ASCII keys (Swift's canonical equivalence, which the map's
// dictionary uses, is byte equality between ASCII strings). `StringSetTests` checks both against
// the kernels on random strings (non-ASCII, combining marks, the empty string, duplicates).
//
// Layout: the members' bytes back to back, and an open-addressing table (linear probing, at
// most half full) of (hash, offset, length) entries. The hash is a multiply-xor over 8-byte
// words of the UTF-8 bytes — not SipHash: the members are the rule author's constants, fixed at
// load time, and a collision costs only a byte comparison (docs/performance.md, "VM: string
// tests").

/// A set of strings by UTF-8 bytes, built once: membership without hashing a `MapKey` with
/// SipHash or comparing with every element of a list.
public struct StringSet: Sendable {
  @usableFromInline struct Entry: Sendable {
    @usableFromInline var hash: UInt64
    @usableFromInline var offset: UInt32
    /// `UInt32.max` marks an empty entry.
    @usableFromInline var length: UInt32
  }

  /// The members' UTF-8 bytes, back to back.
  @usableFromInline let bytes: [UInt8]
  /// A power of two entries, at most half of them used.
  @usableFromInline let entries: [Entry]
  /// Whether every member is ASCII (then `containsASCII` answers every ASCII query).
  public let isASCII: Bool
  /// The number of distinct members.
  public let count: Int

  /// The set of `strings` (duplicates count once).
  public init<S: Sequence<String>>(_ strings: S) {
    var members: [[UInt8]] = []
    for s in strings { members.append(Array(s.utf8)) }
    var capacity = 4
    while capacity < 2 * members.count { capacity *= 2 }
    var entries = [Entry](repeating: Entry(hash: 0, offset: 0, length: UInt32.max), count: capacity)
    var bytes: [UInt8] = []
    var count = 0
    var ascii = true
    for m in members {
      let h = m.withUnsafeBufferPointer { StringSet.hash($0).hash }
      var i = Int(truncatingIfNeeded: h) & (capacity - 1)
      var duplicate = false
      while entries[i].length != UInt32.max {
        let e = entries[i]
        if e.hash == h && bytes[Int(e.offset)..<Int(e.offset) + Int(e.length)].elementsEqual(m) {
          duplicate = true
          break
        }
        i = (i + 1) & (capacity - 1)
      }
      if duplicate { continue }
      entries[i] = Entry(hash: h, offset: UInt32(bytes.count), length: UInt32(m.count))
      bytes.append(contentsOf: m)
      count += 1
      if m.contains(where: { $0 >= 0x80 }) { ascii = false }
    }
    self.bytes = bytes
    self.entries = entries
    self.isASCII = ascii
    self.count = count
  }

  /// Whether `s` is a member: UTF-8 byte (code point) equality.
  @inlinable @inline(__always) public func contains(_ s: String) -> Bool {
    if let r = s.utf8.withContiguousStorageIfAvailable({ containsMember(utf8: $0) }) { return r }
    return Array(s.utf8).withUnsafeBufferPointer { containsMember(utf8: $0) }
  }

  /// The most members a set compares in turn rather than through its table (`containsMember`).
  public static let comparedCount = 4

  /// Whether the UTF-8 bytes are a member's (`contains(utf8:).found`): compared with each member
  /// in a set of at most `comparedCount`, else through the table.
  /// NOTE: a list of a few strings (`event.type in ["transaction", "withdrawal"]`) costs less by
  /// comparing its members than by hashing the query first: on 20,000 lines of the scaled
  /// reference corpus (`bash bench/callgrind.sh`), `replay`'s decoding thread 240.1 → 236.0 M
  /// instructions and its deciding thread 228.3 → 227.0 M against `comparedCount` 0
  /// (docs/performance.md, "s20-dec").
  @inlinable public func containsMember(utf8 p: UnsafeBufferPointer<UInt8>) -> Bool {
    count <= Self.comparedCount ? containsByComparing(utf8: p) : contains(utf8: p).found
  }

  /// Whether `s` is a member, when `s` is ASCII; nil when it is not (a caller whose semantics is
  /// canonical equivalence, as a Swift dictionary's, then asks that dictionary).
  @inlinable @inline(__always) public func containsASCII(_ s: String) -> Bool? {
    let r =
      s.utf8.withContiguousStorageIfAvailable { contains(utf8: $0) }
      ?? Array(s.utf8).withUnsafeBufferPointer { contains(utf8: $0) }
    return r.ascii ? r.found : nil
  }

  /// Membership of a UTF-8 byte sequence, and whether the sequence is ASCII.
  @inlinable public func contains(utf8 p: UnsafeBufferPointer<UInt8>) -> (found: Bool, ascii: Bool) {
    let (h, ascii) = StringSet.hash(p)
    return entries.withUnsafeBufferPointer { table in
      let mask = table.count - 1
      var i = Int(truncatingIfNeeded: h) & mask
      while true {
        let e = table[i]
        if e.length == UInt32.max { return (false, ascii) }
        if e.hash == h && Int(e.length) == p.count {
          let equal = bytes.withUnsafeBufferPointer { b in
            StringSet.equal(UnsafeBufferPointer(rebasing: b[Int(e.offset)..<Int(e.offset) + p.count]), p)
          }
          if equal { return (true, ascii) }
        }
        i = (i + 1) & mask
      }
    }
  }

  /// `contains(utf8:).found` by comparing the members in turn (no hash): for sets of a few
  /// members.
  public func containsByComparing(utf8 p: UnsafeBufferPointer<UInt8>) -> Bool {
    entries.withUnsafeBufferPointer { table in
      bytes.withUnsafeBufferPointer { b in
        // Empty entries have the length `UInt32.max`, which no buffer has.
        for e in table where Int(e.length) == p.count {
          if StringSet.equal(UnsafeBufferPointer(rebasing: b[Int(e.offset)..<Int(e.offset) + p.count]), p) {
            return true
          }
        }
        return false
      }
    }
  }

  /// Byte equality of two buffers of the same length.
  @inlinable static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let x = a.baseAddress, let y = b.baseAddress else { return a.count == b.count }
    var i = 0
    let n = a.count
    while i + 8 <= n {
      if UnsafeRawPointer(x + i).loadUnaligned(as: UInt64.self)
        != UnsafeRawPointer(y + i).loadUnaligned(as: UInt64.self)
      {
        return false
      }
      i += 8
    }
    while i < n {
      if x[i] != y[i] { return false }
      i += 1
    }
    return true
  }

  /// A multiply-xor hash of the bytes over 8-byte words (the length mixed in), and whether
  /// every byte is ASCII.
  @inlinable static func hash(_ p: UnsafeBufferPointer<UInt8>) -> (hash: UInt64, ascii: Bool) {
    let k: UInt64 = 0x9E37_79B9_7F4A_7C15
    var h = UInt64(truncatingIfNeeded: p.count) &* k
    var high: UInt64 = 0
    guard let base = p.baseAddress else { return (h, true) }
    let raw = UnsafeRawPointer(base)
    let n = p.count
    var i = 0
    while i + 8 <= n {
      let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      high |= w
      h = (h ^ w) &* k
      h ^= h >> 29
      i += 8
    }
    if i < n {
      var w: UInt64 = 0
      var shift: UInt64 = 0
      while i < n {
        w |= UInt64(base[i]) << shift
        shift += 8
        i += 1
      }
      high |= w
      h = (h ^ w) &* k
      h ^= h >> 29
    }
    h = (h ^ (h >> 32)) &* k
    return (h ^ (h >> 31), high & 0x8080_8080_8080_8080 == 0)
  }
}
