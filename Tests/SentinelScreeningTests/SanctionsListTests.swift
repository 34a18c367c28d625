// The list's flat storage: every entry comes back as it was given, look-ups by id, duplicates,
// and the Codable form.

import Foundation
import SentinelScreening
import Testing

@Suite struct SanctionsListTests {
  static let sample = [
    SanctionsEntry(
      id: 306, names: [EntryName("BANCO NACIONAL DE CUBA", kind: .primary), EntryName("BNC", kind: .aka)],
      programs: ["CUBA"], countries: ["Japan", "Cuba"]),
    SanctionsEntry(
      id: 7,
      names: [
        EntryName("SMITH, John", kind: .primary), EntryName("ABU-'UMAR", kind: .aka),
        EntryName("OLD NAME", kind: .fka),
      ],
      type: "individual", programs: ["SDGT", "IRAN"]),
    SanctionsEntry(
      id: 12, names: [EntryName("CAFÉ 東京 ✓", kind: .primary), EntryName("NEW", kind: .nka)],
      type: "vessel"),
    SanctionsEntry(id: 99, names: [], type: "aircraft"),
  ]

  @Test func entriesComeBackAsGiven() {
    let list = SanctionsList(entries: Self.sample)
    #expect(Array(list.entries) == Self.sample)
    #expect(list.entries.count == 4)
    #expect(list.nameCount == 7)
    #expect(list.entry(id: 12) == Self.sample[2])
    #expect(list.entry(id: 99)?.names == [])
    #expect(list.entry(id: 8) == nil)
    #expect(list.entry(id: -1) == nil)
  }

  @Test func aLaterDuplicateIdIsIgnored() {
    var entries = Self.sample
    entries.insert(SanctionsEntry(id: 7, names: [EntryName("OTHER", kind: .primary)]), at: 2)
    let list = SanctionsList(entries: entries)
    #expect(Array(list.entries) == Self.sample)
    #expect(list.entry(id: 7)?.primaryName == "SMITH, John")
  }

  @Test func emptyList() {
    let list = SanctionsList(entries: [])
    #expect(list.entries.isEmpty)
    #expect(list.nameCount == 0)
    #expect(list.entry(id: 0) == nil)
  }

  @Test func codableRoundTrip() throws {
    let list = SanctionsList(entries: Self.sample)
    let data = try JSONEncoder().encode(list)
    let back = try JSONDecoder().decode(SanctionsList.self, from: data)
    #expect(Array(back.entries) == Self.sample)
    #expect(back.entry(id: 306) == Self.sample[0])
  }

  /// The real list: every entry reads back equal to the loader's, and each is found by its id.
  @Test func theSDNListReadsBack() {
    let list = Fixtures.sdn
    #expect(list.entries.count == 14965)
    let copy = SanctionsList(entries: Array(list.entries))
    #expect(Array(copy.entries) == Array(list.entries))
    for e in list.entries { #expect(list.entry(id: e.id) == e) }
  }
}
