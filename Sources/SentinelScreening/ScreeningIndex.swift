// The index, built once per list (at load: `BundleLoader` builds it before accepting a bundle).
//
//   vocabulary   every distinct normalized word of every name, with its keys and weight
//   postings     word → the names (primary or alias) that contain it
//   blocking     trigram → words; phonetic key → words; OCR key → words; article-less core → words
//
// A query word finds its similar vocabulary words through the blocking tables (never by scanning
// the vocabulary), and those words' postings give the candidate names; only candidates are scored.
//
// The tables live only in flat form (`CompiledIndex`: byte and integer buffers, open-addressing
// key tables): no per-word strings, arrays or dictionaries stay behind once the index is built.
// `names` and `vocabulary` are views that materialize one element at a time.

/// A name of an entry as the index stores it.
public struct IndexedName: Sendable, Codable {
  /// Position of the entry in the list.
  public var entry: Int32
  /// Position of the name among the entry's names (0 = primary).
  public var alias: Int32
  /// Vocabulary ids of the name's words, in order.
  public var words: [Int32]
}

/// An immutable screening index over a `SanctionsList`.
public struct ScreeningIndex: Sendable, Codable {
  /// The list indexed.
  public let list: SanctionsList
  /// The tables (see the file comment).
  let compiled: CompiledIndex

  /// Every name of every entry (materialized on access).
  public var names: IndexedNames { IndexedNames(ix: compiled) }
  /// Distinct words (materialized on access).
  public var vocabulary: Vocabulary { Vocabulary(ix: compiled) }

  enum CodingKeys: String, CodingKey {
    case list
  }

  /// Decodes an index: its list, from which the tables are built again (they are derived data, and
  /// rebuilding costs what checking a stored copy's consistency would).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(list: try c.decode(SanctionsList.self, forKey: .list))
  }

  /// Encodes the index as its list (see `init(from:)`).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(list, forKey: .list)
  }

  /// Builds the index of `list`.
  public init(list: SanctionsList) {
    self.list = list
    compiled = CompiledIndex(list: list)
  }

  /// Words up to this length get one-deletion keys (longer words are found by their trigrams).
  static let deletionKeyMaxLength = 8

  /// A blocking key: FNV-1a (64-bit) of a one-letter kind tag and the bytes. A collision only adds
  /// a candidate word, which scoring then rejects; it cannot lose one.
  @inline(__always) static func key(_ tag: Unicode.Scalar, _ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBufferPointer { key(tag, $0) }
  }

  /// `key(tag, bytes)` over a span, optionally without the byte at `skipping` (a deletion key).
  @inline(__always) static func key(
    _ tag: Unicode.Scalar, _ bytes: UnsafeBufferPointer<UInt8>, skipping: Int = -1
  )
    -> UInt64
  {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    h = (h ^ UInt64(tag.value)) &* 0x100_0000_01b3
    for k in 0..<bytes.count where k != skipping { h = (h ^ UInt64(bytes[k])) &* 0x100_0000_01b3 }
    return h
  }

  /// Weight of vocabulary word `id`: its role's weight × its rarity.
  @inline(__always) func weight(_ id: Int32) -> Double {
    compiled.weight[Int(id)]
  }
}

/// The index's names, one `IndexedName` at a time.
public struct IndexedNames: RandomAccessCollection, Sendable {
  let ix: CompiledIndex

  /// 0.
  public var startIndex: Int { 0 }
  /// The number of names.
  public var endIndex: Int { ix.nameCount }

  /// Name `n`.
  public subscript(n: Int) -> IndexedName {
    IndexedName(entry: ix.nameEntry[n], alias: ix.nameAlias[n], words: Array(ix.nameWordIds(Int32(n))))
  }
}

/// The index's distinct words, one `TokenFeatures` at a time.
public struct Vocabulary: RandomAccessCollection, Sendable {
  let ix: CompiledIndex

  /// 0.
  public var startIndex: Int { 0 }
  /// The number of words.
  public var endIndex: Int { ix.wordCount }

  /// Word `id`.
  public subscript(id: Int) -> TokenFeatures {
    let w = ix.wordSpan(Int32(id))
    return TokenFeatures(
      text: Array(w.text), core: Array(w.core), phonetic: Array(w.phonetic), ocr: Array(w.ocr), role: w.role)
  }
}
