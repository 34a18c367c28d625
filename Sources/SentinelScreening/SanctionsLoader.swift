// Reads OFAC's files as published into a SanctionsList, reporting bad lines and keeping the rest.
//
//   sdn.csv  ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
//            Vess_flag, Vess_owner, Remarks          (aliases: `a.k.a. 'NAME'` in Remarks)
//   alt.csv  ent_num, alt_num, alt_type, alt_name, alt_remarks
//   add.csv  ent_num, add_num, address, city/state/postal, country, add_remarks

import Foundation

/// The result of loading: the list and every problem found on the way.
public struct LoadedList: Sendable {
  /// The entries that could be read.
  public var list: SanctionsList
  /// Bad lines, in file order.
  public var issues: [LoadIssue]
}

/// Loads OFAC's SDN files (and files in the same layouts, e.g. the consolidated list).
public enum SanctionsLoader {
  /// Column count of the main (`sdn.csv` / `cons_prim.csv`) layout.
  public static let mainColumns = 12

  /// Reads the files at the given paths; `alt` and `add` are optional companions.
  public static func load(path: String, alt: String? = nil, add: String? = nil) throws -> LoadedList {
    let main = try readBytes(path)
    let altBytes = try alt.map(readBytes)
    let addBytes = try add.map(readBytes)
    return load(
      main: main, file: path, alt: altBytes.map { ($0, alt ?? "") }, add: addBytes.map { ($0, add ?? "") })
  }

  /// Reads the contents of a main file and optional `(bytes, file name)` companions.
  public static func load(
    main: [UInt8], file: String, alt: ([UInt8], String)? = nil, add: ([UInt8], String)? = nil
  ) -> LoadedList {
    var issues: [LoadIssue] = []
    var entries: [SanctionsEntry] = []
    var position: [Int: Int] = [:]
    let (records, csvIssues) = OFACCSV.records(main, file: file)
    issues += csvIssues
    for r in records {
      func bad(_ m: String) { issues.append(LoadIssue(file: file, line: r.line, message: m)) }
      guard r.fields.count == mainColumns else {
        bad("expected \(mainColumns) fields, found \(r.fields.count)")
        continue
      }
      guard let id = Int(r.fields[0].trimmingSpaces) else {
        bad("ent_num `\(r.fields[0])` is not an integer")
        continue
      }
      let name = r.fields[1].trimmingSpaces
      guard !name.isEmpty else {
        bad("entry \(id) has an empty name")
        continue
      }
      guard position[id] == nil else {
        bad("duplicate ent_num `\(id)`; the first entry is kept")
        continue
      }
      var names = [EntryName(name, kind: .primary)]
      let (aliases, aliasProblem) = remarkAliases(r.fields[11])
      if let p = aliasProblem { bad("entry \(id): \(p)") }
      for a in aliases where !names.contains(a) { names.append(a) }
      let programs = r.fields[3].split(separator: "] [").map {
        $0.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
      }.filter { !$0.isEmpty }
      position[id] = entries.count
      entries.append(
        SanctionsEntry(id: id, names: names, type: r.fields[2].trimmingSpaces, programs: programs))
    }
    if let (bytes, altFile) = alt {
      let (altRecords, altIssues) = OFACCSV.records(bytes, file: altFile)
      issues += altIssues
      for r in altRecords {
        func bad(_ m: String) { issues.append(LoadIssue(file: altFile, line: r.line, message: m)) }
        guard r.fields.count == 5 else {
          bad("expected 5 fields, found \(r.fields.count)")
          continue
        }
        guard let id = Int(r.fields[0].trimmingSpaces) else {
          bad("ent_num `\(r.fields[0])` is not an integer")
          continue
        }
        guard let p = position[id] else {
          bad("alias for unknown ent_num `\(id)`")
          continue
        }
        let text = r.fields[3].trimmingSpaces
        guard !text.isEmpty else {
          bad("entry \(id): empty alias")
          continue
        }
        let kind: NameKind
        switch r.fields[2].trimmingSpaces.lowercased() {
        case "fka": kind = .fka
        case "nka": kind = .nka
        default: kind = .aka
        }
        let n = EntryName(text, kind: kind)
        if !entries[p].names.contains(n) { entries[p].names.append(n) }
      }
    }
    if let (bytes, addFile) = add {
      let (addRecords, addIssues) = OFACCSV.records(bytes, file: addFile)
      issues += addIssues
      for r in addRecords {
        func bad(_ m: String) { issues.append(LoadIssue(file: addFile, line: r.line, message: m)) }
        guard r.fields.count == 6 else {
          bad("expected 6 fields, found \(r.fields.count)")
          continue
        }
        guard let id = Int(r.fields[0].trimmingSpaces), let p = position[id] else {
          bad("address for unknown ent_num `\(r.fields[0])`")
          continue
        }
        let country = r.fields[4].trimmingSpaces
        if !country.isEmpty, !entries[p].countries.contains(country) { entries[p].countries.append(country) }
      }
    }
    return LoadedList(list: SanctionsList(entries: entries), issues: issues)
  }

  /// Aliases written in OFAC remarks: `a.k.a. 'NAME'; f.k.a. 'OTHER'.`. A name may hold an
  /// apostrophe (`'ABU-'UMAR'`): it closes only before `;`, `,`, a final `.`, or the end.
  static func remarkAliases(_ remarks: String) -> ([EntryName], String?) {
    var out: [EntryName] = []
    let s = Array(remarks.utf8)
    let quote = UInt8(ascii: "'")
    var i = 0
    while i + 6 <= s.count {
      // `?.k.a.` with ? one of a, f, n
      let kind: NameKind?
      if s[i + 1] == UInt8(ascii: "."), s[i + 2] == UInt8(ascii: "k"), s[i + 3] == UInt8(ascii: "."),
        s[i + 4] == UInt8(ascii: "a"), s[i + 5] == UInt8(ascii: ".")
      {
        switch s[i] {
        case UInt8(ascii: "a"): kind = .aka
        case UInt8(ascii: "f"): kind = .fka
        case UInt8(ascii: "n"): kind = .nka
        default: kind = nil
        }
      } else {
        kind = nil
      }
      guard let kind else {
        i += 1
        continue
      }
      var j = i + 6
      while j < s.count, s[j] == 32 { j += 1 }
      guard j < s.count, s[j] == quote else {
        i = j
        continue
      }
      let start = j + 1
      var end: Int?
      var k = start
      while k < s.count {
        if s[k] == quote {
          let next = k + 1 < s.count ? s[k + 1] : 32
          let afterNext = k + 2 < s.count ? s[k + 2] : 32
          if k + 1 == s.count || next == UInt8(ascii: ";") || next == UInt8(ascii: ",")
            || (next == UInt8(ascii: ".") && afterNext == 32)
          {
            end = k
            break
          }
        }
        k += 1
      }
      guard let e = end else {
        let partial = String(decoding: s[i..<s.count], as: UTF8.self)
        return (out, "remarks end inside an alias (`\(partial)`: cut off); the alias is skipped")
      }
      let text = String(decoding: s[start..<e], as: UTF8.self).trimmingSpaces
      if !text.isEmpty { out.append(EntryName(text, kind: kind)) }
      i = e + 1
    }
    return (out, nil)
  }

  static func readBytes(_ path: String) throws -> [UInt8] {
    guard let d = FileManager.default.contents(atPath: path) else {
      throw ScreeningError.unreadable(path)
    }
    return [UInt8](d)
  }
}
