// A loaded sanctions list: entries in file order, addressable by id.
//
// Stored flat: every name's UTF-8 bytes in one buffer with offset tables, ids, kinds and types
// in arrays of their own, ids sorted once for look-ups. A daemon keeps the list as long as its
// bundle (the screening index refers to entries by position). The SDN list loaded from
// `sdn.csv` holds 2.0 MB of heap flat against 4.7 MB as an array of `SanctionsEntry` (an array
// of names and of programs each) with a dictionary of positions (`bash bench/screening-quick.sh`,
// "the list"; docs/performance.md, "Resident memory: a start-up mmap threshold and compact
// lists"). `entries` materializes one entry at a time.

/// An immutable sanctions list.
public struct SanctionsList: Sendable, Codable {
  let storage: SanctionsStorage

  /// Creates a list; a later entry with an id already present is ignored (the loader reports it).
  public init(entries: [SanctionsEntry]) {
    var seen = Set<Int>(minimumCapacity: entries.count)
    var kept: [SanctionsEntry] = []
    kept.reserveCapacity(entries.count)
    for e in entries where seen.insert(e.id).inserted { kept.append(e) }
    storage = SanctionsStorage(kept)
  }

  /// Entries in file order (each materialized on access).
  public var entries: SanctionsEntries { SanctionsEntries(storage: storage) }

  /// The entry with OFAC id `id`, if any.
  public func entry(id: Int) -> SanctionsEntry? {
    storage.position(ofID: id).map { storage.entry(at: $0) }
  }

  /// Number of names (primary names and aliases) over all entries.
  public var nameCount: Int { storage.nameKinds.count }

  enum CodingKeys: String, CodingKey {
    case entries
  }

  /// Decodes a list from its entries (a `positions` key written by earlier versions is ignored:
  /// positions follow from the entries).
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(entries: try c.decode([SanctionsEntry].self, forKey: .entries))
  }

  /// Encodes the list as its entries.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(Array(entries), forKey: .entries)
  }
}

/// The entries of a `SanctionsList`, one `SanctionsEntry` at a time.
public struct SanctionsEntries: RandomAccessCollection, Sendable {
  let storage: SanctionsStorage

  /// 0.
  public var startIndex: Int { 0 }
  /// The number of entries.
  public var endIndex: Int { storage.ids.count }

  /// Entry `i` (file order).
  public subscript(i: Int) -> SanctionsEntry { storage.entry(at: i) }
}

/// The flat tables of a `SanctionsList` (see the file comment). Immutable.
final class SanctionsStorage: Sendable {
  /// Each entry's id, in file order.
  let ids: [Int]
  /// Entry e's names: `nameKinds[nameStart[e]..<nameStart[e + 1]]` (the primary name first).
  let nameStart: [Int32]
  /// Name n's text: `text[textStart[n]..<textStart[n + 1]]`.
  let textStart: [Int32]
  let text: [UInt8]
  let nameKinds: [NameKind]
  /// Each entry's type, as an index into `typeTable` (the distinct types: a handful).
  let typeOf: [UInt16]
  let typeTable: [String]
  /// Entry e's programs: `programs[programStart[e]..<programStart[e + 1]]`; countries likewise.
  let programStart: [Int32]
  let programs: [String]
  let countryStart: [Int32]
  let countries: [String]
  /// Ids with their positions, sorted by id (`position(ofID:)`).
  let byID: [(id: Int, position: Int32)]

  init(_ entries: [SanctionsEntry]) {
    var ids: [Int] = []
    var nameStart: [Int32] = [0]
    var textStart: [Int32] = [0]
    var text: [UInt8] = []
    var kinds: [NameKind] = []
    var typeOf: [UInt16] = []
    var typeTable: [String] = []
    var typeIndex: [String: UInt16] = [:]
    var programStart: [Int32] = [0]
    var programs: [String] = []
    var countryStart: [Int32] = [0]
    var countries: [String] = []
    ids.reserveCapacity(entries.count)
    nameStart.reserveCapacity(entries.count + 1)
    typeOf.reserveCapacity(entries.count)
    programStart.reserveCapacity(entries.count + 1)
    countryStart.reserveCapacity(entries.count + 1)
    for e in entries {
      ids.append(e.id)
      for n in e.names {
        text.append(contentsOf: n.text.utf8)
        textStart.append(Int32(text.count))
        kinds.append(n.kind)
      }
      nameStart.append(Int32(kinds.count))
      if let t = typeIndex[e.type] {
        typeOf.append(t)
      } else {
        let t = UInt16(typeTable.count)
        typeIndex[e.type] = t
        typeTable.append(e.type)
        typeOf.append(t)
      }
      programs += e.programs
      programStart.append(Int32(programs.count))
      countries += e.countries
      countryStart.append(Int32(countries.count))
    }
    self.ids = ids
    self.nameStart = nameStart
    self.textStart = textStart
    self.text = text
    self.nameKinds = kinds
    self.typeOf = typeOf
    self.typeTable = typeTable
    self.programStart = programStart
    self.programs = programs
    self.countryStart = countryStart
    self.countries = countries
    byID = ids.enumerated().map { (id: $0.element, position: Int32($0.offset)) }.sorted { $0.id < $1.id }
  }

  /// The position of the entry with id `id`, if any (binary search).
  func position(ofID id: Int) -> Int? {
    var lo = 0
    var hi = byID.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if byID[mid].id < id { lo = mid + 1 } else { hi = mid }
    }
    return lo < byID.count && byID[lo].id == id ? Int(byID[lo].position) : nil
  }

  /// The text of name `n` (over all entries).
  func nameText(_ n: Int) -> String {
    String(decoding: text[Int(textStart[n])..<Int(textStart[n + 1])], as: UTF8.self)
  }

  /// Entry e's name number `alias` (0: the primary name).
  func name(entry e: Int, alias: Int) -> EntryName {
    let n = Int(nameStart[e]) + alias
    return EntryName(nameText(n), kind: nameKinds[n])
  }

  /// Entry e, materialized.
  func entry(at e: Int) -> SanctionsEntry {
    let names = (Int(nameStart[e])..<Int(nameStart[e + 1])).map {
      EntryName(nameText($0), kind: nameKinds[$0])
    }
    return SanctionsEntry(
      id: ids[e], names: names, type: typeTable[Int(typeOf[e])],
      programs: Array(programs[Int(programStart[e])..<Int(programStart[e + 1])]),
      countries: Array(countries[Int(countryStart[e])..<Int(countryStart[e + 1])]))
  }
}
