// A screening list as a bundle carries it (section 9): the entries and names of a sanctions list,
// as published; the runtime builds its index from them at load (SentinelScreening).

/// A sanctions list declared as a screening list in a rule set (`format screening`).
public struct BundleScreeningList: Sendable, Hashable {
  /// How a name of an entry was published.
  public enum NameKind: UInt8, Sendable, Hashable, CaseIterable {
    /// The entry's primary name.
    case primary = 0
    /// An alias (`a.k.a.`).
    case aka = 1
    /// A former name (`f.k.a.`).
    case fka = 2
    /// A new name (`n.k.a.`).
    case nka = 3
  }

  /// A name of an entry.
  public struct Name: Sendable, Hashable {
    /// The name as published.
    public var text: String
    /// Primary name or which kind of alias.
    public var kind: NameKind
    /// A name.
    public init(_ text: String, kind: NameKind) {
      self.text = text
      self.kind = kind
    }
  }

  /// An entry: OFAC's `ent_num`, its type and its names (the primary name first).
  public struct Entry: Sendable, Hashable {
    /// The entry's id (`ent_num`), unique in the list.
    public var id: Int
    /// `individual`, `vessel`, `aircraft`, or empty.
    public var type: String
    /// The names, the primary name first.
    public var names: [Name]
    /// An entry.
    public init(id: Int, type: String, names: [Name]) {
      self.id = id
      self.type = type
      self.names = names
    }
  }

  /// The list's name in the rule set (`sdn`); `screen(x, sdn)` passes it as the list's handle.
  public var name: String
  /// Matches scoring below this are reported as no match (score 0).
  public var threshold: Double
  /// The entries, in file order.
  public var entries: [Entry]

  /// A screening list.
  public init(name: String, threshold: Double, entries: [Entry]) {
    self.name = name
    self.threshold = threshold
    self.entries = entries
  }
}
