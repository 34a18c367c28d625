// Checking one fixture folder: its events replayed from empty state, each output line compared
// with the expected one, and each mismatch explained — for every rule whose match differs, its
// condition tree with values, evaluated by the reference evaluator on the bindings the processor
// had right after that line (event fields and aggregate readings).

import SentinelCompiler
import SentinelModel
import SentinelReference
import SentinelRuntime

/// A rule whose match differs between the expected and the actual line.
public struct RuleDifference: Sendable {
  /// The rule id.
  public var ruleID: String
  /// Whether the expected line lists it.
  public var expectedMatch: Bool
  /// Whether the actual line lists it.
  public var actualMatch: Bool
  /// Its condition with the value of each part; nil when unavailable (a `.sbc` bundle, or no
  /// rule of that id in the rule set).
  public var condition: ConditionExplanation?
  /// The event fields and aggregate readings the condition mentions, by name (sorted).
  public var reads: [(name: String, value: Value)] = []
}

/// One line whose actual output is not the expected one.
public struct Mismatch: Sendable {
  /// The 1-based line number in `decisions.jsonl` (the n-th output line).
  public var line: Int
  /// The 1-based line number of the event in `events.jsonl`.
  public var eventLine: Int
  /// The event line.
  public var event: String
  /// The expected line, as written.
  public var expected: String
  /// The actual line.
  public var actual: String
  /// The rules whose match differs, explained.
  public var rules: [RuleDifference]
  /// Notes: what else differs (action, score, error vs decision, a duplicate…).
  public var notes: [String]
}

/// The outcome of one fixture folder.
public struct FixtureResult: Sendable {
  /// The folder.
  public var fixture: FixtureFolder
  /// The number of output lines compared.
  public var lines: Int = 0
  /// Lines equal to the expected ones.
  public var passed: Int = 0
  /// Lines that differ.
  public var mismatches: [Mismatch] = []
  /// What kept the fixture from being checked (missing files, malformed expected lines, unequal
  /// line counts, rules that do not compile); a fixture with a problem fails.
  public var problems: [FixtureError] = []
  /// The actual output lines (for `--update`); empty when the events could not be replayed.
  public var actualLines: [String] = []
  /// Whether the events were replayed to the end with the fixture's rules (so `actualLines` is
  /// trustworthy for `--update`, even when the expected lines were missing or malformed).
  public var replayed = false

  /// The number of failed lines.
  public var failed: Int { mismatches.count }
  /// Whether every line matched and nothing kept the fixture from being checked.
  public var succeeded: Bool { mismatches.isEmpty && problems.isEmpty }
}

/// Runs fixture folders.
public struct FixtureRunner: Sendable {
  /// The rules for folders without their own (`--rules`), or nil.
  public var sharedRules: [String]?

  /// A runner; `sharedRules` serve folders that have no `rules/` of their own.
  public init(sharedRules: [String]? = nil) {
    self.sharedRules = sharedRules
  }

  /// Checks every folder, loading each distinct rule set once.
  public func run(_ folders: [FixtureFolder]) -> [FixtureResult] {
    var cache: [[String]: Result<FixtureRuleSet, FixtureError>] = [:]
    return folders.map { folder in
      guard let paths = folder.ownRules.map({ [$0] }) ?? sharedRules else {
        var r = FixtureResult(fixture: folder)
        r.problems.append(
          FixtureError(
            folder.path, "no rules: the folder has no `rules/` or `rules.sbc`, and no --rules was given"))
        return r
      }
      let loaded: Result<FixtureRuleSet, FixtureError>
      if let c = cache[paths] {
        loaded = c
      } else {
        do throws(FixtureError) {
          loaded = .success(try FixtureRuleSet.load(paths))
        } catch {
          loaded = .failure(error)
        }
        cache[paths] = loaded
      }
      switch loaded {
      case .success(let rules): return run(folder, rules: rules)
      case .failure(let e):
        var r = FixtureResult(fixture: folder)
        r.problems.append(e)
        return r
      }
    }
  }

