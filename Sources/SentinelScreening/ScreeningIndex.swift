// The index, built once per list (at load, or stored in a bundle: it is `Codable`).
//
//   vocabulary   every distinct normalized word of every name, with its features and weight
//   postings     word → the names (primary or alias) that contain it
//   blocking     trigram → words; phonetic key → words; OCR key → words; article-less core → words
//
// A query word finds its similar vocabulary words through the blocking tables (never by scanning
// the vocabulary), and those words' postings give the candidate names; only candidates are scored.

import Foundation

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
  /// Every name of every entry.
  public let names: [IndexedName]
  /// Distinct words.
  public let vocabulary: [TokenFeatures]
  /// Rarity factor of each word in [0.3, 1]: 1 for a word in one name, lower for common words.
  public let rarity: [Double]
  /// Word text (with `/core` when it had an article) → vocabulary id.
  public let lookup: [String: Int32]
  /// Names containing vocabulary word `v`: `postingNames[postingStart[v]..<postingStart[v + 1]]`
  /// (one flat array: no per-word array to retain while walking postings).
  public let postingStart: [Int32]
  /// See `postingStart`.
  public let postingNames: [Int32]
  /// Packed trigram → vocabulary ids.
  public let trigrams: [UInt32: [Int32]]
  /// Hashed blocking keys (`key(tag, bytes)`): `P` phonetic key, `O` OCR key, `C` core, `S` sorted
  /// letters, `D` the word with one letter deleted → vocabulary ids.
  public let keys: [UInt64: [Int32]]
  /// The same tables, flat, for the hot path (rebuilt when decoded, not stored).
  let compiled: CompiledIndex

  enum CodingKeys: String, CodingKey {
    case list, names, vocabulary, rarity, lookup, postingStart, postingNames, trigrams, keys
  }

  /// Decodes an index (and rebuilds its flat tables).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let list = try c.decode(SanctionsList.self, forKey: .list)
    let names = try c.decode([IndexedName].self, forKey: .names)
    let vocabulary = try c.decode([TokenFeatures].self, forKey: .vocabulary)
    let rarity = try c.decode([Double].self, forKey: .rarity)
    let postingStart = try c.decode([Int32].self, forKey: .postingStart)
    let postingNames = try c.decode([Int32].self, forKey: .postingNames)
    let trigrams = try c.decode([UInt32: [Int32]].self, forKey: .trigrams)
    let keys = try c.decode([UInt64: [Int32]].self, forKey: .keys)
    let words = vocabulary.count
    guard rarity.count == words, postingStart.count == words + 1, postingStart.first == 0,
      postingStart.last.map({ Int($0) == postingNames.count }) ?? false,
      zip(postingStart, postingStart.dropFirst()).allSatisfy({ $0 <= $1 }),
      names.allSatisfy({ n in
        n.words.allSatisfy { $0 >= 0 && Int($0) < words } && n.entry >= 0 && Int(n.entry) < list.entries.count
          && n.alias >= 0 && Int(n.alias) < list.entries[Int(n.entry)].names.count
      }),
      postingNames.allSatisfy({ $0 >= 0 && Int($0) < names.count }),
      trigrams.values.allSatisfy({ ids in ids.allSatisfy { $0 >= 0 && Int($0) < words } }),
      keys.values.allSatisfy({ ids in ids.allSatisfy { $0 >= 0 && Int($0) < words } })
    else {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: decoder.codingPath, debugDescription: "inconsistent screening index"))
    }
    self.list = list
    self.names = names
    self.vocabulary = vocabulary
    self.rarity = rarity
    self.lookup = try c.decode([String: Int32].self, forKey: .lookup)
    self.postingStart = postingStart
    self.postingNames = postingNames
    self.trigrams = trigrams
    self.keys = keys
    compiled = CompiledIndex(
      vocabulary: vocabulary, rarity: rarity, names: names, postingStart: postingStart,
      postingNames: postingNames, trigrams: trigrams, keys: keys)
  }

  /// Builds the index of `list`.
  public init(list: SanctionsList) {
    var names: [IndexedName] = []
    var vocabulary: [TokenFeatures] = []
    var lookup: [String: Int32] = [:]
    var postings: [[Int32]] = []
    for (e, entry) in list.entries.enumerated() {
      for (a, name) in entry.names.enumerated() {
        let tokens = NameNormalizer.tokens(name.text)
        if tokens.isEmpty { continue }
        let nameId = Int32(names.count)
        var words: [Int32] = []
        for t in tokens {
          let key = Self.vocabularyKey(t)
          let id: Int32
          if let known = lookup[key] {
            id = known
          } else {
            id = Int32(vocabulary.count)
            lookup[key] = id
            vocabulary.append(TokenFeatures(t))
            postings.append([])
          }
          if postings[Int(id)].last != nameId { postings[Int(id)].append(nameId) }
          words.append(id)
        }
        names.append(IndexedName(entry: Int32(e), alias: Int32(a), words: words))
      }
    }
    let n = Double(max(2, names.count))
    let rarity = postings.map { p in 0.3 + 0.7 * min(1, log(n / Double(max(1, p.count))) / log(n)) }
    var trigrams: [UInt32: [Int32]] = [:]
    var keys: [UInt64: [Int32]] = [:]
    // Every word, whatever its role: a query word may be a misspelt legal form (`LIMITE`).
    for (id, f) in vocabulary.enumerated() {
      for g in Set(NameKeys.trigrams(f.text)) { trigrams[g, default: []].append(Int32(id)) }
      keys[Self.key("P", f.phonetic), default: []].append(Int32(id))
      keys[Self.key("O", f.ocr), default: []].append(Int32(id))
      if f.core != f.text { keys[Self.key("C", f.core), default: []].append(Int32(id)) }
      if f.text.count >= 3 {
        keys[Self.key("S", NameKeys.anagram(f.text)), default: []].append(Int32(id))
      }
      if f.text.count >= 3 && f.text.count <= Self.deletionKeyMaxLength {
        for d in NameKeys.deletions(f.text) {
          keys[Self.key("D", d), default: []].append(Int32(id))
        }
      }
    }
    self.list = list
    self.names = names
    self.vocabulary = vocabulary
    self.rarity = rarity
    self.lookup = lookup
    var start: [Int32] = [0]
    var flat: [Int32] = []
    for p in postings {
      flat += p
      start.append(Int32(flat.count))
    }
    self.postingStart = start
    self.postingNames = flat
    self.trigrams = trigrams
    self.keys = keys
    self.compiled = CompiledIndex(
      vocabulary: vocabulary, rarity: rarity, names: names, postingStart: start, postingNames: flat,
      trigrams: trigrams, keys: keys)
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

  /// The key of a token in `lookup`.
  static func vocabularyKey(_ t: NameToken) -> String {
    t.core.map { t.text + "/" + $0 } ?? t.text
  }

  /// Weight of vocabulary word `id`: its role's weight × its rarity.
  @inline(__always) func weight(_ id: Int32) -> Double {
    vocabulary[Int(id)].role.weight * rarity[Int(id)]
  }

  /// The rarity of a word written as `text` in the list, or 1 for a word the list lacks.
  func rarity(ofText text: String) -> Double {
    lookup[text].map { rarity[Int($0)] } ?? 1
  }
}
