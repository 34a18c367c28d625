// Flat copies of the index's tables for the screening hot path: every word's bytes and keys in
// one byte buffer (no per-word arrays to retain and release), names and postings as flat
// offset tables, and the blocking and word-lookup dictionaries as open-addressing hash tables
// over flat ranges. Built from `ScreeningIndex`'s public tables (so it is rebuilt, not stored,
// when an index is decoded), immutable afterwards and shared by every thread.

/// A hash table from a 64-bit key to a range of a flat `Int32` array (linear probing).
struct KeyRanges {
  private let mask: Int
  private let slotKeys: UnsafeMutablePointer<UInt64>
  private let slotStart: UnsafeMutablePointer<UInt32>
  /// 0 = empty slot (every stored key has at least one value).
  private let slotCount: UnsafeMutablePointer<UInt32>
  private let values: UnsafeMutablePointer<Int32>

  init(_ table: [UInt64: [Int32]]) {
    var capacity = 16
    while capacity < table.count * 2 { capacity <<= 1 }
    mask = capacity - 1
    slotKeys = .allocate(capacity: capacity)
    slotKeys.initialize(repeating: 0, count: capacity)
    slotStart = .allocate(capacity: capacity)
    slotStart.initialize(repeating: 0, count: capacity)
    slotCount = .allocate(capacity: capacity)
    slotCount.initialize(repeating: 0, count: capacity)
    let total = table.values.reduce(0) { $0 + $1.count }
    values = .allocate(capacity: max(1, total))
    var next = 0
    // Sorted keys: the layout does not depend on the dictionary's (seeded) order.
    for key in table.keys.sorted() {
      guard let ids = table[key], !ids.isEmpty else { continue }
      var s = Self.slot(key, mask)
      while slotCount[s] != 0 { s = (s + 1) & mask }
      slotKeys[s] = key
      slotStart[s] = UInt32(next)
      slotCount[s] = UInt32(ids.count)
      for id in ids {
        values[next] = id
        next += 1
      }
    }
  }

  func free() {
    slotKeys.deallocate()
    slotStart.deallocate()
    slotCount.deallocate()
    values.deallocate()
  }

  @inline(__always) static func slot(_ key: UInt64, _ mask: Int) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 29) & mask
  }

  /// The values stored under `key` (empty when there are none).
  @inline(__always) func lookup(_ key: UInt64) -> UnsafeBufferPointer<Int32> {
    var s = Self.slot(key, mask)
    while true {
      let n = slotCount[s]
      if n == 0 { return UnsafeBufferPointer(start: values, count: 0) }
      if slotKeys[s] == key { return UnsafeBufferPointer(start: values + Int(slotStart[s]), count: Int(n)) }
      s = (s + 1) & mask
    }
  }
}

/// Where a vocabulary word's bytes and keys are in `CompiledIndex.bytes`.
struct WordEntry {
  var text: Int32
  var textCount: Int32
  var core: Int32
  var coreCount: Int32
  var phonetic: Int32
  var phoneticCount: Int32
  var ocr: Int32
  var ocrCount: Int32
  var textMask: UInt32
  var phoneticMask: UInt32
  var role: TokenRole
  /// Whether the word had a joined article (its `lookup` key is `TEXT/CORE`).
  var hasCore: Bool
}

