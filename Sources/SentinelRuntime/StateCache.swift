// The processor's working set of aggregate states, between the rules and the store.
//
// One entry per key value (a user id, an ip…), holding that key's state for each aggregate of
// the bundle. String keys — nearly all of them — are found by their text, with no key form
// built per event; other keys by their `ValueKey` form. The form an entry is stored under in the
// store is built once, when the entry is created.
//
// The states themselves sit in one flat array of slots, `aggregateCount` per entry (entry `e`'s
// slot for aggregate `a` is `stateSlots[e * aggregateCount + a]`): the per-event path reads and
// updates a state in place, without going through an entry's own array.
//
// The cache is bounded: beyond `capacity` entries, clean entries (no change since the last
// commit) are evicted in clock order (second chance) and read back from the store when their key
// comes again. Entries with uncommitted changes, and entries the current event uses, are never
// evicted, nor are entries whose changes are in a commit that has not returned yet: between two
// commits the cache may hold more than `capacity` entries, and a commit trims it back.
//
// With write-back (`writesBack`, `replay` in memory) commits carry no states: an evicted entry's
// states are kept in `evicted` and written to the store before it is next read, so the store
// answers a reload with the state the cache dropped.

import SentinelModel
import SentinelState

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - StateCache

/// A bounded cache of aggregate states by key value (see the file comment).
struct StateCache {
  /// One aggregate's state within an entry.
  struct Slot {
    /// The state when `isLoaded`; an empty placeholder until then. Stored without an optional
    /// so that the per-event path reads and updates it in place (`inout`), without copying the
    /// slot (docs/performance.md, "Replay: CPU per event, second round").
    private(set) var stored = AggregateState(kind: .count)
    /// Whether the state was loaded (`load`: from the store, or empty for a key the store lacks).
    private(set) var isLoaded = false
    /// Whether the state changed since the last commit.
    var dirty = false
    /// Whether the state changed since it was loaded: with write-back, what the store lacks (a
    /// state loaded as empty and never changed is not written).
    var changed = false

    /// An empty slot.
    init() {}

    /// The state; nil until loaded.
    var state: AggregateState? { isLoaded ? stored : nil }

    /// Sets the state.
    mutating func load(_ s: AggregateState) {
      stored = s
      isLoaded = true
    }

    /// Writes the loaded state's reading for the current event to the rules' slots, in place
    /// (`AggregatePlan.fillReading`: nothing changes).
    @inline(__always)
    mutating func fillReading(
      _ plan: AggregatePlan, _ spec: inout AggregateSpec, at t: Timestamp, current: Value?, probe: Value?,
      valueKey: String?, into slots: inout [Value?]
    ) {
      plan.fillReading(
        of: &stored, &spec, at: t, current: current, probe: probe, valueKey: valueKey, into: &slots)
    }

    /// `readInPlace` then `apply` of a matching event for an unbounded `seen` aggregate
    /// (`AggregateState.readAndApplySeen`); nil when the state does not allow it.
    @inline(__always)
    mutating func readAndApplySeen(_ spec: inout AggregateSpec, at t: Timestamp, key: String) -> Bool? {
      guard isLoaded else { return nil }
      return stored.readAndApplySeen(&spec, at: t, key: key)
    }

    /// Records a matching event in the loaded state, in place (see `AggregateState.apply`).
    /// The spec is `inout` only so that it is not copied for the call (it is not changed).
    mutating func apply(_ spec: inout AggregateSpec, at t: Timestamp, value: Value, valueKey: String?) {
      guard isLoaded else { return }
      stored.apply(spec, at: t, value: value, valueKey: valueKey)
    }
  }

  /// One key value (its states are in `stateSlots`).
  struct Entry {
    /// The key's canonical form (`ValueKey.encode`); for a string key, empty until first asked
    /// (`StateCache.form(of:)`: a form built for every new entry was ~0.5 % of replay's
    /// deciding thread, and only a store load or write needs it; docs/performance.md, "s16-decide").
    var storedForm: String
    /// The key's text when it is a string (the entry is then found in `strings`, or by its key
    /// id until it is indexed: `indexed`), else nil (found by `form` in `forms`).
    var text: String?
    /// Whether a string-key entry is in `strings` (one made for a key id is put there only when
    /// a lookup by text comes: `indexPending`).
    var indexed = true
    /// The number of dirty slots.
    var dirtyCount = 0
    /// The clock's reference bit: set on each use, cleared when the hand passes.
    var referenced = true
    /// The last event that used the entry (never evicted during that event).
    var lastEvent = 0
    /// Slots of the entry in a commit that has not returned yet (`takeDirty`): an entry whose
    /// changes are not yet durable is never evicted, or the store would answer with an older
    /// state.
    var inFlight = 0
    /// Whether the entry is in use (false: on the free list).
    var live = true
    /// The key id it is linked to (`entryOfKeyID`), or -1.
    var keyID = -1

