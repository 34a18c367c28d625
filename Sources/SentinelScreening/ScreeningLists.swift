// The screening lists a rule set declares, and THE implementation of the `screen(name, list)`
// builtin (SentinelBuiltins' `ScreeningFunction` declares its signature; the rule compiler and
// the bundle loader bind it to these lists).
//
// A list's index is built once, on first use or by `prepare()` (the bundle loader calls it at
// load, so no decision pays for it); it is immutable afterwards and shared by every thread.

import SentinelBuiltins
import SentinelModel
import Synchronization

/// One named screening list: its entries, threshold and (once built) its index.
public final class ScreeningListHandle: Sendable {
  /// The list's name in the rule set.
  public let name: String
  /// Best matches scoring below this read as no match.
  public let threshold: Double
  /// The entries.
  public let list: SanctionsList
  private let built: Mutex<Screener?> = Mutex(nil)

  /// A list; its index is built on first use (or by `prepare`).
  public init(name: String, threshold: Double, list: SanctionsList) {
    self.name = name
    self.threshold = threshold
    self.list = list
  }

  /// The screener over the list's index, building the index the first time.
  public var screener: Screener {
    built.withLock { s in
      if let s { return s }
      let made = Screener(index: ScreeningIndex(list: list), threshold: threshold)
      s = made
      return made
    }
  }

  /// Builds the index now (instead of on the first `screen`).
  public func prepare() { _ = screener }

  /// The best match of `name` at or above the threshold, if any. The last few answers are
  /// remembered: a rule's condition and its reason placeholders screen the same name in a row.
  public func best(_ name: String) -> ScreeningMatch? {
    if let hit = recent.withLock({ r in r.first { $0.query == name } }) { return hit.match }
    let m = screener.screen(name, limit: 1).first
    recent.withLock { r in
      r.append((name, m))
      if r.count > Self.remembered { r.removeFirst() }
    }
    return m
  }

  /// How many recent answers `best` remembers.
  static let remembered = 8
  private let recent = Mutex<[(query: String, match: ScreeningMatch?)]>([])
}

/// The screening lists of one rule set or bundle, by name.
public struct ScreeningLists: Sendable {
  /// The lists by name.
  public let byName: [String: ScreeningListHandle]

  /// A set of lists (a later list with a name already present is ignored).
  public init(_ lists: [ScreeningListHandle] = []) {
    var byName: [String: ScreeningListHandle] = [:]
    for l in lists where byName[l.name] == nil { byName[l.name] = l }
    self.byName = byName
  }

  /// Builds every list's index now.
  public func prepare() {
    for l in byName.values { l.prepare() }
  }

  /// `screen(name, list)`: the best match of `name` in the list named `list`, as a
  /// `screening_match` map — `score` 0.0, `id` 0 and empty names when nothing reaches the list's
  /// threshold; an error value when the bundle has no such list.
  public func screen(_ name: String, _ list: String) -> Value {
    guard let l = byName[list] else {
      return .error(CELError(.invalidArgument, "no screening list `\(list)` in this rule set"))
    }
    guard let m = l.best(name) else {
      return ScreeningFunction.matchValue(score: 0, id: 0, name: "", matchedName: "")
    }
    return ScreeningFunction.matchValue(score: m.score, id: m.id, name: m.name, matchedName: m.matchedName)
  }

  /// The `screen` overload bound to these lists.
  public var overload: Overload {
    let lists = self
    return ScreeningFunction.overload { lists.screen($0, $1) }
  }
}
