// The event decoder's single-pass scanner over the UTF-8 bytes of one line.
//
// NOTE: this is the only file of the event decoder that touches raw buffers. It reads the line
// through the pointer `String.withUTF8` / `Array.withUnsafeBufferPointer` hands out (no copy of
// the line) and writes slots through `withUnsafeMutableBufferPointer` (no uniqueness check per
// write); every read is guarded by `i < n` (see `peek`) or a length check before it. Measured on
// the reference corpus scaled to 102,375 events (release, 2-core AMD EPYC, thread CPU time, best
// of 10 passes, 3 runs): 1,204–1,264 ns/event this way; 1,334–1,394 ns/event (~10% slower) and
// one more malloc per event when the line is first copied into a `[UInt8]` and read with
// bounds-checked subscripts.

import SentinelModel

private let quote: UInt8 = 0x22
private let backslash: UInt8 = 0x5C
private let comma: UInt8 = 0x2C
private let colon: UInt8 = 0x3A
private let openBrace: UInt8 = 0x7B
private let closeBrace: UInt8 = 0x7D
private let openBracket: UInt8 = 0x5B
private let closeBracket: UInt8 = 0x5D
private let minus: UInt8 = 0x2D

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

/// A string token: the bytes between the quotes, whether they contain escapes, and whether they
/// are all ASCII.
struct StringSpan {
  var start: Int
  var end: Int
  var escaped: Bool
  var ascii = false
}

/// The first field error of an event, kept while the scan goes on (to validate the rest of the
/// line as JSON and to find the event id when it comes after the bad field).
struct PendingError {
  var field: Int
  var kind: EventError.Kind
  var detail: String
}

struct EventScanner {
  let p: UnsafePointer<UInt8>
  let n: Int
  var i = 0
  let plan: DecoderPlan
  /// The plan's tables (`DecoderPlan.codeTable` …), valid while `plan` is held.
  let codes: UnsafePointer<FieldCode>
  let keyWords: UnsafePointer<UInt64>
  let keyMasks: UnsafePointer<UInt64>
  let slots: UnsafeMutableBufferPointer<Value?>
  /// `SmallASCII.available`, read once per plan.
  let smallStrings: Bool
  var seen: SeenSet
  var pending: PendingError?
  var eventID: String?
  var typeValue: String?
  /// A `KeyOrder`'s table (the keys predicted after each field and first in each object, learnt
  /// from the lines decoded before), or nil: the declaration order (`FieldCode.next`,
  /// `DecoderPlan.firstChild`).
  let order: UnsafeMutablePointer<Int32>?

  init(
    p: UnsafePointer<UInt8>, n: Int, plan: DecoderPlan, slots: UnsafeMutableBufferPointer<Value?>,
    order: UnsafeMutablePointer<Int32>? = nil
  ) {
    self.p = p
    self.n = n
    self.plan = plan
    self.order = order
    self.codes = UnsafePointer(plan.codeTable)
    self.keyWords = UnsafePointer(plan.keyWordTable)
    self.keyMasks = UnsafePointer(plan.keyMaskTable)
    self.slots = slots
    self.smallStrings = plan.smallStrings
    self.seen = SeenSet(count: plan.slotCount)
  }

  // MARK: Entry points

  static func decode(string: String, plan: DecoderPlan, slots: inout [Value?]) throws(EventError) -> String {
    var line = string
    return try line.withUTF8 { decode(buffer: $0, plan: plan, slots: &slots) }.get()
  }

  static func decode(substring: Substring, plan: DecoderPlan, slots: inout [Value?]) throws(EventError)
    -> String
  {
    var line = substring
    return try line.withUTF8 { decode(buffer: $0, plan: plan, slots: &slots) }.get()
  }

  static func decode(bytes: [UInt8], plan: DecoderPlan, slots: inout [Value?]) throws(EventError) -> String {
    try bytes.withUnsafeBufferPointer { decode(buffer: $0, plan: plan, slots: &slots) }.get()
  }

  static func decode(
    buffer: UnsafeBufferPointer<UInt8>, plan: DecoderPlan, slots: inout [Value?],
    order: UnsafeMutablePointer<Int32>? = nil
  ) -> Result<String, EventError> {
    if slots.count != plan.slotOrderCount { slots = Array(repeating: nil, count: plan.slotOrderCount) }
    return slots.withUnsafeMutableBufferPointer { out -> Result<String, EventError> in
      // The slots are not cleared first: a successful decode writes every field it saw and every
      // default, then clears the other mapped slots (`clearUnwritten`); a failed one clears all.
      guard let base = buffer.baseAddress, buffer.count > 0 else {
        for k in plan.mapped { out[k] = nil }
        return .failure(
          EventError(kind: .invalidJSON, field: nil, message: "invalid JSON: empty line", offset: 0))
      }
      var scanner = EventScanner(p: base, n: buffer.count, plan: plan, slots: out, order: order)
      do throws(EventError) {
        return .success(try scanner.run())
      } catch {
        for k in plan.mapped { out[k] = nil }
        return .failure(error)
      }
    }
  }

  // MARK: The event

