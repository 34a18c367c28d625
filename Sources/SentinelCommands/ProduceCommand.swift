// `sentinel produce`: writes JSON events to a Redis stream (field `event`), partitioned by user
// id with --of N — the producer side of `sentinel consume`, for tests, benchmarks and replays.

import ArgumentParser
import Foundation
import SentinelStreams

/// Adds events to a Redis stream.
public struct ProduceCommand: ParsableCommand {
  /// The command's name, help and examples.
  public static let configuration = CommandConfiguration(
    commandName: "produce",
    abstract: "Add JSON events (one per line) to a Redis stream, as `sentinel consume` reads them.",
    discussion: """
      Each non-blank line becomes one entry with the field `event` holding the line, added with
      XADD (pipelined). With --of N each line goes to STREAM:P, P = FNV-1a-32 of its `user_id`
      mod N (docs/operations.md, "Redis Streams"). Prints the number of entries added.

      Examples:
        sentinel produce --stream events fixtures/reference-corpus/events.jsonl
        sentinel produce --stream events --of 4 events.jsonl
      """)

  @Argument(help: "The events, one JSON object per line; - for standard input.")
  var events: String

  @Option(help: ArgumentHelp("The Redis server.", valueName: "redis://host:port[/db]"))
  var redis = "redis://127.0.0.1:6379"

  @Option(help: "The stream (with --of N: the prefix of STREAM:0 … STREAM:N-1).")
  var stream = "events"

  @Option(help: ArgumentHelp("The number of partitions.", valueName: "N"))
  var of: Int?

  @Option(help: "Entries per pipeline round trip.")
  var pipeline = 1000

  /// A command with every option at its default.
  public init() {}

  /// Checks the options.
  public func validate() throws {
    do { _ = try RedisEndpoint(url: redis) } catch { throw ValidationError("--redis: \(error)") }
    if let n = of, n < 1 || n > 4096 { throw ValidationError("--of must be from 1 to 4096") }
    guard pipeline >= 1 else { throw ValidationError("--pipeline must be at least 1") }
  }

  /// Adds the events.
  public func run() throws {
    let data: Data
    do {
      data =
        events == "-"
        ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: events))
    } catch {
      printError("cannot read `\(events)`: \(error.localizedDescription)")
      throw ExitCode(1)
    }
    let partitioning = Partitioning(stream: stream, count: of)
    let connection = RedisConnection(endpoint: try RedisEndpoint(url: redis))
    var commands: [[[UInt8]]] = []
    var added = 0
    func flush() throws {
      for reply in try connection.pipeline(commands) {
        if case .error(let m) = reply {
          printError("XADD refused: \(m)")
          throw ExitCode(1)
        }
        added += 1
      }
      commands.removeAll(keepingCapacity: true)
    }
    do {
      for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
        let bytes = Array(line)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
        let target = partitioning.streamName(partitioning.partition(ofEvent: bytes))
        commands.append([Array("XADD".utf8), Array(target.utf8), Array("*".utf8), Array("event".utf8), bytes])
        if commands.count >= pipeline { try flush() }
      }
      try flush()
    } catch let e as RedisError {
      printError("sentinel produce: \(e) (\(added) entries added)")
      throw ExitCode(1)
    }
    print("added \(added) entries")
  }
}
