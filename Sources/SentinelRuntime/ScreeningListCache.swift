// Screening lists from bundles, as SentinelScreening handles. Loading the same list again (a
// daemon reloading a bundle whose lists did not change, tests loading one rule set many times)
// reuses the handle and so its index: building the index of the full SDN list costs far more
// than comparing two lists.

import SentinelBytecode
import SentinelScreening
import Synchronization

/// Converts bundle screening lists to handles, remembering the last few.
enum ScreeningListCache {
  /// How many distinct lists are remembered (the oldest is forgotten first).
  static let capacity = 4
  // NOTE: the handles only, not the bundle lists they were made from: a handle's list holds the
  // same entries (compared with `holds`), and the bundle's copy kept beside it is memory a daemon
  // holds for nothing (the lists kept once and flat took 6.1 MB off the idle daemon's RSS
  // compiling `rules/` at start: docs/performance.md, "Resident memory: a start-up mmap threshold and
  // compact lists", measured with `bench/idle_rss.sh`).
  private static let recent = Mutex<[ScreeningListHandle]>([])

  /// The handle of `l`: a remembered one when an equal list was loaded recently, else a new one.
  static func handle(_ l: BundleScreeningList) -> ScreeningListHandle {
    if let h = recent.withLock({ r in r.first { holds($0, l) } }) { return h }
    let h = ScreeningListHandle(name: l.name, threshold: l.threshold, list: sanctionsList(l))
    recent.withLock { r in
      r.append(h)
      if r.count > capacity { r.removeFirst() }
    }
    return h
  }

  /// Whether `h` was made from a list equal to `l`: the same name, threshold and entries (ids,
  /// types, names and their kinds, in order).
  static func holds(_ h: ScreeningListHandle, _ l: BundleScreeningList) -> Bool {
    guard h.name == l.name, h.threshold == l.threshold, h.list.entries.count == l.entries.count else {
      return false
    }
    for (a, b) in zip(h.list.entries, l.entries) {
      guard a.id == b.id, a.type == b.type, a.names.count == b.names.count else { return false }
      for (x, y) in zip(a.names, b.names) where x.text != y.text || kind(y.kind) != x.kind { return false }
    }
    return true
  }

  /// The screening library's kind of a bundle name kind.
  static func kind(_ k: BundleScreeningList.NameKind) -> NameKind {
    switch k {
    case .primary: return .primary
    case .aka: return .aka
    case .fka: return .fka
    case .nka: return .nka
    }
  }

  /// The sanctions list a bundle list holds.
  static func sanctionsList(_ l: BundleScreeningList) -> SanctionsList {
    SanctionsList(
      entries: l.entries.map { e in
        SanctionsEntry(
          id: e.id,
          names: e.names.map { EntryName($0.text, kind: kind($0.kind)) }, type: e.type)
      })
  }
}
