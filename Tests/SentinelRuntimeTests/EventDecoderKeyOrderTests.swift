// The scanner's learnt key order (`KeyOrder`, `EventDecoder.decode(_:into:order:)`, which
// `LinePreparer` decodes with): the same ids, errors and slots as the declaration order, on
// random valid events with shuffled keys and nested objects, their mutations (errors, duplicate
// and unknown keys) and the reference corpus, one order kept across all the lines.

import SentinelModel
import Testing

@testable import SentinelRuntime

@Suite("EventDecoder: learnt key order")
struct EventDecoderKeyOrderTests {
  /// Decodes `lines` both ways, one order kept throughout: the same outcome and slots per line.
  static func agree(_ lines: [[UInt8]]) -> (lines: Int, accepted: Int) {
    var order = referenceDecoder.makeKeyOrder()
    var plain = referenceDecoder.makeSlots()
    var learnt = referenceDecoder.makeSlots()
    var accepted = 0
    for b in lines {
      let want: Result<String, EventError>
      do { want = .success(try referenceDecoder.decode(b, into: &plain)) } catch { want = .failure(error) }
      let got: Result<String, EventError>
      do {
        got = .success(
          try b.withUnsafeBufferPointer { try referenceDecoder.decode($0, into: &learnt, order: &order) })
      } catch let error as EventError {
        got = .failure(error)
      } catch {
        Issue.record("\(error)")
        continue
      }
      let text = String(decoding: b, as: UTF8.self)
      switch (want, got) {
      case (.success(let a), .success(let b)):
        accepted += 1
        #expect(a == b, "\(text)")
      case (.failure(let a), .failure(let b)):
        #expect(a.message == b.message && a.kind == b.kind && a.field == b.field, "\(text)")
      default:
        Issue.record("\(text): \(want) against \(got)")
      }
      #expect(plain.map(rendered) == learnt.map(rendered), "\(text)")
    }
    return (lines.count, accepted)
  }

  @Test func randomEventsAndMutationsDecodeAsInDeclarationOrder() {
    var gen = EventGenerator(rng: DecoderTestRNG(seed: 1818))
    var rng = DecoderTestRNG(seed: 1819)
    var lines: [[UInt8]] = []
    for _ in 0..<3_000 {
      var b = Array(gen.event().utf8)
      // A third mutated: a byte replaced, removed or a field duplicated.
      switch rng.next() % 6 {
      case 0:
        if !b.isEmpty { b[Int(rng.next() % UInt64(b.count))] = Array(#"{}":,x"#.utf8)[Int(rng.next() % 6)] }
      case 1: if !b.isEmpty { b.remove(at: Int(rng.next() % UInt64(b.count))) }
      default: break
      }
      lines.append(b)
    }
    // Fields repeated and events of one fixed order after another.
    lines.append(
      Array(#"{"event_id":"a","type":"login","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u"}"#.utf8)
    )
    for _ in 0..<3 {
      lines.append(
        Array(
          #"{"user_id":"u","ts":"2026-11-25T10:00:00Z","type":"login","event_id":"b","geo":{"lon":1,"lat":2}}"#
            .utf8))
      lines.append(
        Array(
          #"{"event_id":"c","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u","geo":{"lat":2,"lon":1}}"#
            .utf8))
    }
    let (n, accepted) = Self.agree(lines)
    #expect(n == lines.count && accepted > 1_000)
  }

  @Test func referenceCorpusDecodesAsInDeclarationOrder() throws {
    let corpus = try ReferenceCorpus.lines("events.jsonl")
    let (_, accepted) = Self.agree(corpus.map { Array($0.utf8) })
    #expect(accepted > 1_000)
  }
}
