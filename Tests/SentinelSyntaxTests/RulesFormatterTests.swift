// The rule formatter: canonical layout, comments kept, idempotence, and the round-trip property
// parse ∘ format ∘ parse = parse (as `RuleFileDump`s) on hand-written and generated files.

import SentinelModel
import SentinelSyntax
import Testing

/// Formats `text`, which must parse without errors.
func formatted(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
  let (out, diagnostics) = RuleFormatter.format(Source(name: "in.rules", text: text))
  #expect(!diagnostics.hasErrors, "\(diagnostics.map(\.description))", sourceLocation: sourceLocation)
  return out ?? ""
}

let handWrittenRuleFiles: [String] = [
  """
  // Reference rules.
  schema event {
    event_id: string
    type: string in ["login", "transaction", "withdrawal", "password_reset", "email_change"]
    geo?: { lat: double, lon: double }          // nested object
    success?: bool = true                          // default when absent
    amount?: double required_for ["transaction", "withdrawal"]
  }
  list sanctioned_countries = ["KP", "IR", "SY", "CU"]
  list blocked_ips: string from "lists/blocked_ips.txt"
  list sdn from "../lists/sdn.csv" format sdn     // format names are free identifiers
  condition is_login = event.type == "login"
  rule sanctioned_region {
    reason: "Access from a sanctioned region"
    score: 100
    action: block
    when: event.country_code in sanctioned_countries
    enabled: true
    tags: [ofac, geo]
    category: compliance
    name: "Sanctioned Region Access"
  }
  policy { block_threshold: 150, review_threshold: 70 }
  """,
  "rule r { when: true, action: block }",
  "rule r {\n\twhen:\n\t\tevent.a > 1 &&\n\t\t\tevent.b < 2\n}\n",
  "rule r {\n  when: event.note == '''multi\n      line''' && true\n}\n",
  "list long = [\"aaaaaaaaaaaa\", \"bbbbbbbbbbbbbb\", \"cccccccccccccc\", \"dddddddddddddd\", \"eeeeeeeeeeeee\", \"ffffff\"]\n",
  "// only a comment\n",
  "",
  "schema event {\n  a: int,\n  b?: { c: { d: list(map(string, int)) } }\n}\n",
  "rule r {\n  name: 'it\\'s \\u00e9 \\x01'\n  when: true\n}\n",
]

@Suite("Rules formatter")
struct RulesFormatterTests {
  @Test func canonicalLayout() {
    let out = formatted(handWrittenRuleFiles[0])
    #expect(
      out == """
        // Reference rules.
        schema event {
          event_id: string
          type: string in ["login", "transaction", "withdrawal", "password_reset", "email_change"]
          geo?: {
            lat: double
            lon: double
          }  // nested object
          success?: bool = true  // default when absent
          amount?: double required_for ["transaction", "withdrawal"]
        }

        list sanctioned_countries = ["KP", "IR", "SY", "CU"]

        list blocked_ips: string from "lists/blocked_ips.txt"

        list sdn from "../lists/sdn.csv" format sdn  // format names are free identifiers

        condition is_login = event.type == "login"

        rule sanctioned_region {
          name: "Sanctioned Region Access"
          category: compliance
          tags: [ofac, geo]
          enabled: true
          when: event.country_code in sanctioned_countries
          action: block
          score: 100
          reason: "Access from a sanctioned region"
        }

        policy {
          review_threshold: 70
          block_threshold: 150
        }

        """)
  }

  @Test func commentsStayWithTheirItems() {
    let text = """
      // header

      // about the schema
      schema event { // head
        // the id
        event_id: string   // trailing
        type: string in [ // kinds
          "login",  // logins
          "transaction"
          // more later
        ]
        // end of schema
      }
      rule r { // rule head
        // before action
        action: review // trailing action
        when: event.amount > 100.0 &&
            event.type == "transaction"  // after when
        tags: [a, // tag a
         "b-c"] // after tags
        // before close
      } // after close
      // eof
      """
    #expect(
      formatted(text) == """
        // header

        // about the schema
        schema event {  // head
          // the id
          event_id: string  // trailing
          type: string in [
            // kinds
            "login",  // logins
            "transaction",
            // more later
          ]
          // end of schema
        }

        rule r {  // rule head
          tags: [
            a,  // tag a
            "b-c",
          ]  // after tags
          when: event.amount > 100.0 &&
            event.type == "transaction"  // after when
          // before action
          action: review  // trailing action
          // before close
        }  // after close

        // eof

        """)
  }

  @Test func multiLineCELIsReindentedUnlessItHoldsATripleQuotedString() {
    #expect(formatted(handWrittenRuleFiles[2]) == "rule r {\n  when: event.a > 1 &&\n    event.b < 2\n}\n")
    #expect(formatted(handWrittenRuleFiles[3]) == handWrittenRuleFiles[3])
  }

  @Test func longListsBreakOnePerLine() {
    #expect(
      formatted(handWrittenRuleFiles[4]) == """
        list long = [
          "aaaaaaaaaaaa",
          "bbbbbbbbbbbbbb",
          "cccccccccccccc",
          "dddddddddddddd",
          "eeeeeeeeeeeee",
          "ffffff",
        ]

        """)
  }

  @Test func stringsAreRequoted() {
    #expect(formatted(handWrittenRuleFiles[8]).contains(#"name: "it's é \x01""#))
  }

  @Test func lineEndingsAndByteOrderMark() {
    let lf = handWrittenRuleFiles[0]
    let crlf = lf.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
    #expect(formatted(crlf) == formatted(lf))
    let multiLine = handWrittenRuleFiles[2]
    let multiLineCRLF = multiLine.split(separator: "\n", omittingEmptySubsequences: false).joined(
      separator: "\r\n")
    #expect(formatted(multiLineCRLF) == formatted(multiLine))
    #expect(formatted("\u{FEFF}" + lf) == formatted(lf))
    #expect(parseRules("\u{FEFF}rule r { when: true }").1.isEmpty)
  }

  @Test func refusesFilesWithErrors() {
    let (out, diagnostics) = RuleFormatter.format(Source(name: "bad.rules", text: "rule r { scroe: 1 }"))
    #expect(out == nil)
    #expect(diagnostics.hasErrors)
    let (ok, _) = RuleFormatter.isFormatted(Source(name: "bad.rules", text: "rule r {"))
    #expect(ok == nil)
  }

  @Test func checkMode() {
    let canonical = "rule r {\n  when: true\n}\n"
    #expect(RuleFormatter.isFormatted(Source(text: canonical)).0 == true)
    #expect(RuleFormatter.isFormatted(Source(text: "rule r { when: true }")).0 == false)
  }

  @Test(arguments: handWrittenRuleFiles) func handWrittenRoundTrip(_ text: String) {
    #expect(roundTripProblem(text) == nil)
    #expect(!parseRules(text).1.hasErrors)
  }

  @Test func generatedFilesRoundTrip() {
    var generator = RuleFileGenerator(seed: 0x5EED_0D51)
    var problems: [String] = []
    for _ in 0..<600 {
      let text = generator.file()
      let (_, diagnostics) = parseRules(text)
      if diagnostics.hasErrors {
        problems.append("generated file has errors \(diagnostics.map(\.description)):\n\(text)")
      } else if let p = roundTripProblem(text) {
        problems.append(p)
      }
      if problems.count >= 3 { break }
    }
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n=====\n"))")
  }
}