/// The hot path's view of a `ScreeningIndex` (see the file comment).
final class CompiledIndex: @unchecked Sendable {
  // NOTE: @unchecked: the buffers are written in `init` only and freed in `deinit`; afterwards
  // they are read-only, so sharing across threads is safe.
  let wordCount: Int
  let nameCount: Int
  /// The longest word's length.
  let maxTextCount: Int
  let bytes: UnsafeMutablePointer<UInt8>
  let words: UnsafeMutablePointer<WordEntry>
  /// Length of each word's text (compact: read for every trigram neighbour).
  let textCount: UnsafeMutablePointer<Int32>
  /// `ScreeningIndex.weight(id)`: role weight × rarity.
  let weight: UnsafeMutablePointer<Double>
  /// `ScreeningIndex.rarity[id]`.
  let rarity: UnsafeMutablePointer<Double>
  /// Name n's words: `nameWords[nameStart[n]..<nameStart[n + 1]]`.
  let nameStart: UnsafeMutablePointer<Int32>
  let nameWords: UnsafeMutablePointer<Int32>
  let nameEntry: UnsafeMutablePointer<Int32>
  let postingStart: UnsafeMutablePointer<Int32>
  let postingNames: UnsafeMutablePointer<Int32>
  /// Trigram (packed, as `NameKeys.trigrams`) → word ids, ascending.
  let trigrams: KeyRanges
  /// `ScreeningIndex.keys`.
  let keys: KeyRanges
  /// `wordKey(text, core)` → word ids; a hit is checked against the word's bytes.
  let exact: KeyRanges

