// `FormCache` (the key forms `LinePreparer` hands out for string values): every form it gives is
// `ValueKey.encode`'s for the same string, whether made or found, after evictions, and when
// every hash collides (then the bytes alone tell the strings apart).

import SentinelModel
import SentinelState
import Testing

@testable import SentinelRuntime

@Suite struct FormCacheTests {
  /// `ByteHashTests.strings()` (lengths 0…40, equal bytes of different lengths, non-ASCII,
  /// canonically equivalent strings with other bytes, ids) and long strings (a count of 3 and 4
  /// digits, one byte apart).
  static func strings() -> [String] {
    var out = ByteHashTests.strings()
    for n in [99, 100, 101, 999, 1_000, 1_001, 4_096] {
      out.append(String(repeating: "d", count: n))
      out.append(String(repeating: "d", count: n - 1) + "e")
      out.append(String(repeating: "日", count: n / 3))
    }
    return out
  }

  /// The expected form.
  static func encoded(_ s: String) -> String { ValueKey.encode(.string(s)) ?? "<none>" }

  /// Each string asked for three times in three passes (in order, reversed, shuffled), in tables
  /// of 1, 4, 64 and 1,024 places, with real hashes and with every hash equal.
  @Test(arguments: [1, 4, 64, 1_024])
  func formsAreEncodes(places: Int) {
    let strings = Self.strings()
    var rng = SystemRandomNumberGenerator()
    for mask in [~UInt64(0), 0] {
      var cache = FormCache(count: places, hashMask: mask)
      for pass in [strings, strings.reversed(), strings.shuffled(using: &rng)] {
        for s in pass {
          let form = cache.form(of: s)
          #expect(form == Self.encoded(s), "\(s.debugDescription) in \(places) places, mask \(mask)")
          // `==` on Strings is canonical equivalence: the forms' bytes must be equal too.
          #expect(Array(form.utf8) == Array(Self.encoded(s).utf8), "\(s.debugDescription)")
        }
      }
    }
  }

  /// Strings equal in Swift but not byte for byte keep the forms of their own bytes, one after
  /// the other in the same place (one place, every hash equal).
  @Test func equivalentStringsKeepTheirForms() {
    var cache = FormCache(count: 1, hashMask: 0)
    for group in ByteHashTests.equivalents {
      for _ in 0..<2 {
        for s in group {
          #expect(Array(cache.form(of: s).utf8) == Array(Self.encoded(s).utf8), "\(s.debugDescription)")
          #expect(Array(cache.form(of: s).utf8) == Array(Self.encoded(s).utf8), "\(s.debugDescription)")
        }
      }
    }
  }

  /// A string whose place was taken by another gets its form again (made anew), and strings of
  /// the same bytes in other storage (a substring's copy, a bridged concatenation) find it.
  @Test func evictedAndCopiedStrings() {
    var cache = FormCache(count: 2, hashMask: 0)
    let a = "dev-3b587fd280~12"
    let b = "dev-3b587fd280~13"
    let copy = String(("x" + a).dropFirst())
    #expect(cache.form(of: a) == "s17:" + a)
    #expect(cache.form(of: copy) == "s17:" + a)
    #expect(cache.form(of: b) == "s17:" + b)
    #expect(cache.form(of: a) == "s17:" + a)
    #expect(cache.form(of: "") == "s0:")
    #expect(cache.form(of: "") == "s0:")
    #expect(cache.form(of: a) == "s17:" + a)
  }
}

/// `SlotStrings` (the long strings the preparer's decoder shares between lines): the slots,
/// ids and errors of `decode(_:into:order:strings:)` are those of `decode(_:into:)`, byte for
/// byte, with real hashes and with every hash equal in one place.
@Suite struct SlotStringsTests {
  static func bytes(_ v: Value?) -> [UInt8] {
    if case .string(let s)? = v { return Array(s.utf8) }
    return Array(rendered(v).utf8)
  }

  @Test(arguments: [(1_024, ~UInt64(0)), (1, 0), (4, 0)])
  func sharedStringsDecodeAsNew(places: Int, mask: UInt64) throws {
    var lines = try ReferenceCorpus.lines("events.jsonl").map { Array($0.utf8) }
    // Long device ids and ips that repeat, canonically equivalent ones with other bytes, escapes.
    for k in 0..<200 {
      let device = ["user-é-1234567890", "user-e\u{301}-1234567890", "dev-3b587fd280~1", "dev-3b587fd280~2"][
        k % 4]
      let ip = k % 3 == 0 ? #"10.0.0.1\u0041~12345"# : "151.148.11.107~\(k % 5)"
      lines.append(
        Array(
          #"{"event_id":"e\#(k)","type":"login","ts":"2026-11-25T10:00:00Z","user_id":"u","device_id":"\#(device)","ip":"\#(ip)"}"#
            .utf8))
    }
    var order = referenceDecoder.makeKeyOrder()
    var strings = SlotStrings(count: places, hashMask: mask)
    var plain = referenceDecoder.makeSlots()
    var shared = referenceDecoder.makeSlots()
    for b in lines {
      let want: Result<String, EventError>
      do { want = .success(try referenceDecoder.decode(b, into: &plain)) } catch { want = .failure(error) }
      let got: Result<String, EventError>
      do {
        got = .success(
          try b.withUnsafeBufferPointer {
            try referenceDecoder.decode($0, into: &shared, order: &order, strings: &strings)
          })
      } catch let error as EventError {
        got = .failure(error)
      } catch {
        Issue.record("\(error)")
        continue
      }
      #expect("\(want)" == "\(got)")
      #expect(plain.map(Self.bytes) == shared.map(Self.bytes), "\(String(decoding: b, as: UTF8.self))")
    }
  }
}
