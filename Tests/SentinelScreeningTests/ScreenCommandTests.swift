// `sentinel screen`: argument validation and the JSON-lines output format.

import Foundation
import SentinelModel
import SentinelScreening
import Testing

@testable import SentinelCommands

@Suite struct ScreenCommandTests {
  static let list: SanctionsList = SanctionsLoader.load(
    main: Array(
      (#"306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. 'BNC'.""#
        + "\r\n"
        + #"7,"SMITH, John",individual,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "#).utf8),
    file: "t.csv"
  ).list

  @Test func jsonLineFormat() throws {
    let screener = Screener(index: ScreeningIndex(list: Self.list))
    let line = ScreenCommand.jsonLine(
      query: "Banco Nacional de Cuba", matches: screener.screen("Banco Nacional de Cuba"))
    #expect(!line.contains("\n"))
    let parsed = try JSONReader.parse(line)
    guard case .map(let m) = parsed, case .list(let matches)? = m[string: "matches"],
      case .map(let first)? = matches.first
    else {
      Issue.record("unexpected shape: \(line)")
      return
    }
    #expect(m[string: "query"].map(JSONWriter.value) == "\"Banco Nacional de Cuba\"")
    #expect(first[string: "id"].map(JSONWriter.value) == "306")
    #expect(first[string: "name"].map(JSONWriter.value) == "\"BANCO NACIONAL DE CUBA\"")
    #expect(first[string: "score"].map(JSONWriter.value) == "1.0")
    #expect(first[string: "matched_kind"].map(JSONWriter.value) == "\"primary\"")
    for key in [
      "matched_name", "query_coverage", "list_coverage", "pairs", "unmatched_query", "unmatched_list",
    ] {
      #expect(first[string: key] != nil, "\(key)")
    }
    let alias = ScreenCommand.jsonLine(query: "BNC", matches: screener.screen("BNC"))
    #expect(alias.contains("\"matched_name\":\"BNC\",\"matched_kind\":\"aka\""))
    let none = ScreenCommand.jsonLine(query: "Nobody \"Quoted\"", matches: screener.screen("Nobody"))
    #expect(none == #"{"query":"Nobody \"Quoted\"","matches":[]}"#)
  }

  @Test func validation() {
    #expect(throws: (any Error).self) { try ScreenCommand.parse(["NAME"]) }
    #expect(throws: (any Error).self) { try ScreenCommand.parse(["--list", "x.csv"]) }
    #expect(throws: (any Error).self) {
      try ScreenCommand.parse(["--list", "x.csv", "--threshold", "1.5", "A"])
    }
    #expect((try? ScreenCommand.parse(["--list", "x.csv", "--json", "A B"])) != nil)
    #expect((try? ScreenCommand.parse(["--benchmark", "b.json"])) != nil)
  }

  @Test func textFormat() {
    let screener = Screener(index: ScreeningIndex(list: Self.list))
    let text = ScreenCommand.textLines(query: "John Smith", matches: screener.screen("John Smith"))
    #expect(text.hasPrefix("John Smith:\n  1.0000  7  SMITH, John"))
    #expect(ScreenCommand.textLines(query: "X", matches: []) == "X: no match")
  }
}