  /// Checks one folder with `rules`.
  public func run(_ folder: FixtureFolder, rules: FixtureRuleSet) -> FixtureResult {
    var result = FixtureResult(fixture: folder)
    let events: String
    do {
      events = try readText(folder.eventsPath)
    } catch {
      result.problems.append(error)
      return result
    }
    // Expected lines: blank lines skipped; a malformed one is a problem naming its line.
    var expected: [(text: String, line: OutputLine?)] = []
    var expectedReadable = true
    do {
      let text = try readText(folder.decisionsPath)
      for (i, raw) in CorpusReplay.lines(text).enumerated() {
        let l = String(raw)
        if l.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
        do {
          expected.append((l, try OutputLine.parse(l)))
        } catch {
          result.problems.append(
            FixtureError("\(folder.decisionsPath):\(i + 1)", "malformed expected line: \(error.message)"))
          expected.append((l, nil))
        }
      }
    } catch {
      result.problems.append(error)
      expectedReadable = false
    }

    var actual: [String] = []
    do {
      try CorpusReplay.replay(events, bundle: rules.bundle) { (replayed, processor) throws(FixtureError) in
        actual.append(replayed.output)
        let k = actual.count - 1
        guard k < expected.count, let exp = expected[k].line else { return }
        let act: OutputLine
        do {
          act = try OutputLine.parse(replayed.output)
        } catch {
          throw FixtureError(folder.eventsPath, "unparseable output line \(replayed.output)")
        }
        result.lines += 1
        if exp.accepts(act) {
          result.passed += 1
          return
        }
        result.mismatches.append(
          explain(
            expected: exp, actual: act, replayed: replayed, processor: processor, rules: rules,
            expectedText: expected[k].text, outputIndex: k + 1))
      }
    } catch {
      var e = error
      if e.path.isEmpty { e.path = folder.eventsPath }
      result.problems.append(e)
      return result
    }
    result.actualLines = actual
    result.replayed = true
    if expectedReadable && expected.count != actual.count {
      result.problems.append(
        FixtureError(
          folder.path,
          "`events.jsonl` gives \(actual.count) output lines (non-blank events) but `decisions.jsonl` has "
            + "\(expected.count) expected lines"))
    }
    return result
  }

  /// The bound names (event fields, aggregate readings) that occur in a condition tree's text
  /// as whole names.
  static func reads(_ c: ConditionExplanation, _ bindings: [String: Value]) -> [(name: String, value: Value)]
  {
    var texts: [String] = []
    var stack = [c]
    while let x = stack.popLast() {
      texts.append(x.text)
      stack += x.children
    }
    func isNameByte(_ b: UInt8) -> Bool {
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }
    func occurs(_ name: String, in text: String) -> Bool {
      let t = Array(text.utf8)
      let n = Array(name.utf8)
      guard !n.isEmpty, t.count >= n.count else { return false }
      for i in 0...(t.count - n.count) where t[i] == n[0] && Array(t[i..<(i + n.count)]) == n {
        let before = i == 0 || !(isNameByte(t[i - 1]) || t[i - 1] == 0x2E)
        let after = i + n.count == t.count || !isNameByte(t[i + n.count])
        if before && after { return true }
      }
      return false
    }
    return bindings.keys.filter { k in texts.contains { occurs(k, in: $0) } }
      .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.compactMap { k in bindings[k].map { (k, $0) } }
  }

  func explain(
    expected: OutputLine, actual: OutputLine, replayed: ReplayedLine, processor: EventProcessor,
    rules: FixtureRuleSet, expectedText: String, outputIndex: Int
  ) -> Mismatch {
    var notes: [String] = []
    var differences: [RuleDifference] = []
    switch (expected, actual) {
    case (.decision(let e), .decision(let a)):
      if e.eventID != a.eventID { notes.append("event_id: expected `\(e.eventID)`, actual `\(a.eventID)`") }
      if e.action != a.action { notes.append("action: expected \(e.action), actual \(a.action)") }
      if e.score != a.score { notes.append("score: expected \(e.score), actual \(a.score)") }
      let es = Set(e.rules)
      let ase = Set(a.rules)
      let differing = es.symmetricDifference(ase).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      if differing.isEmpty && e.rules != a.rules {
        notes.append("rules: same ids, different order or repeats")
      }
      if case .duplicate = replayed.result {
        notes.append("the actual line repeats the decision of an earlier event with this id (a duplicate)")
      }
      var explained: [String: ConditionExplanation] = [:]
      var bindings: [String: Value] = [:]
      if !differing.isEmpty, case .decided = replayed.result, let c = rules.compilation {
        bindings = processor.lastBindings
        for x in Explainer.explain(c, event: bindings) where differing.contains(x.rule.id) {
          explained[x.rule.id] = x.condition
        }
      }
      for id in differing {
        differences.append(
          RuleDifference(
            ruleID: id, expectedMatch: es.contains(id), actualMatch: ase.contains(id),
            condition: explained[id],
            reads: explained[id].map { Self.reads($0, bindings) } ?? []))
        if rules.compilation != nil, explained[id] == nil, case .decided = replayed.result,
          !rules.bundle.bundle.rules.contains(where: { $0.id == id })
        {
          notes.append("no rule `\(id)` in the rule set")
        }
      }
      if !differing.isEmpty && rules.compilation == nil {
        notes.append("conditions are not explained for a compiled bundle (.sbc); give the rule sources")
      }
    case (.error, .decision):
      notes.append("expected the event to be rejected, but it was decided")
    case (.decision, .error):
      notes.append("expected a decision, but the event was rejected")
    case (.error(let e), .error(let a)):
      notes.append("rejected as expected, but event_id: expected \(e ?? "none"), actual \(a ?? "none")")
    }
    return Mismatch(
      line: outputIndex, eventLine: replayed.lineNumber, event: String(replayed.event),
      expected: expectedText,
      actual: replayed.output, rules: differences, notes: notes)
  }
}
