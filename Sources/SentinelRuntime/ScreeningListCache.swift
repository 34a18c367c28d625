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
  private static let recent = Mutex<[(BundleScreeningList, ScreeningListHandle)]>([])

  /// The handle of `l`: a remembered one when an equal list was loaded recently, else a new one.
  static func handle(_ l: BundleScreeningList) -> ScreeningListHandle {
    if let h = recent.withLock({ r in r.first { $0.0 == l }?.1 }) { return h }
    let h = ScreeningListHandle(name: l.name, threshold: l.threshold, list: sanctionsList(l))
    recent.withLock { r in
      r.append((l, h))
      if r.count > capacity { r.removeFirst() }
    }
    return h
  }

  /// The sanctions list a bundle list holds.
  static func sanctionsList(_ l: BundleScreeningList) -> SanctionsList {
    SanctionsList(
      entries: l.entries.map { e in
        SanctionsEntry(
          id: e.id,
          names: e.names.map { n in
            let kind: NameKind
            switch n.kind {
            case .primary: kind = .primary
            case .aka: kind = .aka
            case .fka: kind = .fka
            case .nka: kind = .nka
            }
            return EntryName(n.text, kind: kind)
          }, type: e.type)
      })
  }
}