    init(form: String, text: String?, referenced: Bool = true, live: Bool = true) {
      storedForm = form
      self.text = text
      self.referenced = referenced
      self.live = live
    }
  }

  /// The canonical form (`ValueKey.encode`) of entry `e`'s key: how the store names it (built
  /// once for a string key, when first asked).
  mutating func form(of e: Int) -> String {
    if entries[e].storedForm.isEmpty, let text = entries[e].text {
      entries[e].storedForm = ValueKey.encode(.string(text)) ?? ""
    }
    return entries[e].storedForm
  }

  /// The number of aggregates (slots per entry).
  let aggregateCount: Int
  /// The bundle's aggregates, passed in place to `AggregateState.readInPlace` (never changed).
  var readSpecs: [AggregateSpec]
  /// The number of entries kept when clean ones can be evicted.
  let capacity: Int
  /// Entries by string key text.
  private(set) var strings: [String: Int] = [:]
  /// Entries of non-string keys by key form.
  private(set) var forms: [String: Int] = [:]
  /// The entry of each string key by the id a `LinePreparer` gave its text (`keyIDs` in
  /// `read`), -1 for none: an entry found by an index, with no string hashed here.
  private(set) var entryOfKeyID: [Int] = []
  /// The number of live string-key entries linked to no key id (made for a line without key ids,
  /// or loaded from the store): while there are none, a key id without an entry has none.
  private(set) var unlinked = 0
  /// String-key entries made for a key id and not put in `strings` yet (`Entry.indexed`; an
  /// index here may have been evicted or reused since: `indexPending` checks).
  private var pendingIndex: [Int] = []
  /// All entries, live or free.
  var entries: [Entry] = []
  /// The slots of all entries, `aggregateCount` per entry, in entry then bundle order
  /// (`slot(_:_:)`); a free entry's slots are empty.
  var stateSlots: [Slot] = []
  private var free: [Int] = []
  private var hand = 0
  /// The number of live entries.
  private(set) var liveCount = 0
  /// The updates the current event makes (`read`, `applyUpdates`): the first `updateCount`.
  var updates: [PendingUpdate] = []
  var updateCount = 0
  /// The slots changed since the last commit: (entry, aggregate).
  private(set) var dirty: [(entry: Int, aggregate: Int)] = []
  /// The current event's number (entries it uses are pinned).
  private var event = 0
  /// The number of entries evicted so far.
  private(set) var evictions = 0
  /// Whether the store receives states when their entry is evicted rather than at each commit
  /// (`EventProcessor(writeBack:)`): the cache is then the only up-to-date copy of the states it
  /// holds.
  let writesBack: Bool
  /// With `writesBack`: the states of the entries evicted since they were last written to the
  /// store (`writeEvicted`), which must happen before the store is read again.
  private(set) var evicted: [(StateKey, AggregateState)] = []

  /// An empty cache for the aggregates `specs` keeping about `capacity` entries; `writesBack`:
  /// evicted entries' states are kept for the store (`evicted`).
  init(specs: [AggregateSpec], capacity: Int, writesBack: Bool = false) {
    aggregateCount = specs.count
    readSpecs = specs
    self.capacity = max(1, capacity)
    self.writesBack = writesBack
  }

  /// With `writesBack`: writes the states of the entries evicted since the last call to `store`
  /// (before anything is read from it).
  mutating func writeEvicted(to store: any StateStore) throws {
    guard !evicted.isEmpty else { return }
    try store.commit(StateBatch(states: evicted))
    evicted.removeAll(keepingCapacity: true)
  }

  /// The index in `stateSlots` of aggregate `aggregate`'s slot of entry `e`.
  @inline(__always)
  func slot(_ e: Int, _ aggregate: Int) -> Int { e &* aggregateCount &+ aggregate }

  /// Starts a new event: the entries it uses from now on are pinned until the next one.
  mutating func beginEvent() {
    event &+= 1
    updateCount = 0
  }

  /// Puts the entries made for a key id in `strings` (before any lookup by text).
  @inline(__always)
  private mutating func indexPending() {
    guard !pendingIndex.isEmpty else { return }
    for e in pendingIndex where entries[e].live && !entries[e].indexed {
      if let text = entries[e].text { strings[text] = e }
      entries[e].indexed = true
    }
    pendingIndex.removeAll(keepingCapacity: true)
  }

  /// The entry for a string key, created (empty, nothing loaded) when missing.
  mutating func entry(forText text: String) -> Int {
    indexPending()
    if let e = strings[text] {
      touch(e)
      return e
    }
    return newEntry(forText: text)
  }

