// The index's tables, flat: every word's bytes and keys in one byte buffer (no per-word arrays or
// strings), names and postings as offset tables of `Int32`, and the blocking and word-lookup
// tables as open-addressing hash tables over runs of one `Int32` buffer. No dictionary or array
// of arrays outlives the build: the index's heap footprint is these buffers (`footprint`), about
// a third of what the earlier dictionary-plus-flat-copy index held (docs/screening.md, "Index").
// Immutable once built and shared by every thread.

import Foundation
import SentinelModel

/// A hash table from a 64-bit key to a run of `Int32` values (linear probing, at most 60% full).
/// A slot holds the key's two halves and where its run starts in `values`; a run is its length
/// followed by the values.
struct KeyRanges {
  /// One slot (12 bytes: a 64-bit key would pad it to 16).
  struct Slot {
    var lo: UInt32
    var hi: UInt32
    /// Where the key's run starts in `values`, or `KeyRanges.empty`.
    var start: UInt32
  }

  static let empty = UInt32.max
  /// A key and one of its values.
  typealias Pair = (key: UInt64, value: Int32)
  private let capacity: Int
  private let slots: UnsafeMutablePointer<Slot>
  private let values: UnsafeMutablePointer<Int32>
  /// Bytes held (for the index's memory report).
  let bytes: Int

  /// A table of `pairs`, which are sorted by key; a key's values are listed in their order there.
  init(sortedPairs pairs: [(key: UInt64, value: Int32)]) {
    var keys = 0
    for k in pairs.indices where k == 0 || pairs[k].key != pairs[k - 1].key { keys += 1 }
    let capacity = max(16, keys * 5 / 3 + 1)
    self.capacity = capacity
    slots = .allocate(capacity: capacity)
    slots.initialize(repeating: Slot(lo: 0, hi: 0, start: Self.empty), count: capacity)
    let total = keys + pairs.count
    values = .allocate(capacity: max(1, total))
    bytes = capacity * MemoryLayout<Slot>.stride + total * 4
    var next = 0
    var k = 0
    while k < pairs.count {
      let key = pairs[k].key
      var end = k + 1
      while end < pairs.count && pairs[end].key == key { end += 1 }
      var s = Self.slot(key, capacity)
      while slots[s].start != Self.empty { s = s + 1 == capacity ? 0 : s + 1 }
      slots[s] = Slot(
        lo: UInt32(truncatingIfNeeded: key), hi: UInt32(truncatingIfNeeded: key >> 32), start: UInt32(next))
      values[next] = Int32(end - k)
      next += 1
      for j in k..<end {
        values[next] = pairs[j].value
        next += 1
      }
      k = end
    }
  }

  /// A table of `pairs` in any order (a key's values keep their order).
  init(_ pairs: consuming [(key: UInt64, value: Int32)]) {
    self.init(sortedPairs: Self.stableSortedByKey(pairs))
  }

  /// `pairs` sorted by key, pairs with equal keys in their order in `pairs`: the order of the
  /// standard library's stable `sorted(by:)` on the keys, by a least-significant-digit radix sort
  /// (11-bit digits; a digit that every key shares is skipped). Building the SDN index sorts
  /// ~10⁶ pairs this way at start-up, several times faster than a comparison sort.
  static func stableSortedByKey(_ pairs: consuming [Pair]) -> [Pair] {
    var source = pairs
    let n = source.count
    if n < 2 { return source }
    let bits = 11
    let radix = 1 << bits
    let mask = UInt64(radix - 1)
    let digits = (64 + bits - 1) / bits
    // One pass counts every digit of every key.
    var counts = [Int](repeating: 0, count: digits * radix)
    counts.withUnsafeMutableBufferPointer { c in
      for p in source {
        var k = p.key
        for d in 0..<digits {
          c[d * radix + Int(k & mask)] += 1
          k >>= UInt64(bits)
        }
      }
    }
    let first = source[0].key
    var target = source
    var offsets = [Int](repeating: 0, count: radix)
    for d in 0..<digits {
      let base = d * radix
      let shift = UInt64(d * bits)
      // A digit all keys share leaves the order as it is.
      if counts[base + Int((first >> shift) & mask)] == n { continue }
      var sum = 0
      for b in 0..<radix {
        offsets[b] = sum
        sum += counts[base + b]
      }
      source.withUnsafeBufferPointer { from in
        target.withUnsafeMutableBufferPointer { to in
          offsets.withUnsafeMutableBufferPointer { at in
            for p in from {
              let b = Int((p.key >> shift) & mask)
              to[at[b]] = p
              at[b] += 1
            }
          }
        }
      }
      swap(&source, &target)
    }
    return source
  }

