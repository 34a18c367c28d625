// `sentinel test PATH… [--rules PATH] [--update] [--json]`: replays golden fixture folders and
// compares the decisions with the expected ones (docs/testing.md). The work is in
// SentinelFixtures; this file only parses arguments and prints.

import ArgumentParser
import SentinelFixtures

/// Replays fixture folders and checks their decisions.
public struct TestCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Replay fixture folders (events + expected decisions) and report every mismatch.",
    discussion: """
      A fixture folder holds events.jsonl and decisions.jsonl (one expected line per non-blank
      event line). PATHs are searched recursively for such folders. A folder's rules are its own
      rules/ directory (or rules.sbc) when it has one, else --rules; a folder with neither is an
      error. Each folder replays from empty in-memory state.

      Decision lines must be equal as JSON; error lines compare only the presence of "error" and
      the event_id. Each mismatch is shown with the event, expected and actual lines, and for
      every rule whose match differs its condition tree with the value of each part. The exit
      code is 1 when any line differs or any fixture cannot be checked.

      --update rewrites each decisions.jsonl with the actual lines (and says so on standard
      error); review the change with git diff before committing it.

      Examples:
        sentinel test fixtures/ --rules rules/
        sentinel test fixtures/rules/structuring --rules rules/ --update
      """)

  @Argument(help: "Fixture folders, or folders to search for them.")
  var paths: [String]

  @Option(help: "Rule files or directories, or a bundle (.sbc), for folders without their own rules/.")
  var rules: [String] = []

  @Flag(help: "Rewrite decisions.jsonl with the actual decisions.")
  var update = false

  @Flag(help: "Write the results as JSON (docs/testing.md).")
  var json = false

  public init() {}

  public func run() throws {
    let folders: [FixtureFolder]
    do {
      folders = try FixtureDiscovery.find(paths)
    } catch {
      printError("error: \(error)")
      throw ExitCode(1)
    }
    let runner = FixtureRunner(sharedRules: rules.isEmpty ? nil : rules)
    let results = runner.run(folders)
    if update {
      var failed = false
      for r in results {
        do {
          let written = try FixtureUpdate.write(r)
          printError(
            written
              ? "updated \(r.fixture.decisionsPath) (\(r.actualLines.count) lines)"
              : "unchanged \(r.fixture.decisionsPath)")
        } catch {
          printError("error: \(error)")
          failed = true
        }
      }
      if failed { throw ExitCode(1) }
      return
    }
    if json {
      print(FixtureReport.json(results))
    } else {
      print(FixtureReport.human(results), terminator: "")
    }
    if !results.allSatisfy(\.succeeded) { throw ExitCode(1) }
  }
}