  /// A new entry (empty, nothing loaded) for a string key that has none; linked to `keyID` when
  /// it is not -1.
  mutating func newEntry(forText text: String, keyID: Int = -1) -> Int {
    let e = allocate(form: "", text: text)
    unlinked += 1
    if keyID >= 0 {
      // NOTE: found by its key id; put in `strings` only when a lookup by text comes (hashing
      // each new key's text was ~1.5 % of replay's deciding thread, and replay looks up none;
      // docs/performance.md, "s16-decide").
      entries[e].indexed = false
      pendingIndex.append(e)
      link(e, keyID)
    } else {
      strings[text] = e
    }
    return e
  }

  /// The entry of a string key given with its key id (`read`, `keyIDs`) when it is cached, else
  /// nil (nothing is created).
  @inline(__always)
  mutating func existingEntry(forKeyID id: Int, text: String) -> Int? {
    if id < entryOfKeyID.count {
      let e = entryOfKeyID[id]
      if e >= 0 {
        touch(e)
        return e
      }
    }
    guard unlinked > 0, let e = existingEntry(forText: text) else { return nil }
    link(e, id)
    return e
  }

  /// The entry linked to the key id `id` (`entryOfKeyID`), else nil: `existingEntry(forKeyID:
  /// text:)`'s first step, for a caller that has not taken the key's text out of its value.
  @inline(__always)
  mutating func linkedEntry(forKeyID id: Int) -> Int? {
    guard id < entryOfKeyID.count else { return nil }
    let e = entryOfKeyID[id]
    guard e >= 0 else { return nil }
    touch(e)
    return e
  }

  /// Links the string-key entry `e` (linked to none) to the key id `id`.
  private mutating func link(_ e: Int, _ id: Int) {
    guard entries[e].keyID < 0 else { return }
    if id >= entryOfKeyID.count {
      entryOfKeyID.append(
        contentsOf: repeatElement(-1, count: max(id + 1 - entryOfKeyID.count, entryOfKeyID.count)))
    }
    entryOfKeyID[id] = e
    entries[e].keyID = id
    unlinked -= 1
  }

  /// Forgets every key id (a new `LinePreparer` numbers the keys anew).
  mutating func unlinkKeyIDs() {
    for e in entries.indices where entries[e].keyID >= 0 {
      entries[e].keyID = -1
      unlinked += 1
    }
    entryOfKeyID.removeAll()
  }

  /// The entry for a string key when it is cached, else nil (nothing is created).
  mutating func existingEntry(forText text: String) -> Int? {
    indexPending()
    guard let e = strings[text] else { return nil }
    touch(e)
    return e
  }

  /// The entry for a key of any other type, by its key form, created when missing.
  mutating func entry(forForm form: String) -> Int {
    if let text = ValueKey.stringText(ofForm: form) { return entry(forText: text) }
    if let e = forms[form] {
      touch(e)
      return e
    }
    let e = allocate(form: form, text: nil)
    forms[form] = e
    return e
  }

  /// Marks slot `aggregate` of entry `e` as changed since the last commit.
  mutating func markDirty(_ e: Int, _ aggregate: Int) {
    let k = slot(e, aggregate)
    guard !stateSlots[k].dirty else { return }
    stateSlots[k].dirty = true
    stateSlots[k].changed = true
    entries[e].dirtyCount += 1
    dirty.append((e, aggregate))
  }

  /// After a commit: every slot is clean again; the cache is trimmed back to its capacity (no
  /// event is in progress, so none is pinned).
  mutating func markClean() {
    release(takeDirty())
  }

  /// For a commit that runs while later events change the cache: the dirty slots, which are
  /// clean from now on (a later change marks a slot dirty again, for the next commit) but stay
  /// in the cache until `release` (the commit returned) or `restore` (it failed).
  mutating func takeDirty() -> [(entry: Int, aggregate: Int)] {
    let taken = dirty
    for (e, a) in taken {
      stateSlots[slot(e, a)].dirty = false
      entries[e].dirtyCount -= 1
      entries[e].inFlight += 1
    }
    dirty.removeAll(keepingCapacity: true)
    return taken
  }

  /// The commit of `taken` (from `takeDirty`) returned: those slots may be evicted again; the
  /// cache is trimmed back to its capacity (between two events: none is pinned).
  mutating func release(_ taken: [(entry: Int, aggregate: Int)]) {
    beginEvent()
    for (e, _) in taken { entries[e].inFlight -= 1 }
    while liveCount > capacity, evictOne() {}
  }

  /// The commit of `taken` failed: its slots are dirty again, for the next commit.
  mutating func restore(_ taken: [(entry: Int, aggregate: Int)]) {
    for (e, a) in taken {
      entries[e].inFlight -= 1
      markDirty(e, a)
    }
  }

