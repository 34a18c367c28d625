// `screen(name, list)` in rules: screening lists declared from OFAC files, type-checked, carried in
// the bundle, verified, run by the VM and by the reference evaluator with the same result.

import Foundation
import SentinelBytecode
import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime
import SentinelScreening
import SentinelSyntax
import Testing

/// A small list in OFAC's `sdn.csv` layout, written next to the rule file that declares it.
let smallSDN = """
  306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. 'BNC'."\r
  10359,"ZAMBADA NIEBLA, Maria Teresa","individual","SDNTK",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r
  4001,"OCEANIC SHIPPING TRADERS LLC",-0- ,"IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r

  """

/// Compiles `rules` as `dir/test.rules` with `smallSDN` at `dir/sdn.csv`.
func compileWithList(_ rules: String) throws -> (RuleSetCompilation?, [SourcedDiagnostic]) {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("screening-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  try smallSDN.write(to: dir.appendingPathComponent("sdn.csv"), atomically: true, encoding: .utf8)
  return compileDSL(rules, name: dir.appendingPathComponent("test.rules").path)
}

let screeningRule = """
  list sdn from "sdn.csv" format screening
  rule sanctioned_beneficiary {
    when: has(event.beneficiary_name) && screen(event.beneficiary_name, sdn).score >= 0.9
    action: review
    score: 80
  }
  rule matched_entity {
    when: has(event.beneficiary_name) && screen(event.beneficiary_name, sdn).id == 306
      && screen(event.beneficiary_name, sdn).name == "BANCO NACIONAL DE CUBA"
    score: 1
  }
  """

@Suite struct ScreeningRuleTests {
  @Test func decidesWithTheBundledList() throws {
    let (c, diagnostics) = try compileWithList(screeningRule)
    let compilation = try #require(c, "\(diagnostics)")
    #expect(compilation.bundle.screeningLists.map(\.name) == ["sdn"])
    #expect(compilation.bundle.screeningLists.first?.entries.map(\.id) == [306, 10359, 4001])
    let bytes = try compilation.bundle.encoded(signedWith: nil)
    let loaded = try BundleLoader().load(bytes)
    // The loaded bundle keeps each list's name and threshold; the entries live in its handle.
    let compiled = try #require(compilation.bundle.screeningLists.first)
    #expect(loaded.bundle.screeningLists.map(\.name) == ["sdn"])
    #expect(loaded.bundle.screeningLists.allSatisfy { $0.entries.isEmpty })
    let handle = try #require(loaded.screening.byName["sdn"])
    #expect(handle.threshold == compiled.threshold)
    #expect(handle.list.entries.map(\.id) == compiled.entries.map(\.id))
    #expect(handle.list.entries.map { $0.names.map(\.text) } == compiled.entries.map { $0.names.map(\.text) })
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    let decoder = EventDecoder(
      schema: loaded.bundle.schema, slotOrder: loaded.bundle.program.variables.map(\.name))
    func decide(_ name: String?) throws -> String {
      let field = name.map { ",\"beneficiary_name\":\(JSONWriter.quote($0))" } ?? ""
      let json =
        #"{"event_id":"e","type":"transaction","ts":"2026-11-25T10:00:00Z","user_id":"u","amount":5"#
        + field + "}"
      let e = try decoder.decode(json)
      return engine.decide(eventID: e.eventID, slots: e.slots).jsonLine
    }
    let both =
      #"{"event_id":"e","action":"review","score":81,"rules":["matched_entity","sanctioned_beneficiary"]}"#
    let review = #"{"event_id":"e","action":"review","score":80,"rules":["sanctioned_beneficiary"]}"#
    let none = #"{"event_id":"e","action":"allow","score":0,"rules":[]}"#
    #expect(try decide("Banco Nacional de Cuba") == both)
    #expect(try decide("BNC") == both)  // an alias from the remarks
    #expect(try decide("Maria Teresa ZAM8ADA NIEBLA") == review)
    #expect(try decide("Oceanic Shiping Traders") == review)
    #expect(try decide("Joanna Whitfield") == none)
    #expect(try decide("") == none)
    #expect(try decide(nil) == none)
  }

  @Test func referenceEvaluatorAgreesWithTheVM() throws {
    let (c, diagnostics) = try compileWithList(screeningRule)
    let compilation = try #require(c, "\(diagnostics)")
    let loaded = try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    for name in ["Banco Nacional de Cuba", "ZAMBADA, Maria", "Oceanic Traders", "nobody at all", "BNC"] {
      let slots: [String: Value] = [
        "event.event_id": .string("e"), "event.type": .string("transaction"),
        "event.user_id": .string("u"), "event.beneficiary_name": .string(name),
      ]
      let reference = Explainer.explain(compilation, event: slots).map(\.matched)
      let vm = engine.evaluate(loaded.program.variables(from: slots)).map { v -> Bool in
        if case .bool(true) = v { return true }
        return false
      }
      #expect(reference == vm, "\(name)")
    }
  }

  /// Each (rules, expected code): wrong argument types, unknown fields, misuse of the list.
  static let diagnosticCases: [(String, String)] = [
    ("rule r { when: has(event.amount) && screen(event.amount, sdn).score > 0.9\n score: 1 }", "E0102"),
    (
      "rule r { when: has(event.beneficiary_name) && screen(event.beneficiary_name, \"sdn\").score > 0.9\n score: 1 }",
      "E0102"
    ),
    (
      "rule r { when: has(event.beneficiary_name) && screen(event.beneficiary_name, sdn).scroe > 0.9\n score: 1 }",
      "E0106"
    ),
    ("rule r { when: screen(event.user_id, sdn)\n score: 1 }", "E0407"),
    ("rule r { when: has(event.beneficiary_name) && event.beneficiary_name in sdn\n score: 1 }", "E0102"),
    ("rule r { when: screen(event.user_id, sdn).score > \"x\"\n score: 1 }", "E0102"),
  ]

  @Test(arguments: 0..<diagnosticCases.count)
  func reportsTypeErrors(_ index: Int) throws {
    let (text, code) = Self.diagnosticCases[index]
    let (c, diagnostics) = try compileWithList("list sdn from \"sdn.csv\" format screening\n" + text)
    #expect(c == nil)
    #expect(diagnostics.contains { $0.diagnostic.code == code }, "\(diagnostics.map(\.diagnostic.code))")
  }

  @Test func listDeclarationErrors() throws {
    let rule =
      "\nrule r { when: has(event.beneficiary_name) && screen(event.beneficiary_name, sdn).score > 0.9\n score: 1 }"
    let (_, missing) = try compileWithList("list sdn from \"missing.csv\" format screening" + rule)
    #expect(missing.contains { $0.diagnostic.code == RuleCode.unreadableList })
    let (_, typed) = try compileWithList("list sdn: string from \"sdn.csv\" format screening" + rule)
    #expect(typed.contains { $0.diagnostic.code == RuleCode.invalidList })
  }

  @Test func loaderRefusesAScreenCallWithoutLists() throws {
    let (c, diagnostics) = try compileWithList(screeningRule)
    var bundle = try #require(c, "\(diagnostics)").bundle
    bundle.screeningLists = []
    #expect(throws: BundleLoadError.self) { try BundleLoader().load(try bundle.encoded(signedWith: nil)) }
  }

  /// Loading an equal list again reuses its handle (and so its index); a list that differs in
  /// any entry, name, kind, type or threshold gets a handle of its own.
  @Test func equalListsShareAHandle() throws {
    let (c, diagnostics) = try compileWithList(screeningRule)
    var bundle = try #require(c, "\(diagnostics)").bundle
    let first = try BundleLoader().load(try bundle.encoded(signedWith: nil))
    let again = try BundleLoader().load(try bundle.encoded(signedWith: nil))
    #expect(first.screening.byName["sdn"] === again.screening.byName["sdn"])
    let good = try #require(bundle.screeningLists.first)
    var renamed = good
    renamed.entries[0].names[0].text += " X"
    var rekinded = good
    rekinded.entries[0].names[0].kind = .aka
    var retyped = good
    retyped.entries[0].type = "vessel"
    var rethresholded = good
    rethresholded.threshold = good.threshold == 0.5 ? 0.6 : 0.5
    var shorter = good
    shorter.entries.removeLast()
    for changed in [renamed, rekinded, retyped, rethresholded, shorter] {
      bundle.screeningLists = [changed]
      let other = try BundleLoader().load(try bundle.encoded(signedWith: nil))
      let handle = try #require(other.screening.byName["sdn"])
      #expect(handle !== first.screening.byName["sdn"])
      #expect(handle.list.entries.map(\.id) == changed.entries.map(\.id))
      #expect(handle.threshold == changed.threshold)
    }
  }

  @Test func decoderRefusesMalformedLists() throws {
    let (c, diagnostics) = try compileWithList(screeningRule)
    var bundle = try #require(c, "\(diagnostics)").bundle
    let good = try #require(bundle.screeningLists.first)
    var duplicate = good
    duplicate.entries.append(good.entries[0])
    var nameless = good
    nameless.entries[0].names = []
    var badThreshold = good
    badThreshold.threshold = .nan
    for bad in [[duplicate], [good, good], [nameless], [badThreshold]] {
      bundle.screeningLists = bad
      let bytes = try bundle.encoded(signedWith: nil)
      #expect(throws: BundleLoadError.self) { try BundleLoader().load(bytes) }
    }
  }

  @Test func reasonsInterpolateTheMatch() throws {
    let (c, diagnostics) = try compileWithList(
      """
      list sdn from "sdn.csv" format screening
      rule hit {
        when: has(event.beneficiary_name) && screen(event.beneficiary_name, sdn).score >= 0.9
        score: 80
        reason: "matches {screen(event.beneficiary_name, sdn).id} {{{screen(event.beneficiary_name, sdn).matched_name}}}"
      }
      rule plain { when: has(event.beneficiary_name)
        score: 1
        name: "no {placeholders} here" }
      """)
    let compilation = try #require(c, "\(diagnostics)")
    #expect(compilation.bundle.program.ruleCount == 4)
    let loaded = try BundleLoader().load(try compilation.bundle.encoded(signedWith: nil))
    let engine = DecisionEngine(
      program: loaded.program, rules: loaded.bundle.rules, policy: loaded.bundle.policy)
    let slots: [String: Value] = [
      "event.event_id": .string("e"), "event.type": .string("transaction"), "event.user_id": .string("u"),
      "event.beneficiary_name": .string("BNC"),
    ]
    let d = engine.decide(eventID: "e", slots: loaded.program.variables(from: slots))
    #expect(d.matched.map(\.reason) == ["matches 306 {BNC}", "no {placeholders} here"])
  }

  @Test func reasonPlaceholdersAreChecked() throws {
    let (_, malformed) = try compileWithList("rule r { when: true\n score: 1\n reason: \"a {b\" }")
    #expect(malformed.contains { $0.diagnostic.code == RuleCode.invalidReason })
    let (_, unknown) = try compileWithList("rule r { when: true\n score: 1\n reason: \"a {event.nope}\" }")
    #expect(unknown.contains { $0.diagnostic.code == "E0101" })
  }

  @Test func yamlDeclaresScreeningLists() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("screening-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try smallSDN.write(to: dir.appendingPathComponent("sdn.csv"), atomically: true, encoding: .utf8)
    let parsed = parseYAML(
      """
      lists:
        sdn: {file: sdn.csv, format: screening}
      rules:
        - id: hit
          when: has(event.beneficiary_name) && screen(event.beneficiary_name, sdn).score >= 0.9
          score: 80
      """, name: dir.appendingPathComponent("rules.yaml").path)
    let file = try #require(parsed.file, "\(parsed.rendered)")
    let (c, diagnostics) = RuleCompiler.compile([file])
    let compilation = try #require(c, "\(diagnostics)")
    #expect(compilation.bundle.screeningLists.first?.entries.count == 3)
  }
}
