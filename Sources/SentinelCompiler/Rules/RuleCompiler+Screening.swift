// Screening lists: `list sdn from "sdn.csv" format screening` loads OFAC's SDN layout (names and
// aliases) at compile time; the list's value is its handle (its name) and its type the opaque
// `screening_list`, which only `screen(name, list)` accepts. The entries travel in the bundle
// (section 9); the runtime builds the index at load (docs/screening.md, "In rules").

import Foundation
import SentinelBuiltins
import SentinelBytecode
import SentinelModel
import SentinelScreening
import SentinelSyntax

extension RuleCompilerRun {
  /// The list format that declares a screening list.
  static let screeningFormat = "screening"

  /// Loads a screening list; nil (with a diagnostic) when its file cannot be read or is empty.
  mutating func compileScreeningList(_ l: ListDecl, path: Located<String>, file: Int) -> (Value, CELType)? {
    if let t = l.elementType {
      error(
        file, RuleCode.invalidList, "a screening list has no element type", t.span,
        help: "write `list \(l.name.value) from \"…\" format screening`")
      return nil
    }
    let base = URL(fileURLWithPath: files[file].source.name).deletingLastPathComponent()
    let url =
      path.value.hasPrefix("/") ? URL(fileURLWithPath: path.value) : base.appendingPathComponent(path.value)
    let loaded: LoadedList
    do {
      loaded = try SanctionsLoader.load(path: url.path)
    } catch {
      self.error(
        file, RuleCode.unreadableList, "cannot read screening list file `\(path.value)`: \(error)", path.span,
        help: "paths are relative to the file that declares the list")
      return nil
    }
    guard !loaded.list.entries.isEmpty else {
      error(file, RuleCode.invalidList, "screening list file `\(path.value)` has no entries", path.span)
      return nil
    }
    screeningLists.append(
      ScreeningListHandle(name: l.name.value, threshold: defaultScreeningThreshold, list: loaded.list))
    return (.string(l.name.value), ScreeningFunction.listType)
  }

  /// A screening list as the bundle carries it.
  static func bundleList(_ h: ScreeningListHandle) -> BundleScreeningList {
    BundleScreeningList(
      name: h.name, threshold: h.threshold,
      entries: h.list.entries.map { e in
        BundleScreeningList.Entry(
          id: e.id, type: e.type,
          names: e.names.map { n in
            let kind: BundleScreeningList.NameKind
            switch n.kind {
            case .primary: kind = .primary
            case .aka: kind = .aka
            case .fka: kind = .fka
            case .nka: kind = .nka
            }
            return BundleScreeningList.Name(n.text, kind: kind)
          })
      })
  }
}
