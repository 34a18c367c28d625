// The `event_index` key of an event id (migration `v6_hashed_event_index`): a 64-bit keyed hash
// of the tenant and the event id, stored as an INTEGER. Integer keys compare in a few
// instructions where text keys compared byte by byte, sort in memory without String comparison,
// and make ~16-byte index rows instead of ~40 (docs/performance.md, "Hashed event-id keys").
//
// The hash is SipHash-1-3 (the function Swift's own `Hasher` uses) keyed with a random 64-bit
// seed drawn once per database (`meta.event_key_seed`), so that the keys of crafted ids cannot be
// made to collide without knowing the file's seed. Two ids may still share a key: the index maps
// a key to decision row ids, and every read compares the row's tenant and event id exactly
// (`PRIMARY KEY (key, decision_id)` holds both rows of a collision).
//
// NOTE: written here rather than taken from a library: Swift's `Hasher` is seeded per process
// (its values cannot be stored), and OpenSSL's SipHash (`EVP_MAC` "SIPHASH") needs a MAC context
// set up per call, on a path that runs once per decision and per look-up.
//
// INVARIANT: the function is stored in every file's index: never change it (a test pins values).

/// The key of a tenant's event id in `event_index`.
package struct EventKey {
  /// The database's seed (`meta.event_key_seed`).
  let seed: UInt64
  /// The bits kept: all but in tests (`SQLiteStateStore.narrowEventKeysForTesting`), which
  /// force collisions with fewer.
  var mask: UInt64 = .max

  /// The seed as `meta.event_key_seed` holds it: 16 lowercase hex digits.
  static func seedText(_ seed: UInt64) -> String {
    let digits = String(seed, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// The seed in `meta.event_key_seed`'s form, or nil.
  static func seed(parsing text: String) -> UInt64? {
    guard text.utf8.count == 16 else { return nil }
    return UInt64(text, radix: 16)
  }

  /// The key of `eventID` in `tenant`, as SQLite stores it (the same 64 bits, signed).
  func of(tenant: String, eventID: String) -> Int64 {
    Int64(bitPattern: Self.hash(seed: seed, tenant: tenant, eventID: eventID) & mask)
  }

  /// SipHash-1-3 with the key (`seed`, `seed` rotated by 32 bits ^ a constant) over the
  /// tenant's UTF-8 bytes, one 0xFF byte (never in UTF-8, so that the split is unambiguous),
  /// and the event id's UTF-8 bytes.
  package static func hash(seed: UInt64, tenant: String, eventID: String) -> UInt64 {
    var s = SipHash13(k0: seed, k1: (seed << 32 | seed >> 32) ^ 0x5349_5131_6B65_7973)
    var t = tenant
    t.withUTF8 { for b in $0 { s.append(b) } }
    s.append(0xFF)
    var e = eventID
    e.withUTF8 { for b in $0 { s.append(b) } }
    return s.finalize()
  }
}

/// SipHash-1-3 (Aumasson and Bernstein; one compression round, three finalization rounds), fed
/// one byte at a time: event ids are a few dozen bytes.
struct SipHash13 {
  private var v0: UInt64
  private var v1: UInt64
  private var v2: UInt64
  private var v3: UInt64
  /// Bytes not yet compressed, little-endian, and how many; the total length.
  private var tail: UInt64 = 0
  private var tailCount: UInt64 = 0
  private var length: UInt64 = 0

  init(k0: UInt64, k1: UInt64) {
    v0 = k0 ^ 0x736F_6D65_7073_6575
    v1 = k1 ^ 0x646F_7261_6E64_6F6D
    v2 = k0 ^ 0x6C79_6765_6E65_7261
    v3 = k1 ^ 0x7465_6462_7974_6573
  }

  private mutating func round() {
    v0 &+= v1
    v1 = v1 << 13 | v1 >> 51
    v1 ^= v0
    v0 = v0 << 32 | v0 >> 32
    v2 &+= v3
    v3 = v3 << 16 | v3 >> 48
    v3 ^= v2
    v0 &+= v3
    v3 = v3 << 21 | v3 >> 43
    v3 ^= v0
    v2 &+= v1
    v1 = v1 << 17 | v1 >> 47
    v1 ^= v2
    v2 = v2 << 32 | v2 >> 32
  }

  private mutating func compress(_ m: UInt64) {
    v3 ^= m
    round()
    v0 ^= m
  }

  mutating func append(_ byte: UInt8) {
    tail |= UInt64(byte) << (8 * tailCount)
    tailCount += 1
    length &+= 1
    if tailCount == 8 {
      compress(tail)
      tail = 0
      tailCount = 0
    }
  }

  mutating func finalize() -> UInt64 {
    compress(length << 56 | tail)
    v2 ^= 0xFF
    round()
    round()
    round()
    return v0 ^ v1 ^ v2 ^ v3
  }
}