  private mutating func touch(_ e: Int) {
    entries[e].referenced = true
    entries[e].lastEvent = event
  }

  private mutating func allocate(form: String, text: String?) -> Int {
    if liveCount >= capacity { _ = evictOne() }
    var entry = Entry(form: form, text: text)
    entry.lastEvent = event
    liveCount += 1
    if let e = free.popLast() {
      // INVARIANT: a free entry's slots are empty (`evictOne`).
      entries[e] = entry
      return e
    }
    if entries.count == entries.capacity { reserveRoom() }
    entries.append(entry)
    for _ in 0..<aggregateCount { stateSlots.append(Slot()) }
    return entries.count - 1
  }

  /// Makes room for more entries (and their slots) than the arrays' doubling would: at least
  /// `firstReservation` entries, then 8 times as many as there are, up to `capacity` (beyond it,
  /// between two commits, twice as many).
  /// NOTE: doubling copied every slot at each step and touched the new arrays' pages as it copied
  /// them: new entries were ~5.5 % of replay's deciding thread's samples (page faults and
  /// `memmove`), ~3–4 % with this and `adviseHugePages` (docs/performance.md, "s18-agg: the
  /// deciding thread (session 18, issue 4)"). Pages reserved and never used are never touched
  /// (not resident).
  private mutating func reserveRoom() {
    let wanted = Swift.max(
      entries.count * 2, Swift.min(Swift.max(Self.firstReservation, entries.count * 8), capacity))
    entries.reserveCapacity(wanted)
    stateSlots.reserveCapacity(wanted * aggregateCount)
    if writesBack {
      entries.withUnsafeMutableBufferPointer {
        Self.adviseHugePages($0.baseAddress, bytes: wanted * MemoryLayout<Entry>.stride)
      }
      stateSlots.withUnsafeMutableBufferPointer {
        Self.adviseHugePages($0.baseAddress, bytes: wanted * aggregateCount * MemoryLayout<Slot>.stride)
      }
    }
  }

  /// Asks for transparent huge pages (`MADV_HUGEPAGE`) over the whole 2 MiB blocks of the
  /// `bytes` from `base` (an array's reserved buffer); nothing when they hold none.
  /// NOTE: a write-back cache (`replay` in memory) touches each page of its slots once, as its
  /// keys come: the deciding thread's page faults under `allocate` went from 3,366 to 885 per
  /// replay of the scaled reference corpus (`perf record -e page-faults`; docs/performance.md,
  /// "s18-agg: the deciding thread (session 18, issue 4)"). Only there: a daemon's cache stays
  /// small, and its resident memory counts (a huge page is resident as a whole).
  private static func adviseHugePages(_ base: UnsafeMutableRawPointer?, bytes: Int) {
    #if canImport(Glibc)
      guard let base else { return }
      let huge = 2 << 20
      let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
      let end = (Int(bitPattern: base) + bytes) & ~(huge - 1)
      guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
      _ = madvise(p, end - start, MADV_HUGEPAGE)
    #endif
  }

  /// The entries reserved at the first growth of the arrays (`reserveRoom`), at most `capacity`.
  static let firstReservation = 4096

  /// Evicts one clean entry not used by the current event (clock order); false when every
  /// entry is dirty or pinned.
  private mutating func evictOne() -> Bool {
    guard !entries.isEmpty else { return false }
    // Two full turns: the first may only clear reference bits.
    for _ in 0..<(2 * entries.count) {
      let e = hand
      hand = hand + 1 == entries.count ? 0 : hand + 1
      guard entries[e].live, entries[e].dirtyCount == 0, entries[e].inFlight == 0,
        entries[e].lastEvent != event
      else { continue }
      if entries[e].referenced {
        entries[e].referenced = false
        continue
      }
      if let text = entries[e].text {
        if entries[e].indexed { strings[text] = nil }
      } else {
        forms[entries[e].storedForm] = nil
      }
      if entries[e].keyID >= 0 {
        entryOfKeyID[entries[e].keyID] = -1
      } else if entries[e].text != nil {
        unlinked -= 1
      }
      if writesBack {
        // The store has none of the entry's changes: they go there before it is read again.
        for a in 0..<aggregateCount where stateSlots[slot(e, a)].changed {
          evicted.append(
            (StateKey(aggregate: readSpecs[a].name, key: form(of: e)), stateSlots[slot(e, a)].stored))
        }
      }
      entries[e] = Entry(form: "", text: nil, referenced: false, live: false)
      for k in slot(e, 0)..<slot(e + 1, 0) { stateSlots[k] = Slot() }
      free.append(e)
      liveCount -= 1
      evictions += 1
      return true
    }
    return false
  }
}