  init(
    vocabulary: [TokenFeatures], rarity: [Double], names: [IndexedName], postingStart: [Int32],
    postingNames: [Int32], trigrams: [UInt32: [Int32]], keys: [UInt64: [Int32]]
  ) {
    wordCount = vocabulary.count
    nameCount = names.count
    maxTextCount = vocabulary.map(\.text.count).max() ?? 0
    let total = vocabulary.reduce(0) { $0 + $1.text.count + $1.core.count + $1.phonetic.count + $1.ocr.count }
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, total))
    let words = UnsafeMutablePointer<WordEntry>.allocate(capacity: max(1, wordCount))
    let weight = UnsafeMutablePointer<Double>.allocate(capacity: max(1, wordCount))
    let rarities = UnsafeMutablePointer<Double>.allocate(capacity: max(1, wordCount))
    let textCount = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, wordCount))
    self.bytes = bytes
    self.words = words
    self.textCount = textCount
    self.weight = weight
    self.rarity = rarities
    var at = 0
    func put(_ b: [UInt8]) -> Int32 {
      let start = at
      for x in b {
        bytes[at] = x
        at += 1
      }
      return Int32(start)
    }
    var exact: [UInt64: [Int32]] = [:]
    for (id, f) in vocabulary.enumerated() {
      let hasCore = f.core != f.text
      let text = put(f.text)
      (words + id).initialize(
        to: WordEntry(
          text: text, textCount: Int32(f.text.count), core: hasCore ? put(f.core) : text,
          coreCount: Int32(f.core.count), phonetic: put(f.phonetic), phoneticCount: Int32(f.phonetic.count),
          ocr: put(f.ocr), ocrCount: Int32(f.ocr.count),
          textMask: f.text.withUnsafeBufferPointer { JaroWinkler.letters($0) },
          phoneticMask: f.phonetic.withUnsafeBufferPointer { JaroWinkler.letters($0) }, role: f.role,
          hasCore: hasCore))
      (textCount + id).initialize(to: Int32(f.text.count))
      (weight + id).initialize(to: f.role.weight * rarity[id])
      (rarities + id).initialize(to: rarity[id])
      let key = f.text.withUnsafeBufferPointer { t in
        f.core.withUnsafeBufferPointer { c in Self.wordKey(t, core: hasCore ? c : nil) }
      }
      exact[key, default: []].append(Int32(id))
    }
    let nameStart = UnsafeMutablePointer<Int32>.allocate(capacity: names.count + 1)
    let nameEntry = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, names.count))
    let wordTotal = names.reduce(0) { $0 + $1.words.count }
    let nameWords = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, wordTotal))
    self.nameStart = nameStart
    self.nameEntry = nameEntry
    self.nameWords = nameWords
    var w = 0
    for (n, name) in names.enumerated() {
      nameStart[n] = Int32(w)
      nameEntry[n] = name.entry
      for v in name.words {
        nameWords[w] = v
        w += 1
      }
    }
    nameStart[names.count] = Int32(w)
    self.postingStart = .allocate(capacity: postingStart.count)
    self.postingStart.initialize(from: postingStart, count: postingStart.count)
    self.postingNames = .allocate(capacity: max(1, postingNames.count))
    self.postingNames.initialize(from: postingNames, count: postingNames.count)
    var grams: [UInt64: [Int32]] = [:]
    grams.reserveCapacity(trigrams.count)
    for (g, ids) in trigrams { grams[UInt64(g)] = ids }
    self.trigrams = KeyRanges(grams)
    // `D` keys also file each word without an article under its own text (length ≤ the deletion
    // key limit): a query word's one-letter deletion then finds the word equal to it in the same
    // lookup (`Screener.keyedWords`).
    var withSelf = keys
    for (id, f) in vocabulary.enumerated()
    where f.core == f.text && !f.text.isEmpty && f.text.count <= ScreeningIndex.deletionKeyMaxLength {
      withSelf[ScreeningIndex.key("D", f.text), default: []].append(Int32(id))
    }
    self.keys = KeyRanges(withSelf)
    self.exact = KeyRanges(exact)
  }

  deinit {
    bytes.deallocate()
    words.deallocate()
    textCount.deallocate()
    weight.deallocate()
    rarity.deallocate()
    nameStart.deallocate()
    nameWords.deallocate()
    nameEntry.deallocate()
    postingStart.deallocate()
    postingNames.deallocate()
    trigrams.free()
    keys.free()
    exact.free()
  }

  /// The hash of a word's `lookup` key (`TEXT`, or `TEXT/CORE` for a word with a joined article).
  @inline(__always) static func wordKey(_ text: UnsafeBufferPointer<UInt8>, core: UnsafeBufferPointer<UInt8>?)
    -> UInt64
  {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    h = (h ^ 0x57) &* 0x100_0000_01b3
    for b in text { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    if let core {
      h = (h ^ 0x2F) &* 0x100_0000_01b3
      for b in core { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
    return h
  }

  /// The word whose `lookup` key is `text` (no article) or `text/core`, as `ScreeningIndex.lookup`.
  @inline(__always) func word(text: UnsafeBufferPointer<UInt8>, core: UnsafeBufferPointer<UInt8>?) -> Int32? {
    for id in exact.lookup(Self.wordKey(text, core: core)) {
      let e = words[Int(id)]
      guard e.hasCore == (core != nil), span(e.text, e.textCount).same(text) else { continue }
      if let core, !span(e.core, e.coreCount).same(core) { continue }
      return id
    }
    return nil
  }

  @inline(__always) func span(_ start: Int32, _ count: Int32) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: bytes + Int(start), count: Int(count))
  }

  /// Word `id` as spans.
  @inline(__always) func wordSpan(_ id: Int32) -> WordSpan {
    let e = words[Int(id)]
    return WordSpan(
      text: span(e.text, e.textCount), core: span(e.core, e.coreCount),
      phonetic: span(e.phonetic, e.phoneticCount), ocr: span(e.ocr, e.ocrCount), role: e.role,
      textMask: e.textMask, phoneticMask: e.phoneticMask, hasCore: e.hasCore)
  }

  /// Name n's word ids.
  @inline(__always) func nameWordIds(_ n: Int32) -> UnsafeBufferPointer<Int32> {
    let s = Int(nameStart[Int(n)])
    return UnsafeBufferPointer(start: nameWords + s, count: Int(nameStart[Int(n) + 1]) - s)
  }

  /// The names containing word v.
  @inline(__always) func postings(_ v: Int32) -> UnsafeBufferPointer<Int32> {
    let s = Int(postingStart[Int(v)])
    return UnsafeBufferPointer(start: postingNames + s, count: Int(postingStart[Int(v) + 1]) - s)
  }
}
