// One entry of a sanctions list and the names it is known by.

/// How a name of an entry was published.
public enum NameKind: String, Sendable, Hashable, Codable {
  /// The entry's primary name (`SDN_Name`).
  case primary
  /// An alias: `a.k.a.` in OFAC's remarks, `aka` in `alt.csv`.
  case aka
  /// A former name: `f.k.a.`.
  case fka
  /// A new name: `n.k.a.`.
  case nka
}

/// A name of an entry, as published.
public struct EntryName: Sendable, Hashable, Codable {
  /// The name as written in the list.
  public var text: String
  /// Primary name or which kind of alias.
  public var kind: NameKind

  /// Creates a name.
  public init(_ text: String, kind: NameKind) {
    self.text = text
    self.kind = kind
  }
}

/// An entry of a sanctions list: an individual, entity, vessel or aircraft.
public struct SanctionsEntry: Sendable, Hashable, Codable {
  /// OFAC's `ent_num` (unique within a list).
  public var id: Int
  /// The primary name first, then aliases in publication order.
  public var names: [EntryName]
  /// `individual`, `vessel`, `aircraft`, or empty for entities (OFAC writes `-0-`).
  public var type: String
  /// Sanctions programs (e.g. `SDGT`, `IRAN`).
  public var programs: [String]
  /// Countries from the address file, when one was loaded.
  public var countries: [String]

  /// Creates an entry.
  public init(
    id: Int, names: [EntryName], type: String = "", programs: [String] = [], countries: [String] = []
  ) {
    self.id = id
    self.names = names
    self.type = type
    self.programs = programs
    self.countries = countries
  }

  /// The primary name (the first name).
  public var primaryName: String { names.first?.text ?? "" }
}
