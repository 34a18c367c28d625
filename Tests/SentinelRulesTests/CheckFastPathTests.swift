// Differential tests for the fast paths `sentinel check` takes (docs/performance.md, "`sentinel
// check` on 10,000 rules"): each must decide exactly what the slow path it skips would decide.

import Foundation
import SentinelBuiltins
import SentinelModel
import Testing

@testable import SentinelCompiler

@Suite struct CheckFastPathTests {
  /// Argument types: scalars, and every other kind of type the checker meets.
  static let argumentTypes: [CELType] = [
    .bool, .int, .uint, .double, .string, .bytes, .timestamp, .duration, .null, .dyn, .error,
    .list(.int), .list(.string), .map(.string, .int), .optional(.int), .optional(.string),
    .type(nil), .type(.int), .typeParam("T"), .opaque("x", []),
  ]

  /// When `certainlyDisjoint` lets overload resolution skip an overload, unifying that
  /// parameter (instantiated, as resolution does) with the argument fails.
  @Test func certainlyDisjointOnlySkipsWhatUnificationRejects() {
    var skipped = 0
    for overload in Builtins.all.overloads {
      for arg in Self.argumentTypes {
        var subst = TypeSubstitution()
        let (params, _) = subst.instantiate(overload.params, overload.result)
        for (param, instantiated) in zip(overload.params, params)
        where TypeSubstitution.certainlyDisjoint(param, arg) {
          skipped += 1
          var trial = subst
          let accepted = trial.unify(instantiated, arg)
          #expect(!accepted, "\(overload.id): parameter \(param) accepts \(arg)")
        }
      }
    }
    #expect(skipped > 0)
  }

  /// A rule name used as its reason: the brace-free fast path returns what Foundation's
  /// replacement returns, for names with and without braces, combining marks and emoji.
  @Test func escapeBracesMatchesFoundation() {
    let names = [
      "", "Generated rule 1", "a{b}c", "{", "}", "{{}}", "e\u{301}{x}", "{\u{301}", "}\u{301}x", "🙂 {🙂}",
      "caf\u{E9}", "no braces here, just text", "\u{FE5B}small\u{FE5C}", "tab\there",
    ]
    for name in names {
      let expected = name.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
      #expect(RuleCompilerRun.escapeBraces(name) == expected, "\(name.debugDescription)")
    }
  }

  /// The array-backed side table behaves as the dictionary it replaces.
  @Test func exprTableActsAsADictionary() {
    var table = ExprTable<String>(capacity: 2)
    var dictionary: [Int: String] = [:]
    for (id, value) in [(0, "a"), (5, "b"), (1, "c"), (5, "d"), (40, "e")] {
      table[id] = value
      dictionary[id] = value
    }
    table[1] = nil
    dictionary[1] = nil
    table[100] = nil
    for id in -1...101 { #expect(table[id] == dictionary[id], "id \(id)") }
    #expect(table.keys == dictionary.keys.sorted())
    let byID = dictionary.sorted { $0.key < $1.key }.map { $0.value }
    #expect(table.values == byID)
    #expect(ExprTable<Int>().isEmpty && !table.isEmpty)
  }
}
