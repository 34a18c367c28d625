// The OFAC loader: the published layout, and bad lines reported precisely without losing the rest.

import SentinelScreening
import Testing

@Suite struct SanctionsLoaderTests {
  static let good =
    #"306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. 'BNC'.""#

  @Test func readsThePublishedLayout() {
    let text =
      Self.good + "\r\n"
      + #"7,"SMITH, John",individual,"SDGT] [IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1960; a.k.a. 'ABU-'UMAR'; f.k.a. 'OLD NAME'.""#
      + "\r\n\u{1A}"
    let r = loadMain(text)
    #expect(r.issues.isEmpty)
    #expect(r.list.entries.count == 2)
    let bnc = r.list.entry(id: 306)
    #expect(
      bnc?.names == [EntryName("BANCO NACIONAL DE CUBA", kind: .primary), EntryName("BNC", kind: .aka)])
    #expect(bnc?.type == "")
    let smith = r.list.entry(id: 7)
    #expect(smith?.programs == ["SDGT", "IRAN"])
    #expect(smith?.type == "individual")
    #expect(smith?.names.map(\.text) == ["SMITH, John", "ABU-'UMAR", "OLD NAME"])
    #expect(smith?.names.map(\.kind) == [.primary, .aka, .fka])
  }

  @Test func reportsBadLinesAndKeepsTheRest() {
    let lines = [
      Self.good,
      #"x12,"BAD ID",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "#,
      #"13,"TOO FEW",-0- ,"CUBA""#,
      #"14,-0- ,-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "#,
      #"306,"DUPLICATE",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "#,
      #"15,"CUT OFF",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. 'FULL'; a.k.a. 'HALF""#,
      #"16,"FINE ENTITY",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "#,
      #"17,"UNTERMINATED,-0- "#,
    ]
    let r = loadMain(lines.joined(separator: "\r\n"))
    #expect(r.list.entries.map(\.id) == [306, 15, 16])
    #expect(r.list.entry(id: 15)?.names.map(\.text) == ["CUT OFF", "FULL"])
    let where_ = r.issues.map { "\($0.file):\($0.line)" }
    #expect(where_ == ["t.csv:8", "t.csv:2", "t.csv:3", "t.csv:4", "t.csv:5", "t.csv:6", "t.csv:8"])
    #expect(r.issues[1].message == "ent_num `x12` is not an integer")
    #expect(r.issues[2].message == "expected 12 fields, found 4")
    #expect(r.issues[3].message == "entry 14 has an empty name")
    #expect(r.issues[4].message.hasPrefix("duplicate ent_num `306`"))
    #expect(r.issues[5].message.contains("remarks end inside an alias"))
    #expect(r.issues[0].message == "unterminated quoted field")
    #expect(r.issues[0].description.hasPrefix("t.csv:8: warning: "))
  }

  @Test func quotedFieldsSpanLinesAndEscapeQuotes() {
    let text =
      "1,\"A \"\"QUOTED\"\"\nNAME\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n"
      + "2,\"NEXT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n"
    let r = loadMain(text)
    #expect(r.issues.isEmpty)
    #expect(r.list.entry(id: 1)?.primaryName == "A \"QUOTED\"\nNAME")
    #expect(r.list.entry(id: 2) != nil)
  }

  @Test func latin1BytesAreRead() {
    var bytes = Array(#"1,"CAF"#.utf8)
    bytes.append(0xC9)  // É in Latin-1, invalid as UTF-8
    bytes += Array(#"",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "#.utf8)
    let r = SanctionsLoader.load(main: bytes, file: "l.csv")
    #expect(r.list.entry(id: 1)?.primaryName == "CAFÉ")
  }

  @Test func aliasAndAddressFiles() {
    let alt =
      "306,1,\"aka\",\"NATIONAL BANK OF CUBA\",-0- \r\n306,2,\"fka\",\"OLD BANK\",-0- \r\n"
      + "999,3,\"aka\",\"ORPHAN\",-0- \r\n306,4,\"aka\"\r\n\u{1A}"
    let add = "306,1,\"Dai-Ichi Bldg\",\"Tokyo\",\"Japan\",-0- \r\n306,2,-0- ,\"Havana\",\"Cuba\",-0- \r\n"
    let r = SanctionsLoader.load(
      main: Array(Self.good.utf8), file: "sdn.csv", alt: (Array(alt.utf8), "alt.csv"),
      add: (Array(add.utf8), "add.csv"))
    #expect(
      r.list.entry(id: 306)?.names.map(\.text) == [
        "BANCO NACIONAL DE CUBA", "BNC", "NATIONAL BANK OF CUBA", "OLD BANK",
      ])
    #expect(r.list.entry(id: 306)?.names.last?.kind == .fka)
    #expect(r.list.entry(id: 306)?.countries == ["Japan", "Cuba"])
    #expect(
      r.issues.map(\.description) == [
        "alt.csv:3: warning: alias for unknown ent_num `999`",
        "alt.csv:4: warning: expected 5 fields, found 3",
      ])
  }

  @Test func theVendoredListLoads() {
    let r = try? SanctionsLoader.load(path: Fixtures.sdnPath)
    #expect(r?.list.entries.count == 14965)
    // Three remarks are cut off inside an alias in OFAC's legacy CSV; nothing else is wrong.
    #expect(r?.issues.count == 3)
    #expect(r?.list.entry(id: 306)?.names.map(\.text) == ["BANCO NACIONAL DE CUBA", "BNC"])
  }
}