  mutating func run() throws(EventError) -> String {
    skipSpace()
    guard peek() == openBrace else { throw notAnObject() }
    _ = try object(0, depth: 1)
    skipSpace()
    guard i == n else { throw syntax("unexpected characters after the event object") }
    if pending == nil { checkRequiredForTypes() }
    if let e = pending { throw error(e) }
    clearUnwritten()
    return eventID ?? ""
  }

  /// Sets the slots of the mapped fields the event did not write to nil (they hold the previous
  /// event's values). Without errors, a field was written iff it was seen (every seen field's
  /// value is stored unless an error is recorded) or took its default: it has one and its object
  /// was present (the event, or a seen object field, whose `object` call stored the defaults).
  @inline(__always)
  func clearUnwritten() {
    let all = plan.mappedFieldMask
    if all != 0 {
      // Only the unseen fields' bits, lowest first.
      var unseen = all & ~seen.low
      while unseen != 0 {
        clearIfUnwritten(unseen.trailingZeroBitCount)
        unseen &= unseen &- 1
      }
      return
    }
    for f in plan.mappedFields where !seen.contains(f) { clearIfUnwritten(f) }
  }

  /// `clearUnwritten` for one mapped field the event did not carry.
  @inline(__always)
  func clearIfUnwritten(_ f: Int) {
    let code = codes[f]
    let parent = Int(code.parent)
    if code.hasDefault && (parent < 0 || seen.contains(parent)) { return }
    // Most often the previous event lacked the field too: no write (and no destroy) then.
    if case .none = slots[Int(code.read)] { return }
    slots[Int(code.read)] = nil
  }

  /// The error for a line that does not start with `{`: not JSON, or JSON but not an object.
  mutating func notAnObject() -> EventError {
    do throws(EventError) {
      if i == n { throw syntax("empty line") }
      try skipValue(depth: 0)
      skipSpace()
      if i != n { throw syntax("unexpected characters after the value") }
    } catch {
      return error
    }
    return EventError(kind: .notAnObject, field: nil, message: "event is not a JSON object")
  }

  /// Decodes an object of the schema at its `{`: its declared fields into their slots; returns
  /// its map value when the plan builds one.
  mutating func object(_ o: Int, depth: Int) throws(EventError) -> MapValue? {
    i += 1
    var map: MapValue? =
      plan.objects[o].build ? MapValue(minimumCapacity: plan.objects[o].children.count) : nil
    skipSpace()
    if peek() == closeBrace {
      i += 1
    } else {
      // NOTE: with a `KeyOrder` (`order`), the key predicted after a field (and first in an
      // object) is the one that followed it in the last line that had it, not the next declared
      // one: the reference corpus's lines put their fields in an order of their own (`amount`
      // after `ip`, `country_code` after `card_country` …), and each key predicted wrong was
      // looked up in the object's key table: samples in `key` 253 → 104 in a profile of 4
      // replays, the thread's CPU within the noise (docs/performance.md, "s18-dec: the decoding
      // thread, key lookups"). A prediction is
      // always a field of the same object, and a match compares the key's bytes, its closing
      // quote and the colon: a wrong prediction only costs the lookup.
      // Two keys are predicted per place, the last two distinct ones seen there (the reference
      // corpus's logins and transactions interleave, so one would keep missing).
      let firstPlace = plan.codes.count &+ o
      var last = firstPlace
      var expect = Int(order?[2 &* firstPlace] ?? plan.firstChild[o])
      while true {
        guard peek() == quote else { throw syntax("expected a string key") }
        let f: Int
        if expect >= 0 && matchesKey(expect) {
          f = expect  // the key, its closing quote and the colon are consumed
        } else if let order, case let other = Int(order[2 &* last &+ 1]), other >= 0, matchesKey(other) {
          f = other
          // The most recent first.
          order[2 &* last &+ 1] = order[2 &* last]
          order[2 &* last] = Int32(truncatingIfNeeded: f)
        } else {
          f = try key(o)
          skipSpace()
          guard peek() == colon else { throw syntax("expected ':'") }
          i += 1
          if f >= 0, let order {
            order[2 &* last &+ 1] = order[2 &* last]
            order[2 &* last] = Int32(truncatingIfNeeded: f)
          }
        }
        if f >= 0 {
          expect = Int(order?[2 &* f] ?? codes[f].next)
          last = f
        }
        skipSpace()
        if f < 0 {
          try skipValue(depth: depth)
        } else if seen.contains(f) {
          fail(f, .duplicateField, "appears more than once")
          try skipValue(depth: depth)
        } else {
          seen.insert(f)
          var done = false
          if map == nil && pending == nil { done = try flatField(f) }
          if !done { try field(f, depth: depth, map: &map) }
        }
        skipSpace()
        let c = peek()
        if c == comma {
          i += 1
          skipSpace()
          continue
        }
        guard c == closeBrace else { throw syntax("expected ',' or '}'") }
        i += 1
        break
      }
    }
    let all = plan.objects[o].childMask
    if all != 0 {
      // The unseen children's bits, lowest first: declaration order, as `children` lists them.
      var unseen = all & ~seen.low
      while unseen != 0 {
        missingChild(unseen.trailingZeroBitCount, &map)
        unseen &= unseen &- 1
      }
      return map
    }
    for c in plan.objects[o].children where !seen.contains(c) { missingChild(c, &map) }
    return map
  }

