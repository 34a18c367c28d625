// A loaded sanctions list: entries in file order, addressable by id.

/// An immutable sanctions list.
public struct SanctionsList: Sendable, Codable {
  /// Entries in file order.
  public let entries: [SanctionsEntry]
  /// `ent_num` → position in `entries`.
  private let positions: [Int: Int]

  /// Creates a list; a later entry with an id already present is ignored (the loader reports it).
  public init(entries: [SanctionsEntry]) {
    var kept: [SanctionsEntry] = []
    var positions: [Int: Int] = [:]
    for e in entries where positions[e.id] == nil {
      positions[e.id] = kept.count
      kept.append(e)
    }
    self.entries = kept
    self.positions = positions
  }

  /// The entry with OFAC id `id`, if any.
  public func entry(id: Int) -> SanctionsEntry? {
    positions[id].map { entries[$0] }
  }

  /// Number of names (primary names and aliases) over all entries.
  public var nameCount: Int { entries.reduce(0) { $0 + $1.names.count } }
}
