// Words that carry little identity in a name: honorifics, legal forms, particles, Arabic articles.
// Matching keeps them (they still count, lightly) rather than deleting them, so that removing a
// word never makes two different names equal. Spelled as they are after normalization
// (upper case, dots of abbreviations joined: `S.A.` → `SA`).

/// What a token is, for weighting.
public enum TokenRole: UInt8, Sendable, Hashable, Codable {
  /// An ordinary name word.
  case name
  /// A single letter, usually an initial.
  case initial
  /// A particle or connective: `DE`, `DEL`, `VAN`, `Y`, `AND`, `OF`.
  case particle
  /// A title or honorific: `MR`, `DR`, `SHEIKH`, `JR`.
  case honorific
  /// A legal-form word: `LTD`, `SA`, `LLC`, `GMBH`.
  case legalForm

  /// The weight of the role relative to an ordinary name word.
  public var weight: Double {
    switch self {
    case .name: return 1
    case .initial: return 0.35
    case .particle: return 0.12
    case .honorific: return 0.05
    case .legalForm: return 0.12
    }
  }
}

/// The word lists used to assign roles.
public enum NameLexicon {
  /// Titles, honorifics and generational suffixes.
  public static let honorifics: Set<String> = [
    "MR", "MRS", "MS", "MISS", "MX", "DR", "PROF", "PROFESSOR", "SIR", "DAME", "LORD", "LADY", "HON",
    "REV", "FR", "SR", "SRA", "SRTA", "JR", "JNR", "SNR", "II", "III", "IV", "ESQ", "ENG", "ENGR",
    "COL", "GEN", "LT", "CAPT", "CAPTAIN", "MAJ", "SGT", "CMDR", "ADM", "SHEIKH", "SHEIK",
    "SHAIKH", "SHAYKH", "SAYYID", "SAYED", "SAYYED", "SYED", "HAJI", "HAJJI", "HADJI", "MULLAH", "MULLA",
    "MAULANA", "MAWLAWI", "MAULAVI", "IMAM", "DONA", "HERR", "FRAU", "MME", "MLLE",
    "MONSIEUR", "MADAME", "GOSPODIN", "HRH", "PHD",
  ]

  /// Legal-form words and abbreviations (dots removed).
  public static let legalForms: Set<String> = [
    "LTD", "LTDA", "LIMITED", "LLC", "LLP", "LP", "PLC", "INC", "INCORPORATED", "CORP", "CO", "CIA", "CIE",
    "SA", "SAS", "SAC", "SACI", "SAU", "SL", "SLU", "SRL", "SARL", "SPA", "SAPI", "CV", "RL", "SCS", "CS",
    "SC", "SNC", "EU", "EIRL", "GMBH", "AG", "KG", "OHG", "UG", "BV", "NV", "VOF", "AB", "OY", "OYJ", "ASA",
    "JSC", "OJSC", "CJSC", "PJSC", "PAO", "OAO", "ZAO", "OOO", "TOO", "AO", "FZE", "FZCO", "FZC", "FZLLC",
    "DMCC", "WLL", "SAL", "SAOG", "PTE", "PVT", "PTY", "BHD", "SDN", "KFT", "ZRT", "DOO", "EOOD", "OOD",
    "SRO", "SPZOO", "ZOO", "SCA", "KK", "GK", "YK", "TBK", "PT", "CVBA",
    "SPRL", "BVBA", "EST",
  ]

  /// Particles and connectives that stay separate words.
  public static let particles: Set<String> = [
    "DE", "DEL", "DELA", "DELLA", "DELLE", "DEI", "DES", "DU", "DA", "DAS", "DO", "DOS", "DI", "LA", "LE",
    "LES", "LOS", "LAS", "Y", "VAN", "VON", "DER", "DEN", "TER", "TEN", "ZU", "AND", "OF", "THE",
    "FOR", "IN", "ET", "EN", "UND",
  ]

  /// Arabic definite articles joined to the next word (`AL-SALAH`, `AL SALAH` → `ALSALAH`).
  public static let articles: Set<String> = ["AL", "EL", "UL"]

  /// The three lists in one table (one hash of the word instead of three), a word in several
  /// taking the first role of: honorific, legal form, particle.
  static let listedRoles: [String: TokenRole] = {
    var t: [String: TokenRole] = [:]
    for w in particles { t[w] = .particle }
    for w in legalForms { t[w] = .legalForm }
    for w in honorifics { t[w] = .honorific }
    return t
  }()

  /// The role of a normalized word.
  public static func role(of word: String) -> TokenRole {
    if let listed = listedRoles[word] { return listed }
    if word.utf8.count == 1 { return word.utf8.first.map { $0 >= 65 && $0 <= 90 } == true ? .initial : .name }
    return .name
  }
}