  func free() {
    slots.deallocate()
    values.deallocate()
  }

  @inline(__always) static func slot(_ key: UInt64, _ capacity: Int) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15).multipliedFullWidth(by: UInt64(capacity)).high)
  }

  /// Loads `key`'s first slot and returns part of it: a lookup of `key` soon after then finds the
  /// slot in cache (`Screener.keyedWords` loads a word's keys' slots together).
  @inline(__always) func touch(_ key: UInt64) -> UInt32 {
    slots[Self.slot(key, capacity)].start
  }

  /// The values stored under `key` (empty when there are none).
  @inline(__always) func lookup(_ key: UInt64) -> UnsafeBufferPointer<Int32> {
    let lo = UInt32(truncatingIfNeeded: key)
    let hi = UInt32(truncatingIfNeeded: key >> 32)
    var s = Self.slot(key, capacity)
    while true {
      let x = slots[s]
      if x.start == Self.empty { return UnsafeBufferPointer(start: values, count: 0) }
      if x.lo == lo && x.hi == hi {
        let at = Int(x.start)
        return UnsafeBufferPointer(start: values + at + 1, count: Int(values[at]))
      }
      s = s + 1 == capacity ? 0 : s + 1
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
  /// Whether the word had a joined article (its vocabulary key is `TEXT/CORE`).
  var hasCore: Bool
}

/// Where the phonetic and OCR keys of two adjacent list words joined are in
/// `CompiledIndex.joinedBytes`: the phonetic key's `phoneticCount` bytes from `start`, then the OCR
/// key's `ocrCount` bytes; `start` −1 when not precomputed (no next word in the name, or a key
/// longer than 65,535 bytes: the query computes it).
struct JoinedKeys {
  var start: Int32
  var phoneticCount: UInt16
  var ocrCount: UInt16
}

/// The tables of a `ScreeningIndex` (see the file comment).
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
  /// Role weight × rarity of each word.
  let weight: UnsafeMutablePointer<Double>
  /// Rarity of each word in [0.3, 1]: 1 for a word in one name, lower for common words.
  let rarity: UnsafeMutablePointer<Double>
  /// Name n's words: `nameWords[nameStart[n]..<nameStart[n + 1]]`.
  let nameStart: UnsafeMutablePointer<Int32>
  let nameWords: UnsafeMutablePointer<Int32>
  /// Name n's entry (position in the list) and its position among the entry's names.
  let nameEntry: UnsafeMutablePointer<Int32>
  let nameAlias: UnsafeMutablePointer<Int32>
  /// The names containing word v: `postingNames[postingStart[v]..<postingStart[v + 1]]`.
  let postingStart: UnsafeMutablePointer<Int32>
  let postingNames: UnsafeMutablePointer<Int32>
  /// Per position p in `nameWords`: the keys of words p and p + 1 joined (step 3 of the score),
  /// `TokenFeatures.joined(with:)`'s, precomputed — shared by equal pairs.
  let joinedKeys: UnsafeMutablePointer<JoinedKeys>
  let joinedBytes: UnsafeMutablePointer<UInt8>
  /// Trigram (packed, as `NameKeys.trigrams`) → word ids, ascending.
  let trigrams: KeyRanges
  /// Hashed blocking keys (`ScreeningIndex.key(tag, bytes)`): `P` phonetic key, `O` OCR key, `C`
  /// core, `S` sorted letters, `D` the word with one letter deleted → word ids.
  let keys: KeyRanges
  /// `wordKey(text, core)` → word ids; a hit is checked against the word's bytes.
  let exact: KeyRanges
  /// Bytes the tables hold.
  let footprint: Int

  /// Builds the tables of `list`.
  init(list: SanctionsList) {
    // Names and their words; the vocabulary (keyed by `TEXT` or `TEXT/CORE`) and postings. The
    // names are normalized and the words' features computed on every core (both are pure); words
    // are numbered in list order on this thread, so the tables do not depend on the core count.
    var texts: [String] = []
    var owners: [(entry: Int32, alias: Int32)] = []
    for (e, entry) in list.entries.enumerated() {
      for (a, name) in entry.names.enumerated() {
        texts.append(name.text)
        owners.append((Int32(e), Int32(a)))
      }
    }
    let tokenLists = ParallelMap.map(texts, minimumCount: 1024) { NameNormalizer.tokens($0) }
    texts = []
    var vocabularyTokens: [NameToken] = []
    var lookup: [String: Int32] = [:]
    var postings: [[Int32]] = []
    var nameStart: [Int32] = []
    var nameWords: [Int32] = []
    var nameEntry: [Int32] = []
    var nameAlias: [Int32] = []
    for (i, tokens) in tokenLists.enumerated() {
      if tokens.isEmpty { continue }
      let nameId = Int32(nameEntry.count)
      nameStart.append(Int32(nameWords.count))
      for t in tokens {
        let key = t.core.map { t.text + "/" + $0 } ?? t.text
        let id: Int32
        if let known = lookup[key] {
          id = known
        } else {
          id = Int32(vocabularyTokens.count)
          lookup[key] = id
          vocabularyTokens.append(t)
          postings.append([])
        }
        if postings[Int(id)].last != nameId { postings[Int(id)].append(nameId) }
        nameWords.append(id)
      }
      nameEntry.append(owners[i].entry)
      nameAlias.append(owners[i].alias)
    }
    lookup = [:]
    owners = []
    var vocabulary = ParallelMap.map(vocabularyTokens, minimumCount: 1024) { TokenFeatures($0) }
    vocabularyTokens = []
    nameStart.append(Int32(nameWords.count))
    let wordCount = vocabulary.count
    self.wordCount = wordCount
    nameCount = nameEntry.count
    maxTextCount = vocabulary.map(\.text.count).max() ?? 0
    var footprint = 0
    func copy(_ a: [Int32]) -> UnsafeMutablePointer<Int32> {
      let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, a.count))
      p.initialize(from: a, count: a.count)
      footprint += a.count * 4
      return p
    }
    self.nameStart = copy(nameStart)
    self.nameWords = copy(nameWords)
    self.nameEntry = copy(nameEntry)
    self.nameAlias = copy(nameAlias)
    var postingStart: [Int32] = [0]
    var postingNames: [Int32] = []
    for p in postings {
      postingNames += p
      postingStart.append(Int32(postingNames.count))
    }
    self.postingStart = copy(postingStart)
    self.postingNames = copy(postingNames)

    // Words: bytes, keys, weights.
    let n = Double(max(2, nameCount))
    let total = vocabulary.reduce(0) { $0 + $1.text.count + $1.core.count + $1.phonetic.count + $1.ocr.count }
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, total))
    let words = UnsafeMutablePointer<WordEntry>.allocate(capacity: max(1, wordCount))
    let weight = UnsafeMutablePointer<Double>.allocate(capacity: max(1, wordCount))
    let rarities = UnsafeMutablePointer<Double>.allocate(capacity: max(1, wordCount))
    let textCount = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, wordCount))
    footprint += total + wordCount * (MemoryLayout<WordEntry>.stride + 8 + 8 + 4)
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
    var exact: [(key: UInt64, value: Int32)] = []
    exact.reserveCapacity(wordCount)
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
      let r = 0.3 + 0.7 * min(1, log(n / Double(max(1, postings[id].count))) / log(n))
      (weight + id).initialize(to: f.role.weight * r)
      (rarities + id).initialize(to: r)
      let key = f.text.withUnsafeBufferPointer { t in
        f.core.withUnsafeBufferPointer { c in Self.wordKey(t, core: hasCore ? c : nil) }
      }
      exact.append((key, Int32(id)))
    }
    self.exact = KeyRanges(consume exact)

    // Adjacent list words joined (step 3 of the score): their phonetic and OCR keys.
    let none = JoinedKeys(start: -1, phoneticCount: 0, ocrCount: 0)
    let joinedKeys = UnsafeMutablePointer<JoinedKeys>.allocate(capacity: max(1, nameWords.count))
    joinedKeys.initialize(repeating: none, count: max(1, nameWords.count))
    var joinedBytes: [UInt8] = []
    var joinedSeen: [UInt64: JoinedKeys] = [:]
    for n in 0..<nameCount {
      let end = Int(nameStart[n + 1])
      for p in Int(nameStart[n])..<max(Int(nameStart[n]), end - 1) {
        let a = nameWords[p]
        let b = nameWords[p + 1]
        let pair = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
        if let known = joinedSeen[pair] {
          joinedKeys[p] = known
          continue
        }
        let text = vocabulary[Int(a)].text + vocabulary[Int(b)].text
        let phonetic = NameKeys.phonetic(text)
        let ocr = NameKeys.ocr(text)
        var k = none
        let fits = phonetic.count <= Int(UInt16.max) && ocr.count <= Int(UInt16.max)
        if fits, joinedBytes.count < Int(Int32.max) / 2 {
          k = JoinedKeys(
            start: Int32(joinedBytes.count), phoneticCount: UInt16(phonetic.count),
            ocrCount: UInt16(ocr.count))
          joinedBytes += phonetic
          joinedBytes += ocr
        }
        joinedSeen[pair] = k
        joinedKeys[p] = k
      }
    }
    joinedSeen = [:]
    self.joinedKeys = joinedKeys
    self.joinedBytes = .allocate(capacity: max(1, joinedBytes.count))
    self.joinedBytes.initialize(from: joinedBytes, count: joinedBytes.count)
    footprint += max(1, nameWords.count) * MemoryLayout<JoinedKeys>.stride + joinedBytes.count

    // Blocking tables. Every word, whatever its role: a query word may be a misspelt legal form
    // (`LIMITE`).
    // Each core files the words of one contiguous range; the ranges' pairs joined in order are
    // those of one pass over the words.
    let features = vocabulary
    let cores = ParallelMap.processorCount
    let ranges = (0..<cores).map { c in wordCount * c / cores..<wordCount * (c + 1) / cores }
    let filed = ParallelMap.map(ranges, minimumCount: 2) { range in
      var grams: [(key: UInt64, value: Int32)] = []
      var keys: [(key: UInt64, value: Int32)] = []
      for id in range {
        let f = features[id]
        let v = Int32(id)
        for g in Set(NameKeys.trigrams(f.text)) { grams.append((UInt64(g), v)) }
        keys.append((ScreeningIndex.key("P", f.phonetic), v))
        keys.append((ScreeningIndex.key("O", f.ocr), v))
        if f.core != f.text { keys.append((ScreeningIndex.key("C", f.core), v)) }
        if f.text.count >= 3 { keys.append((ScreeningIndex.key("S", NameKeys.anagram(f.text)), v)) }
        if f.text.count >= 3 && f.text.count <= ScreeningIndex.deletionKeyMaxLength {
          for d in NameKeys.deletions(f.text) { keys.append((ScreeningIndex.key("D", d), v)) }
        }
      }
      return (grams: grams, keys: keys)
    }
    let grams = filed.flatMap { $0.grams }
    var keys = filed.flatMap { $0.keys }
    // `D` keys also file each word without an article under its own text (length ≤ the deletion
    // key limit): a query word's one-letter deletion then finds the word equal to it in the same
    // lookup (`Screener.keyedWords`).
    for (id, f) in vocabulary.enumerated()
    where f.core == f.text && !f.text.isEmpty && f.text.count <= ScreeningIndex.deletionKeyMaxLength {
      keys.append((ScreeningIndex.key("D", f.text), Int32(id)))
    }
    vocabulary = []
    postings = []
    self.trigrams = KeyRanges(consume grams)
    self.keys = KeyRanges(consume keys)
    self.footprint = footprint + self.trigrams.bytes + self.keys.bytes + self.exact.bytes
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
    nameAlias.deallocate()
    postingStart.deallocate()
    postingNames.deallocate()
    joinedKeys.deallocate()
    joinedBytes.deallocate()
    trigrams.free()
    keys.free()
    exact.free()
  }

  /// The hash of a word's vocabulary key (`TEXT`, or `TEXT/CORE` for a word with a joined article).
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

  /// The word whose vocabulary key is `text` (no article) or `text/core`.
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
