// Character-level folding: invisible characters, homoglyphs, Cyrillic transliteration, special
// Latin letters. Diacritics and compatibility forms are handled by NFKD in NameNormalizer (once
// per scalar, remembered in `folded`).

import Foundation
import Synchronization

/// Tables and predicates for folding Unicode text toward upper-case ASCII.
public enum CharacterFolding {
  /// True for characters that render as nothing: format characters (zero-width space, joiners,
  /// word joiner, BOM, soft hyphen, bidi marks), variation selectors and the combining grapheme joiner.
  public static func isInvisible(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B...0x180F, 0x200B...0x200F,
      0x202A...0x202E, 0x2060...0x206F, 0x3164, 0xFE00...0xFE0F, 0xFEFF, 0xFFA0, 0xE0000...0xE007F:
      return true
    default:
      return u.properties.generalCategory == .format
    }
  }

  /// True for Cyrillic and Greek letters, which a word may mix with Latin ones to disguise itself.
  static func isCyrillicOrGreek(_ u: Unicode.Scalar) -> Bool {
    (0x0370...0x03FF).contains(u.value) || (0x0400...0x052F).contains(u.value)
  }

  /// Cyrillic and Greek letters that look like Latin ones (confusables), used inside a word that
  /// also has Latin letters: there the writer meant the Latin look-alike.
  public static let homoglyphs: [Unicode.Scalar: Character] = {
    var t: [Unicode.Scalar: Character] = [:]
    let pairs: [(UInt32, Character)] = [
      // Cyrillic capitals
      (0x0410, "A"), (0x0412, "B"), (0x0415, "E"), (0x041A, "K"), (0x041C, "M"), (0x041D, "H"),
      (0x041E, "O"), (0x0420, "P"), (0x0421, "C"), (0x0422, "T"), (0x0423, "Y"), (0x0425, "X"), (0x0406, "I"),
      (0x0408, "J"), (0x0405, "S"), (0x0401, "E"), (0x051A, "Q"), (0x051C, "W"), (0x04AE, "Y"), (0x04C0, "I"),
      // Cyrillic small
      (0x0430, "a"), (0x0435, "e"), (0x043E, "o"), (0x0440, "p"), (0x0441, "c"), (0x0443, "y"), (0x0445, "x"),
      (0x0456, "i"), (0x0458, "j"), (0x0455, "s"), (0x04BB, "h"), (0x0501, "d"), (0x051B, "q"), (0x051D, "w"),
      (0x0451, "e"), (0x0432, "b"), (0x043A, "k"), (0x043C, "m"), (0x043D, "h"), (0x0442, "t"), (0x044C, "b"),
      // Greek capitals
      (0x0391, "A"), (0x0392, "B"), (0x0395, "E"), (0x0396, "Z"), (0x0397, "H"), (0x0399, "I"), (0x039A, "K"),
      (0x039C, "M"), (0x039D, "N"), (0x039F, "O"), (0x03A1, "P"), (0x03A4, "T"), (0x03A5, "Y"), (0x03A7, "X"),
      // Greek small
      (0x03BF, "o"), (0x03B1, "a"), (0x03BD, "v"), (0x03B9, "i"), (0x03BA, "k"), (0x03C1, "p"), (0x03C5, "u"),
      (0x03C7, "x"), (0x03C4, "t"),
    ]
    for (v, c) in pairs { if let u = Unicode.Scalar(v) { t[u] = c } }
    return t
  }()

  /// Russian/Ukrainian Cyrillic → Latin (a BGN/PCGN-like romanization), for all-Cyrillic words.
  public static let cyrillic: [Unicode.Scalar: String] = {
    let lower = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў"
    let latin = [
      "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
      "u", "f",
      "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "yi", "ye", "g", "u",
    ]
    var t: [Unicode.Scalar: String] = [:]
    for (c, l) in zip(lower.unicodeScalars, latin) {
      t[c] = l
      if let up = c.properties.uppercaseMapping.unicodeScalars.first { t[up] = l }
    }
    return t
  }()

  /// Latin letters that NFKD does not decompose, spelled out.
  public static let specialLatin: [Unicode.Scalar: String] = [
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i", "ħ": "h", "Ħ": "H", "ŋ": "n",
    "ɑ": "a", "ɡ": "g", "ſ": "s", "ƒ": "f",
  ]

  /// Apostrophe-like characters: removed inside words (`SA'ID` → `SAID`, `'ABD` → `ABD`).
  public static func isApostrophe(_ u: Unicode.Scalar) -> Bool {
    switch u.value {
    case 0x27, 0x60, 0xB4, 0x2018, 0x2019, 0x201B, 0x2032, 0x02BC, 0x02BB, 0x02BE, 0x02BF, 0x02B9: return true
    default: return false
    }
  }
}

extension CharacterFolding {
  /// The folding of one non-ASCII scalar as `NameNormalizer.foldDecomposing` gives it (NFKD,
  /// marks dropped, special letters spelled out, upper case), or nil when the scalar's NFKD keeps a
  /// character with a non-zero combining class (its folding may then depend on its neighbours).
  /// Computed once per scalar (up to `foldCacheLimit` scalars are remembered).
  static func folded(_ u: Unicode.Scalar) -> String? {
    if let known = foldCache.table.withLock({ $0[u.value] }) { return known }
    var safe = true
    let decomposed = String(u).decomposedStringWithCompatibilityMapping
    for d in decomposed.unicodeScalars
    where d.properties.generalCategory != .nonspacingMark && d.properties.generalCategory != .enclosingMark
      && d.properties.canonicalCombiningClass != .notReordered
    {
      safe = false
    }
    let f: String? = safe ? NameNormalizer.foldDecomposing(String.UnicodeScalarView([u])) : nil
    foldCache.table.withLock { t in if t.count < foldCacheLimit { t[u.value] = f } }
    return f
  }

  /// How many scalars' foldings `folded` remembers.
  static let foldCacheLimit = 4096

  /// Foldings of the scalars seen so far.
  static let foldCache = FoldCache()
}

/// Remembered scalar foldings (`CharacterFolding.folded`); nil for a scalar that cannot be folded
/// on its own.
final class FoldCache: Sendable {
  let table = Mutex<[UInt32: String?]>([:])
}
