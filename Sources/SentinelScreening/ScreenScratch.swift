// Per-query working memory, reused across queries: dense per-name and per-word arrays (kept
// zeroed between queries by resetting only what a query touched) and growable buffers. A
// `Screener` keeps a few in a pool; each is used by one query — one thread — at a time.

import Synchronization

/// Working memory for one query at a time (see the file comment).
final class ScreenScratch: @unchecked Sendable {
  // NOTE: @unchecked: a scratch is taken out of its pool by one query and given back when the
  // query ends; no two threads hold it at once.
  let nameCount: Int
  let wordCount: Int
  /// Per name: query-coverage accumulator (blocking). Zero between queries.
  let acc: UnsafeMutablePointer<Float>
  /// Per name: best evidence of the current query word (blocking). Zero between queries.
  let best: UnsafeMutablePointer<Float>
  /// Per word: shared trigrams with the current query word (low 16 bits, zero between queries)
  /// and the word's length (high 16 bits; `UInt16.max` for a longer word, whose length is then
  /// read from the index): the trigram walk reads both, and one array is one cache line where
  /// two were two.
  let counts: UnsafeMutablePointer<UInt32>
  /// Per word: evidence (blocking, closed phase) or a dedup mark. Zero between queries.
  let evidence: UnsafeMutablePointer<Float>
  /// Per word: the generation of the query that gave it a similarity-cache slot (high 32 bits),
  /// and the slot.
  let cells: UnsafeMutablePointer<UInt64>
  var generation: UInt32 = 0
  /// The query's words' bytes.
  var arena: UnsafeMutablePointer<UInt8>
  var arenaCapacity: Int
  /// The query's rows' Jaro position tables (`QueryState.tables`).
  var jaroTables: UnsafeMutablePointer<UInt64>
  var jaroTableCapacity: Int
  /// Two list words joined, with their keys (`QueryState.joined`): room for two of the longest words.
  let join: UnsafeMutablePointer<UInt8>

  /// Names touched by a query (each once), and by one of its words.
  let touchedNames: UnsafeMutablePointer<Int32>
  let localNames: UnsafeMutablePointer<Int32>
  /// Words touched by one query word's trigrams (each once).
  let touchedWords: UnsafeMutablePointer<Int32>
  /// The joined-pair cache (`QueryState.pairSlot`); a stamp is a query's generation.
  let pairKeys: UnsafeMutablePointer<UInt64>
  let pairStamps: UnsafeMutablePointer<UInt32>
  let pairSims: UnsafeMutablePointer<Double>
  /// The trigram neighbours of one query word kept so far, best first (`Screener.similarWords`).
  let scored: UnsafeMutablePointer<(Double, Int32)>
  /// How many trigram neighbours a query word keeps.
  static let keptWords = 32
  /// The similarity cache's cells (`QueryState`), grown as needed.
  var sims: UnsafeMutablePointer<Double>
  var reasons: UnsafeMutablePointer<MatchReason>
  var simCapacity: Int

  // Growable buffers, moved into a query's state and back (to keep their capacity).
  var ids: [Int32] = []
  var grams: [UInt32] = []
  var bytes: [UInt8] = []
  var keys: [UInt64] = []
  /// Where `Screener.keyedWords` leaves the slots it loaded ahead (so that the loads are kept).
  var touchSink: UInt32 = 0
  /// Per query word: the vocabulary words blocking found, with their evidence (`Screener.candidates`).
  var found: [[(Int32, Float)]] = []

  init(_ ix: CompiledIndex) {
    nameCount = ix.nameCount
    wordCount = ix.wordCount
    acc = .allocate(capacity: max(1, nameCount))
    acc.initialize(repeating: 0, count: max(1, nameCount))
    best = .allocate(capacity: max(1, nameCount))
    best.initialize(repeating: 0, count: max(1, nameCount))
    counts = .allocate(capacity: max(1, wordCount))
    counts.initialize(repeating: 0, count: max(1, wordCount))
    for v in 0..<wordCount { counts[v] = UInt32(min(Int(ix.textCount[v]), Int(UInt16.max))) << 16 }
    evidence = .allocate(capacity: max(1, wordCount))
    evidence.initialize(repeating: 0, count: max(1, wordCount))
    cells = .allocate(capacity: max(1, wordCount))
    cells.initialize(repeating: 0, count: max(1, wordCount))
    touchedNames = .allocate(capacity: max(1, nameCount))
    localNames = .allocate(capacity: max(1, nameCount))
    touchedWords = .allocate(capacity: max(1, wordCount))
    scored = .allocate(capacity: Self.keptWords)
    pairKeys = .allocate(capacity: QueryState.pairCapacity)
    pairKeys.initialize(repeating: 0, count: QueryState.pairCapacity)
    pairStamps = .allocate(capacity: QueryState.pairCapacity)
    pairStamps.initialize(repeating: 0, count: QueryState.pairCapacity)
    pairSims = .allocate(capacity: QueryState.pairCapacity * QueryState.pairRows)
    pairSims.initialize(repeating: .nan, count: QueryState.pairCapacity * QueryState.pairRows)
    simCapacity = 1024
    sims = .allocate(capacity: simCapacity)
    reasons = .allocate(capacity: simCapacity)
    arenaCapacity = 256
    arena = .allocate(capacity: arenaCapacity)
    jaroTableCapacity = 16 * QueryState.tableStride
    jaroTables = .allocate(capacity: jaroTableCapacity)
    join = .allocate(capacity: QueryState.joinCapacity(ix.maxTextCount))
  }

  deinit {
    acc.deallocate()
    best.deallocate()
    counts.deallocate()
    evidence.deallocate()
    cells.deallocate()
    touchedNames.deallocate()
    localNames.deallocate()
    touchedWords.deallocate()
    scored.deallocate()
    pairKeys.deallocate()
    pairStamps.deallocate()
    pairSims.deallocate()
    sims.deallocate()
    reasons.deallocate()
    arena.deallocate()
    jaroTables.deallocate()
    join.deallocate()
  }

  /// A new generation for the similarity cache (stamps of earlier queries no longer match).
  func nextGeneration() -> UInt32 {
    generation &+= 1
    if generation == 0 {
      cells.update(repeating: 0, count: max(1, wordCount))
      pairStamps.update(repeating: 0, count: QueryState.pairCapacity)
      generation = 1
    }
    return generation
  }

  /// Room for `n` bytes of query words.
  func reserveArena(_ n: Int) {
    guard n > arenaCapacity else { return }
    arena.deallocate()
    arenaCapacity = max(n, arenaCapacity * 2)
    arena = .allocate(capacity: arenaCapacity)
  }
}

extension ScreenScratch {
  /// Room for `n` masks of Jaro position tables.
  func reserveJaroTables(_ n: Int) {
    guard n > jaroTableCapacity else { return }
    jaroTables.deallocate()
    jaroTableCapacity = max(n, jaroTableCapacity * 2)
    jaroTables = .allocate(capacity: jaroTableCapacity)
  }
}

/// A few scratches for the queries of one screener (one per thread screening at once).
final class ScratchPool: Sendable {
  private let free = Mutex<[ScreenScratch]>([])

  /// Runs `body` with a scratch for `ix`, taken from the pool or made.
  func with<R>(_ ix: CompiledIndex, _ body: (ScreenScratch) -> R) -> R {
    let s = free.withLock { $0.popLast() } ?? ScreenScratch(ix)
    defer { free.withLock { if $0.count < 8 { $0.append(s) } } }
    return body(s)
  }
}
