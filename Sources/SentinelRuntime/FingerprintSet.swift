// The processor's set of known event-id fingerprints (`EventProcessor.knownIDs`). A fingerprint is
// already a hash — the id's seeded `ByteHash` (ByteHash.swift), truncated to 32 bits — so the table
// places it by its own low bits (open addressing, linear probing) instead of hashing it again as
// `Set<UInt32>` does: a SipHash of 4 bytes per event was ~2 % of an in-memory replay's deciding
// thread (docs/performance.md, "session 12"). The memory is that of `Set<UInt32>`: 4 bytes a
// place, at most 3/4 of the places used.

// MARK: - FingerprintSet

/// A set of 32-bit fingerprints (uniformly distributed hash values).
struct FingerprintSet {
  /// The places; 0 marks an empty one (the fingerprint 0 is `hasZero`). A power of 2 in size.
  private var places: [UInt32]
  /// Whether the fingerprint 0 is in the set.
  private var hasZero = false
  /// The number of fingerprints in the set.
  private(set) var count = 0

  /// An empty set with room for `minimumCapacity` fingerprints before it grows.
  init(minimumCapacity: Int = 0) {
    var size = 16
    while size / 4 * 3 < minimumCapacity { size *= 2 }
    places = Array(repeating: 0, count: size)
  }

  /// Inserts `f`; true when it was not in the set.
  @discardableResult
  mutating func insert(_ f: UInt32) -> Bool {
    guard f != 0 else {
      if hasZero { return false }
      hasZero = true
      count += 1
      return true
    }
    if count + 1 > places.count / 4 * 3 { grow() }
    let inserted = places.withUnsafeMutableBufferPointer { p in Self.place(f, in: p) }
    if inserted { count += 1 }
    return inserted
  }

  /// Inserts `fs` in order; `inserted[k]` (as many as `fs`) tells whether `fs[k]` was not in the
  /// set before, exactly as `insert` one by one would.
  // NOTE: the places of all of `fs` are read first, with no dependence between the reads, so
  // their cache misses overlap instead of following one another: one insert's probe was a miss
  // to memory, ~85 % of `insert`'s samples and ~5 % of `replay`'s decoding thread
  // (docs/performance.md, "s16-dec"). The set grows for all of them first (where it grows does
  // not change what it holds).
  mutating func insert(_ fs: UnsafeBufferPointer<UInt32>, inserted: UnsafeMutableBufferPointer<Bool>) {
    precondition(inserted.count >= fs.count, "FingerprintSet.insert: fewer results than fingerprints")
    while count + fs.count > places.count / 4 * 3 { grow() }
    var newCount = count
    var zero = hasZero
    touched = places.withUnsafeMutableBufferPointer { p in
      let mask = p.count - 1
      var touched: UInt32 = 0
      for f in fs { touched |= p[Int(f) & mask] }
      for k in fs.indices {
        let f = fs[k]
        let new: Bool
        if f == 0 {
          new = !zero
          zero = true
        } else {
          new = Self.place(f, in: p)
        }
        if new { newCount += 1 }
        inserted[k] = new
      }
      return touched
    }
    count = newCount
    hasZero = zero
  }

  /// What the reads ahead of `insert(_:inserted:)` found (kept so that they are not left out).
  private var touched: UInt32 = 0

  /// Whether `f` is in the set.
  func contains(_ f: UInt32) -> Bool {
    guard f != 0 else { return hasZero }
    let mask = places.count - 1
    var i = Int(f) & mask
    while places[i] != 0 {
      if places[i] == f { return true }
      i = (i + 1) & mask
    }
    return false
  }

  /// Puts `f` (not 0) in the first empty place from its own; false when it is there already.
  private static func place(_ f: UInt32, in p: UnsafeMutableBufferPointer<UInt32>) -> Bool {
    // INVARIANT: p.count is a power of 2 with at least one empty place (the load is ≤ 3/4).
    let mask = p.count - 1
    var i = Int(f) & mask
    while p[i] != 0 {
      if p[i] == f { return false }
      i = (i + 1) & mask
    }
    p[i] = f
    return true
  }

  /// Doubles the places and puts every fingerprint back.
  private mutating func grow() {
    let old = places
    places = Array(repeating: 0, count: old.count * 2)
    places.withUnsafeMutableBufferPointer { p in
      for f in old where f != 0 { _ = Self.place(f, in: p) }
    }
  }
}