  /// A declared field its object lacks: an error when required, else its default (if any).
  @inline(__always)
  mutating func missingChild(_ c: Int, _ map: inout MapValue?) {
    if !codes[c].optional {
      fail(c, .missingField, "")
    } else if codes[c].hasDefault, let d = plan.infos[c].defaultValue {
      store(c, d, &map)
    }
  }

  /// Rejects an event whose type requires a field it lacks (`amount` for a transaction).
  mutating func checkRequiredForTypes() {
    guard let type = typeValue else { return }
    for f in plan.conditional where !seen.contains(f) {
      let parent = Int(codes[f].parent)
      guard parent < 0 || seen.contains(parent) else { continue }
      if plan.infos[f].requiredForTypes?.contains(type) == true {
        fail(f, .missingField, " (required when \(plan.infos[plan.typeField].name) is '\(type)')")
      }
    }
  }

  // MARK: Keys

  /// Scans a key at its opening quote and returns the declared field it names, or -1.
  @inline(__always)
  mutating func key(_ o: Int) throws(EventError) -> Int {
    let start = i + 1
    var k = start
    // Eight bytes at a time while eight remain (the load of p[k..<k+8] is in bounds), as in
    // `scanString`: up to the first quote, backslash or control byte, or a non-ASCII byte.
    while n - k >= 8 {
      let w = UInt64(littleEndian: UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self))
      let stop = EventScanner.stopBytes(w) | w & 0x8080_8080_8080_8080
      if stop == 0 {
        k += 8
        continue
      }
      k += stop.trailingZeroBitCount >> 3
      break
    }
    while k < n {
      let c = p[k]
      if c == quote {
        i = k + 1
        return lookup(o, start: start, count: k - start)
      }
      if c == backslash || c < 0x20 || c >= 0x80 { break }
      k += 1
    }
    // Escapes, non-ASCII or a malformed key: the general path.
    let span = try scanString()
    if !span.escaped { return lookup(o, start: span.start, count: span.end - span.start) }
    return plan.objects[o].keys.lookup(Array(decodeEscaped(span).utf8))
  }

  /// Whether the key at the opening quote is field `f`'s, directly followed by the colon (then
  /// the scanner moves past the colon): the key's bytes, the closing quote and the colon compared
  /// a word at a time (see `DecoderPlan.keyWords`).
  @inline(__always)
  mutating func matchesKey(_ f: Int) -> Bool {
    let code = codes[f]
    let words = Int(code.keyWordCount)
    let start = i + 1
    guard words > 0 else { return false }
    guard n - start >= 8 * words else { return matchesKeyBytes(f, start: start) }
    // In bounds: the loads read p[start..<start + 8 * words], and that is within the line.
    var w = 0
    var k = Int(code.keyWord)
    while w < words {
      let x = UInt64(littleEndian: UnsafeRawPointer(p + start + 8 * w).loadUnaligned(as: UInt64.self))
      guard x & keyMasks[k] == keyWords[k] else { return false }
      w += 1
      k += 1
    }
    i = start + Int(code.keyLength)
    return true
  }

  /// `matchesKey` near the end of the line (fewer than a whole number of words left): byte by
  /// byte, each read guarded by the length check.
  mutating func matchesKeyBytes(_ f: Int, start: Int) -> Bool {
    let code = codes[f]
    let count = Int(code.keyLength)
    guard n - start >= count else { return false }
    for k in 0..<count {
      let word = keyWords[Int(code.keyWord) + k >> 3]
      guard p[start + k] == UInt8(truncatingIfNeeded: word >> UInt64((k & 7) << 3)) else { return false }
    }
    i = start + count
    return true
  }

  @inline(__always)
  func lookup(_ o: Int, start: Int, count: Int) -> Int {
    let first = count > 0 ? p[start] : 0
    let last = count > 0 ? p[start + count - 1] : 0
    let table = plan.objects[o].keys
    var h = KeyTable.hash(count: count, first: first, last: last) & table.mask
    while true {
      let e = table.buckets[h]
      if e < 0 { return -1 }
      if table.lengths[e] == count {
        let s = table.starts[e]
        var k = 0
        while k < count && table.bytes[s + k] == p[start + k] { k += 1 }
        if k == count { return table.fields[e] }
      }
      h = (h + 1) & table.mask
    }
  }

  // MARK: Fields

  /// Decodes the value of declared field `f` (the scanner is at its first byte).
  mutating func field(_ f: Int, depth: Int, map: inout MapValue?) throws(EventError) {
    if pending != nil && f != plan.idField { return try skipValue(depth: depth) }
    let code = codes[f]
    let c = peek()
    switch code.tag {
    case .string:
      guard c == quote else { return try mismatch(f, depth: depth) }
      let span = try scanString()
      if code.hasAllowed {
        guard let s = allowedString(f, span) else { return notAllowed(f, span) }
        if code.capture { capture(f, s) }
        store(f, .string(s), &map)
      } else if code.read >= 0 || map != nil || code.capture {
        let s = makeString(span)
        if code.capture { capture(f, s) }
        store(f, .string(s), &map)
      }
    case .object:
      guard c == openBrace else { return try mismatch(f, depth: depth) }
      guard depth < EventDecoder.maxDepth else { throw tooDeep() }
      if let m = try object(Int(code.object), depth: depth + 1) { store(f, .map(m), &map) }
    case .any, .list, .map:
      guard c != 0x6E else { return try mismatch(f, depth: depth) }  // null
      let want = code.read >= 0 || map != nil
      if let v = try value(plan.infos[f].kind, f, depth: depth, want: want) { store(f, v, &map) }
    case .unsupported:
      fail(f, .wrongType, "has type \(plan.infos[f].type), which the event decoder does not support")
      try skipValue(depth: depth)
    case .int, .uint, .double, .bool, .timestamp, .duration:
      let want = code.read >= 0 || map != nil || code.hasAllowed
      guard let v = try scalar(code.tag, f, depth: depth, want: want, element: false) else { return }
      if code.hasAllowed && !EventValues.isAllowed(v, plan.infos[f].allowed ?? []) {
        let allowed = (plan.infos[f].allowed ?? []).map(\.description).joined(separator: ", ")
        return fail(f, .invalidValue, "must be one of \(allowed), not \(v)")
      }
      store(f, v, &map)
    }
  }

  /// The hot path of `field` for a field of a flat object (no map value being built) in an event
  /// without errors so far: strings, short numbers, booleans and timestamps, stored straight into
  /// their slots. Returns false, having consumed nothing, for anything else (another kind, a
  /// value of the wrong kind, a long number, a scalar with allowed values): `field` decides those.
  /// Accepts, rejects and stores exactly as `field` does.
  @inline(__always)
  mutating func flatField(_ f: Int) throws(EventError) -> Bool {
    let code = codes[f]
    let read = Int(code.read)
    let c = peek()
    switch code.tag {
    case .string:
      guard c == quote else { return false }
      let span = try scanString()
      if code.hasAllowed {
        guard let s = allowedString(f, span) else {
          notAllowed(f, span)
          return true
        }
        if code.capture { capture(f, s) }
        if read >= 0 { slots[read] = .string(s) }
      } else if read >= 0 || code.capture {
        let s = makeString(span)
        if code.capture { capture(f, s) }
        if read >= 0 { slots[read] = .string(s) }
      }
      return true
    case .int:
      guard !code.hasAllowed, c == minus || isDigit(c), let t = shortNumber(fraction: false) else {
        return false
      }
      let v = Int64(t.mantissa)  // < 10^15
      if read >= 0 { put(read, .int(t.negative ? -v : v)) }
      return true
    case .double:
      guard !code.hasAllowed, c == minus || isDigit(c), let t = shortNumber(fraction: true) else {
        return false
      }
      // As in `scalar`: `-0` is 0; at most 15 digits, so one division is correctly rounded.
      var d = 0.0
      if t.scale != 0 || t.mantissa != 0 {
        d = Double(t.mantissa) / EventValues.powersOfTen[t.scale]
        if t.negative { d = -d }
      }
      if read >= 0 { put(read, .double(d)) }
      return true
    case .bool:
      guard !code.hasAllowed else { return false }
      let b: Bool
      if c == 0x74 {
        try literal("true")
        b = true
      } else if c == 0x66 {
        try literal("false")
        b = false
      } else {
        return false
      }
      if read >= 0 { put(read, .bool(b)) }
      return true
    case .timestamp:
      guard !code.hasAllowed, c == quote else { return false }
      let span = try scanString()
      let ts = timestamp(span)
      guard let ts else {
        fail(f, .invalidValue, EventScanner.notATimestamp)
        return true
      }
      if read >= 0 { slots[read] = .timestamp(ts) }
      return true
    default:
      return false
    }
  }

  /// `slots[read] = v` through `overwrite(with:)` (Value.swift: no destroy of an old scalar).
  /// NOTE: ints, doubles and bools through here: −5 % decode CPU on the peer events
  /// (docs/performance.md, session 14); strings too (a small old string skipped as well) gained
  /// ~1 %, within the noise, and were left as they are.
  @inline(__always)
  func put(_ read: Int, _ v: __owned Value) {
    // In bounds: `read` is a slot of the plan, below `slots.count` (sized by `decode`).
    guard let base = slots.baseAddress else { return }
    (base + read).overwrite(with: v)
  }

  /// The error text of a timestamp field whose string is not a timestamp (both paths).
  static let notATimestamp = "is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)"

  /// Records that a string field's value is not one of its allowed values.
  @inline(never)
  mutating func notAllowed(_ f: Int, _ span: StringSpan) {
    let allowed = (plan.infos[f].allowed ?? []).map(\.description).joined(separator: ", ")
    fail(f, .invalidValue, "must be one of \(allowed), not \(Value.string(makeString(span)))")
  }

  /// A scalar of the given kind, or nil when not wanted or invalid (the error is recorded).
  @inline(__always)
  mutating func scalar(_ tag: FieldTag, _ f: Int, depth: Int, want: Bool, element: Bool) throws(EventError)
    -> Value?
  {
    let c = peek()
    var consumed = false  // a number was scanned before its kind proved wrong
    switch tag {
    case .double:
      guard c == minus || isDigit(c) else { break }
      if let t = shortNumber(fraction: true) {
        // At most 15 digits: the significand is exact (< 2^53) and so is 10^scale, so one
        // division is correctly rounded (Clinger), as `EventValues.fastDouble` computes it.
        if t.scale == 0 && t.mantissa == 0 { return want ? .double(0) : nil }  // `-0` is 0
        let d = Double(t.mantissa) / EventValues.powersOfTen[t.scale]
        return want ? .double(t.negative ? -d : d) : nil
      }
      let t = try number()
      if let d = EventValues.fastDouble(t) { return want ? .double(d) : nil }
      guard let d = slowDouble(t), d.isFinite else { return outOfRange(f) }
      return want ? .double(d) : nil
    case .int:
      guard c == minus || isDigit(c) else { break }
      if let t = shortNumber(fraction: false) {
        let v = Int64(t.mantissa)  // < 10^15
        return want ? .int(t.negative ? -v : v) : nil
      }
      let t = try number()
      consumed = true
      guard t.integral else { break }
      guard let v = EventValues.int64(t) else { return outOfRange(f) }
      return want ? .int(v) : nil
    case .uint:
      guard c == minus || isDigit(c) else { break }
      let t = try number()
      consumed = true
      guard t.integral else { break }
      guard let v = EventValues.uint64(t) ?? (t.negative ? nil : UInt64(tokenText(t))) else {
        return outOfRange(f)
      }
      return want ? .uint(v) : nil
    case .bool:
      if c == 0x74 {
        try literal("true")
        return want ? .bool(true) : nil
      }
      if c == 0x66 {
        try literal("false")
        return want ? .bool(false) : nil
      }
    case .timestamp:
      guard c == quote else { break }
      let span = try scanString()
      let ts = timestamp(span)
      guard let ts else {
        fail(f, .invalidValue, EventScanner.notATimestamp)
        return nil
      }
      return want ? .timestamp(ts) : nil
    case .duration:
      guard c == quote else { break }
      let span = try scanString()
      let text = Array(decodeEscaped(span).utf8)
      guard let d = EventValues.duration(text) else {
        fail(f, .invalidValue, "is not a duration (such as \"1.5s\")")
        return nil
      }
      return want ? .duration(d) : nil
    case .string:
      guard c == quote else { break }
      let span = try scanString()
      return want ? .string(makeString(span)) : nil
    case .any, .list, .map, .object, .unsupported:
      break
    }
    // Wrong kind of JSON value (or an integer field given a fraction).
    let got = consumed ? "a number with a fraction or exponent" : EventValues.jsonKind(c)
    if element {
      fail(f, .wrongType, "has an element that is \(got), not \(ValueKind(tag: tag).expected)")
    } else {
      fail(f, .wrongType, "must be \(plan.expected(f)), not \(got)")
    }
    if !consumed { try skipValue(depth: depth) }
    return nil
  }

  // MARK: Results and errors

  @inline(__always)
  func store(_ f: Int, _ v: Value, _ map: inout MapValue?) {
    let read = Int(codes[f].read)
    if read >= 0 { slots[read] = v }
    map?.insert(.string(plan.infos[f].name), v)
  }

  mutating func capture(_ f: Int, _ s: String) {
    if f == plan.idField { eventID = s } else if f == plan.typeField { typeValue = s }
  }

  /// The allowed string the token equals (reusing the schema's String), or nil.
  /// NOTE: `mutating` (it changes nothing) so that the call passes the scanner by reference:
  /// called on a non-mutating method, the whole scanner was copied first (a `memcpy` per call).
  mutating func allowedString(_ f: Int, _ span: StringSpan) -> String? {
    if span.escaped {
      let s = decodeEscaped(span)
      return plan.infos[f].allowedStrings.contains(s) ? s : nil
    }
    let count = span.end - span.start
    let first = Int(codes[f].allowedEntry)
    for e in first..<first + Int(codes[f].allowedCount) where plan.allowedLengths[e] == count {
      let s = plan.allowedStarts[e]
      var j = 0
      while j < count && plan.allowedBytes[s + j] == p[span.start + j] { j += 1 }
      if j == count { return plan.allowedStrings[e] }
    }
    return nil
  }

  /// Records the event's first field error (later ones are not reported).
  mutating func fail(_ f: Int, _ kind: EventError.Kind, _ detail: String) {
    if pending == nil { pending = PendingError(field: f, kind: kind, detail: detail) }
  }

  mutating func mismatch(_ f: Int, depth: Int) throws(EventError) {
    fail(f, .wrongType, "must be \(plan.expected(f)), not \(EventValues.jsonKind(peek()))")
    try skipValue(depth: depth)
  }

  mutating func outOfRange(_ f: Int) -> Value? {
    fail(f, .invalidValue, "is out of range")
    return nil
  }

  func error(_ e: PendingError) -> EventError {
    let path = plan.infos[e.field].path
    let message =
      e.kind == .missingField ? "missing required field '\(path)'\(e.detail)" : "field '\(path)' \(e.detail)"
    return EventError(kind: e.kind, field: path, message: message, eventID: eventID)
  }

  func syntax(_ message: String) -> EventError {
    EventError(kind: .invalidJSON, field: nil, message: "invalid JSON at byte \(i): \(message)", offset: i)
  }

  func tooDeep() -> EventError {
    EventError(
      kind: .tooDeep, field: nil, message: "invalid JSON: nesting deeper than \(EventDecoder.maxDepth)",
      offset: i)
  }

  // MARK: Tokens

  @inline(__always) func peek() -> UInt8 { i < n ? p[i] : 0 }

  @inline(__always)
  mutating func skipSpace() {
    while i < n {
      let c = p[i]
      guard c <= 0x20 && (c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) else { return }
      i += 1
    }
  }

  @inline(__always)
  mutating func literal(_ word: StaticString) throws(EventError) {
    let count = word.utf8CodeUnitCount
    let w = UnsafeRawPointer(word.utf8Start)
    guard count >= 4, n - i >= count else { throw syntax("invalid literal") }
    // In bounds: count >= 4 and n - i >= count, so the four-byte loads at i and i + count - 4
    // (overlapping for "false") read within the line, and within the literal's bytes.
    let x = UnsafeRawPointer(p + i)
    guard x.loadUnaligned(as: UInt32.self) == w.loadUnaligned(as: UInt32.self),
      x.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
        == w.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
    else { throw syntax("invalid literal") }
    i += count
  }

  /// Skips (and validates) any JSON value.
  mutating func skipValue(depth: Int) throws(EventError) {
    let c = peek()
    switch c {
    case quote: _ = try scanString()
    case openBrace, openBracket:
      guard depth < EventDecoder.maxDepth else { throw tooDeep() }
      let isObject = c == openBrace
      let close = isObject ? closeBrace : closeBracket
      i += 1
      skipSpace()
      if peek() == close {
        i += 1
        return
      }
      while true {
        if isObject {
          guard peek() == quote else { throw syntax("expected a string key") }
          _ = try scanString()
          skipSpace()
          guard peek() == colon else { throw syntax("expected ':'") }
          i += 1
          skipSpace()
        }
        try skipValue(depth: depth + 1)
        skipSpace()
        let d = peek()
        if d == comma {
          i += 1
          skipSpace()
          continue
        }
        guard d == close else { throw syntax(isObject ? "expected ',' or '}'" : "expected ',' or ']'") }
        i += 1
        return
      }
    case 0x74: try literal("true")
    case 0x66: try literal("false")
    case 0x6E: try literal("null")
    default:
      if c == minus || isDigit(c) {
        _ = try number()
      } else if c == 0x4E || c == 0x49 {
        throw syntax("NaN and Infinity are not JSON")
      } else if i == n {
        throw syntax("unexpected end of input")
      } else {
        throw syntax("unexpected character")
      }
    }
  }

  /// The common short number at `i` (a `-` or a digit): `-? (0 | [1-9][0-9]*) (. [0-9]+)?` with
  /// at most 15 digits in all, no fraction unless `fraction`, and no exponent. Returns its digits
  /// as an integer and the number of fraction digits, and moves past it; nil (the scanner left
  /// where it was) for anything else, which `number()` scans and reports.
  @inline(__always)
  mutating func shortNumber(fraction: Bool) -> (mantissa: UInt64, scale: Int, negative: Bool)? {
    var k = i
    let negative = p[k] == minus  // i < n: the caller read p[i]
    if negative { k += 1 }
    var mantissa: UInt64 = 0
    var count = 0
    if k < n && p[k] == 0x30 {
      k += 1
      count = 1
    } else {
      while k < n {
        let d = p[k] &- 0x30
        guard d < 10 else { break }
        guard count < 15 else { return nil }
        mantissa = mantissa &* 10 &+ UInt64(d)
        count += 1
        k += 1
      }
      guard count > 0 else { return nil }
    }
    var scale = 0
    if k < n && p[k] == 0x2E {
      guard fraction else { return nil }
      k += 1
      while k < n {
        let d = p[k] &- 0x30
        guard d < 10 else { break }
        guard count < 15 else { return nil }
        mantissa = mantissa &* 10 &+ UInt64(d)
        count += 1
        scale += 1
        k += 1
      }
      guard scale > 0 else { return nil }
    }
    if k < n {
      let c = p[k]
      // More digits (after a leading zero), a second point or an exponent: not short.
      guard c &- 0x30 >= 10, c != 0x2E, c | 0x20 != 0x65 else { return nil }
    }
    i = k
    return (mantissa, scale, negative)
  }

  /// Scans a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
  @inline(__always)
  mutating func number() throws(EventError) -> NumberToken {
    var t = NumberToken(start: i)
    if peek() == minus {
      t.negative = true
      i += 1
    }
    // The digits accumulate in locals, as `NumberToken.add` would: the integer part has no
    // leading zero (it is `0` or starts with 1-9), so its digits are all significant; in the
    // fraction, zeros before the first significant digit only move the exponent.
    var mantissa: UInt64 = 0
    var digits = 0
    var exponent = 0
    var exact = true
    if peek() == 0x30 {
      i += 1
    } else {
      guard isDigit(peek()) else { throw syntax("expected a digit") }
      while i < n {
        let d = p[i] &- 0x30
        guard d < 10 else { break }
        if digits < 19 {
          mantissa = mantissa &* 10 &+ UInt64(d)
          digits += 1
        } else {
          exact = false
        }
        i += 1
      }
    }
    if peek() == 0x2E {
      i += 1
      t.integral = false
      guard isDigit(peek()) else { throw syntax("expected a digit after '.'") }
      while i < n {
        let d = p[i] &- 0x30
        guard d < 10 else { break }
        if mantissa == 0 && d == 0 {
          exponent -= 1
        } else if digits < 19 {
          mantissa = mantissa &* 10 &+ UInt64(d)
          digits += 1
          exponent -= 1
        } else {
          exact = false
        }
        i += 1
      }
    }
    t.mantissa = mantissa
    t.digits = digits
    t.exponent = exponent
    t.exact = exact
    if peek() | 0x20 == 0x65 {
      i += 1
      t.integral = false
      var sign = 1
      if peek() == 0x2B || peek() == minus {
        sign = peek() == minus ? -1 : 1
        i += 1
      }
      guard isDigit(peek()) else { throw syntax("expected a digit in the exponent") }
      var e = 0
      while i < n, isDigit(p[i]) {
        if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }
        i += 1
      }
      t.exponent += sign * e
    }
    t.end = i
    return t
  }

  func tokenText(_ t: NumberToken) -> String {
    String(decoding: UnsafeBufferPointer(start: p + t.start, count: t.end - t.start), as: UTF8.self)
  }

  /// The correctly rounded double of a token outside the fast path (`Double(String)`, as
  /// `JSONReader` does).
  func slowDouble(_ t: NumberToken) -> Double? { Double(tokenText(t)) }

  /// Scans a string at its opening quote, validating escapes (surrogates must pair) and UTF-8.
  @inline(__always)
  mutating func scanString() throws(EventError) -> StringSpan {
    i += 1
    let start = i
    var escaped = false
    var high: UInt8 = 0
    while true {
      // Eight bytes at a time while eight remain (`n - i >= 8`: the unaligned load of p[i..<i+8]
      // is in bounds), up to the first quote, backslash or control byte; the byte loop below
      // handles that byte and the last < 8 bytes of the line.
      while n - i >= 8 {
        let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
        let stop = EventScanner.stopBytes(w)
        if stop == 0 {
          high |= EventScanner.highBits(w)
          i += 8
          continue
        }
        let before = stop.trailingZeroBitCount >> 3  // bytes before the first stop byte
        high |= EventScanner.highBits(w & ((1 << UInt64(before << 3)) &- 1))
        i += before
        break
      }
      guard i < n else { throw syntax("unterminated string") }
      let c = p[i]
      if c == quote { break }
      if c == backslash {
        escaped = true
        try escape()
        continue
      }
      guard c >= 0x20 else { throw syntax("control character in a string") }
      high |= c
      i += 1
    }
    let end = i
    i += 1
    if high >= 0x80 && !validUTF8(start, end) {
      throw EventError(
        kind: .invalidJSON, field: nil, message: "invalid JSON at byte \(start): invalid UTF-8 in a string",
        offset: start)
    }
    return StringSpan(start: start, end: end, escaped: escaped, ascii: high < 0x80)
  }

  /// A word with the high bit set in each byte of `w` (little-endian: byte 0 = the lowest) that
  /// is a quote, a backslash or a control byte (< 0x20); bits above the lowest set one may be
  /// spurious (borrows), so only its position counts.
  @inline(__always)
  static func stopBytes(_ w: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let q = w ^ (ones &* 0x22)
    let b = w ^ (ones &* 0x5C)
    let zeroQ = (q &- ones) & ~q
    let zeroB = (b &- ones) & ~b
    let control = (w &- ones &* 0x20) & ~w
    return (zeroQ | zeroB | control) & highs
  }

  /// The OR of a word's bytes, folded into one byte (its high bit: any non-ASCII byte).
  @inline(__always)
  static func highBits(_ w: UInt64) -> UInt8 {
    UInt8(truncatingIfNeeded: (w & 0x8080_8080_8080_8080) != 0 ? 0x80 : 0)
  }

  /// Validates one escape sequence at its backslash.
  mutating func escape() throws(EventError) {
    i += 1
    guard i < n else { throw syntax("unterminated string") }
    let e = p[i]
    i += 1
    switch e {
    case quote, backslash, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: return
    case 0x75:
      guard let code = hex4(at: i) else { throw syntax("bad \\u escape") }
      i += 4
      if code >= 0xD800 && code < 0xDC00 {
        guard n - i >= 6, p[i] == backslash, p[i + 1] == 0x75, let low = hex4(at: i + 2),
          low >= 0xDC00 && low < 0xE000
        else { throw syntax("unpaired surrogate in a \\u escape") }
        i += 6
      } else if code >= 0xDC00 && code < 0xE000 {
        throw syntax("unpaired surrogate in a \\u escape")
      }
    default: throw syntax("bad escape")
    }
  }

  func hex4(at k: Int) -> UInt32? {
    guard n - k >= 4 else { return nil }
    var v: UInt32 = 0
    for j in k..<k + 4 {
      let c = p[j]
      let d: UInt8
      switch c {
      case 0x30...0x39: d = c - 0x30
      case 0x41...0x46: d = c - 0x41 + 10
      case 0x61...0x66: d = c - 0x61 + 10
      default: return nil
      }
      v = v << 4 | UInt32(d)
    }
    return v
  }

  /// Whether bytes `start..<end` are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
  mutating func validUTF8(_ start: Int, _ end: Int) -> Bool {
    var k = start
    @inline(__always) func cont(_ j: Int) -> Bool { j < end && p[j] & 0xC0 == 0x80 }
    while k < end {
      let c = p[k]
      if c < 0x80 {
        k += 1
      } else if c < 0xC2 {
        return false
      } else if c < 0xE0 {
        guard cont(k + 1) else { return false }
        k += 2
      } else if c < 0xF0 {
        guard cont(k + 1), cont(k + 2) else { return false }
        let b = p[k + 1]
        if (c == 0xE0 && b < 0xA0) || (c == 0xED && b >= 0xA0) { return false }
        k += 3
      } else if c < 0xF5 {
        guard cont(k + 1), cont(k + 2), cont(k + 3) else { return false }
        let b = p[k + 1]
        if (c == 0xF0 && b < 0x90) || (c == 0xF4 && b >= 0x90) { return false }
        k += 4
      } else {
        return false
      }
    }
    return true
  }

  /// The String of a (validated) string token. (`mutating` for the reason `allowedString` is.)
  @inline(__always)
  mutating func makeString(_ s: StringSpan) -> String {
    if s.escaped { return decodeEscaped(s) }
    let count = s.end - s.start
    if s.ascii && count <= SmallASCII.capacity && smallStrings { return smallASCII(s.start, count) }
    return String(decoding: UnsafeBufferPointer(start: p + s.start, count: count), as: UTF8.self)
  }

  /// The small String of `count` ≤ 15 validated ASCII bytes at `start` (see `SmallASCII`): the
  /// bytes read a word at a time when 16 bytes remain in the line, else byte by byte.
  @inline(__always)
  func smallASCII(_ start: Int, _ count: Int) -> String {
    var low: UInt64 = 0
    var high: UInt64 = 0
    if n - start >= 16 {
      // In bounds: n - start >= 16, so both loads read within the line.
      let raw = UnsafeRawPointer(p + start)
      let w0 = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
      let w1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
      if count >= 8 {
        low = w0
        high = w1 & ((1 << UInt64((count - 8) << 3)) &- 1)
      } else {
        low = w0 & ((1 << UInt64(count << 3)) &- 1)
      }
    } else {
      for k in 0..<count {
        let b = UInt64(p[start + k])
        if k < 8 { low |= b << UInt64(k << 3) } else { high |= b << UInt64((k - 8) << 3) }
      }
    }
    return SmallASCII.string(low: low, high: high, count: count)
  }

  /// The timestamp a (validated) string token holds, or nil. (`mutating` for the reason
  /// `allowedString` is.)
  @inline(__always)
  mutating func timestamp(_ s: StringSpan) -> Timestamp? {
    if s.escaped { return Timestamp.parse(decodeEscaped(s), strictUTC: true) }
    return EventValues.timestamp(bytes: UnsafeBufferPointer(start: p + s.start, count: s.end - s.start))
  }

  /// Resolves the escapes of a validated string token.
  func decodeEscaped(_ s: StringSpan) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.end - s.start)
    var k = s.start
    while k < s.end {
      let c = p[k]
      guard c == backslash else {
        out.append(c)
        k += 1
        continue
      }
      let e = p[k + 1]
      k += 2
      switch e {
      case 0x62: out.append(0x08)
      case 0x66: out.append(0x0C)
      case 0x6E: out.append(0x0A)
      case 0x72: out.append(0x0D)
      case 0x74: out.append(0x09)
      case 0x75:
        var code = hex4(at: k) ?? 0xFFFD
        k += 4
        if code >= 0xD800 && code < 0xDC00 {
          let low = hex4(at: k + 2) ?? 0xDC00
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          k += 6
        }
        appendUTF8(code, to: &out)
      default: out.append(e)  // " \ /
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// Appends the UTF-8 encoding of a scalar value.
private func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
  if v < 0x80 {
    out.append(UInt8(v))
  } else if v < 0x800 {
    out.append(UInt8(0xC0 | v >> 6))
    out.append(UInt8(0x80 | v & 0x3F))
  } else if v < 0x10000 {
    out.append(UInt8(0xE0 | v >> 12))
    out.append(UInt8(0x80 | v >> 6 & 0x3F))
    out.append(UInt8(0x80 | v & 0x3F))
  } else {
    out.append(UInt8(0xF0 | v >> 18))
    out.append(UInt8(0x80 | v >> 12 & 0x3F))
    out.append(UInt8(0x80 | v >> 6 & 0x3F))
    out.append(UInt8(0x80 | v & 0x3F))
  }
}
