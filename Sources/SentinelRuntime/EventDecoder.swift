// The event decoder: JSON events decoded straight into the slots of an event schema, in one pass
// over the UTF-8 bytes, with no intermediate dictionary. This file holds the public API and the
// decoding plan compiled from the schema; `EventDecoderScanner.swift` holds the scanner (the only
// code touching raw buffers) and `EventDecoderValues.swift` the scalar parsers.
//
// Validation (REFERENCE_RULES.md, "Events" and "Fine print") is derived from the schema alone:
// required and optional fields, `allowedValues`, defaults, `requiredForTypes`, nested objects,
// lists and maps. What an event is accepted or rejected for never depends on `slotOrder`: every
// known field is type-checked and every string validated whether or not a program reads it.
//
// Duplicate keys: a known field given twice (at any level) rejects the event naming the field.
// JSON leaves duplicates undefined and parsers disagree (first wins, last wins); a fraud engine
// must not decide on a value another component may read differently. Unknown keys are never
// materialized, so their duplicates are ignored; inside `dyn`/map values the last one wins, as
// in `JSONReader`.

import SentinelModel

/// Decodes JSON events (one object per line) into the slots a compiled program reads.
///
/// `slotOrder` is the program's variable table (`program.variables.map(\.name)`): slot `k` of a
/// decoded event holds the value of the qualified variable `slotOrder[k]` (`event.amount`), or
/// nil when the event does not carry it. Names that are not slots of the schema are left alone
/// by `decode(_:into:)` (nil in a fresh `DecodedEvent`). A nested object's slot (`event.geo`)
/// holds a `map` of its declared fields (extra keys are ignored); its fields have slots too.
///
/// The decoder is immutable and `Sendable`: share one across threads.
public struct EventDecoder: Sendable {
  /// The schema events are validated against.
  public let schema: EventSchema
  /// The qualified variable names the decoded slots stand for, in order.
  public let slotOrder: [String]
  let plan: DecoderPlan

  /// Creates a decoder for `schema` filling the slots named by `slotOrder`.
  ///
  /// - Parameters:
  ///   - idField: the top-level string field that identifies an event (reported in errors and
  ///     returned by `decode`); `""` is returned when the schema has no such field.
  ///   - typeField: the top-level string field whose value `requiredForTypes` refers to.
  public init(
    schema: EventSchema, slotOrder: [String], idField: String = "event_id", typeField: String = "type"
  ) {
    self.schema = schema
    self.slotOrder = slotOrder
    self.plan = DecoderPlan(schema: schema, slotOrder: slotOrder, idField: idField, typeField: typeField)
  }

  /// The positions in `slotOrder` whose names are not slots of the schema (never written).
  public var unmappedSlots: [Int] { plan.unmapped }

  /// A slot buffer of the right size, all absent, for `decode(_:into:)`.
  public func makeSlots() -> [Value?] { Array(repeating: nil, count: slotOrder.count) }

  /// Decodes one event from a string (one line; surrounding JSON whitespace is allowed).
  public func decode(_ line: String) throws(EventError) -> DecodedEvent {
    var slots = makeSlots()
    let id = try decode(line, into: &slots)
    return DecodedEvent(eventID: id, slots: slots)
  }

  /// Decodes one event from UTF-8 bytes.
  public func decode(_ line: [UInt8]) throws(EventError) -> DecodedEvent {
    var slots = makeSlots()
    let id = try decode(line, into: &slots)
    return DecodedEvent(eventID: id, slots: slots)
  }

  /// Decodes one event into a reusable slot buffer and returns its id: the allocation-free form
  /// for a stream of events. `slots` is resized to `slotOrder.count` when it has another size.
  /// Every mapped slot is overwritten (nil when absent); on error they are all nil.
  public func decode(_ line: String, into slots: inout [Value?]) throws(EventError) -> String {
    try EventScanner.decode(string: line, plan: plan, slots: &slots)
  }

  /// Decodes one event from a substring (e.g. a line split out of a larger buffer).
  public func decode(_ line: Substring, into slots: inout [Value?]) throws(EventError) -> String {
    try EventScanner.decode(substring: line, plan: plan, slots: &slots)
  }

  /// Decodes one event from UTF-8 bytes into a reusable slot buffer.
  public func decode(_ line: [UInt8], into slots: inout [Value?]) throws(EventError) -> String {
    try EventScanner.decode(bytes: line, plan: plan, slots: &slots)
  }

  /// Decodes one event from a buffer of UTF-8 bytes (e.g. one line of a larger input, without
  /// copying it) into a reusable slot buffer.
  public func decode(_ line: UnsafeBufferPointer<UInt8>, into slots: inout [Value?]) throws(EventError)
    -> String
  {
    try EventScanner.decode(buffer: line, plan: plan, slots: &slots).get()
  }

  /// `decode(_:into:)` predicting each key by the order the lines before took (`KeyOrder`, one
  /// per thread, made by `makeKeyOrder()`): the same result, slots and errors.
  func decode(_ line: UnsafeBufferPointer<UInt8>, into slots: inout [Value?], order: inout KeyOrder)
    throws(EventError) -> String
  {
    guard order.next.count == 2 * (plan.codes.count + plan.objects.count) else {
      return try decode(line, into: &slots)
    }
    return try order.next.withUnsafeMutableBufferPointer { o in
      EventScanner.decode(buffer: line, plan: plan, slots: &slots, order: o.baseAddress)
    }.get()
  }

  /// A key order starting from the declaration order, for `decode(_:into:order:)`.
  func makeKeyOrder() -> KeyOrder {
    KeyOrder(next: (plan.codes.map(\.next) + plan.firstChild).flatMap { [$0, -1] })
  }
}

/// The two keys the scanner predicts after each field (at 2 × the field's index, the most recent
/// first), then first in each object (at 2 × (field count + object)): learnt from the lines
/// decoded before (`EventScanner.object`); -1: none.
struct KeyOrder: Sendable {
  var next: [Int32]
}

/// A decoded event: its id and its slot values in `slotOrder` order (nil = absent).
public struct DecodedEvent: Sendable {
  /// The value of the id field (`event_id`).
  public var eventID: String
  /// One value per name of the decoder's `slotOrder`; nil when the event does not carry it.
  public var slots: [Value?]

  /// Creates a decoded event.
  public init(eventID: String, slots: [Value?]) {
    self.eventID = eventID
    self.slots = slots
  }
}

/// Why an event was rejected. `description` is the error text of a rejected-event line.
public struct EventError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The kind of rejection.
  public enum Kind: Sendable, Hashable {
    /// The line is not valid JSON (including `NaN`, `Infinity`, invalid UTF-8, lone surrogates).
    case invalidJSON
    /// Valid JSON, but not an object.
    case notAnObject
    /// Nesting deeper than `EventDecoder.maxDepth`.
    case tooDeep
    /// A required field (or a field required for the event's type) is absent.
    case missingField
    /// A field holds a JSON value of the wrong kind (`null` included).
    case wrongType
    /// A field holds a value of the right kind that is not acceptable (bad timestamp, number
    /// out of range, a value outside `allowedValues`).
    case invalidValue
    /// A known field occurs twice in the same object.
    case duplicateField
  }

  /// The kind of rejection.
  public var kind: Kind
  /// The offending field as a dotted path (`geo.lat`); nil for errors about the whole line.
  public var field: String?
  /// The error text; it names the field when there is one.
  public var message: String
  /// The event's id, when the event has one that is a string (even after the bad field).
  public var eventID: String?
  /// The byte offset of a JSON syntax error.
  public var offset: Int?

  /// Creates an event error.
  public init(kind: Kind, field: String?, message: String, eventID: String? = nil, offset: Int? = nil) {
    self.kind = kind
    self.field = field
    self.message = message
    self.eventID = eventID
    self.offset = offset
  }

  public var description: String { message }
}

extension EventDecoder {
  /// The deepest nesting of JSON containers accepted in an event (the event object counts 1).
  public static let maxDepth = 64
}

// MARK: - The decoding plan

/// What a field's JSON value is checked and converted against.
enum FieldTag: UInt8, Sendable {
  case string, int, uint, double, bool, timestamp, duration, any, object, list, map, unsupported
}

/// The type of a list element or map value (no declared fields, no slots).
indirect enum ValueKind: Sendable {
  case string, int, uint, double, bool, timestamp, duration, any
  case list(ValueKind)
  case map(ValueKind)
  case unsupported

  init(_ t: CELType) {
    switch t {
    case .string: self = .string
    case .int: self = .int
    case .uint: self = .uint
    case .double: self = .double
    case .bool: self = .bool
    case .timestamp: self = .timestamp
    case .duration: self = .duration
    case .dyn: self = .any
    case .list(let e): self = .list(ValueKind(e))
    case .map(let k, let v): self = (k == .string || k == .dyn) ? .map(ValueKind(v)) : .unsupported
    default: self = .unsupported
    }
  }

  /// The expected kind, as error messages say it ("must be a number").
  var expected: String {
    switch self {
    case .string: return "a string"
    case .int: return "an integer"
    case .uint: return "a non-negative integer"
    case .double: return "a number"
    case .bool: return "a boolean"
    case .timestamp: return "a string (an RFC 3339 UTC timestamp)"
    case .duration: return "a string (a duration such as \"1.5s\")"
    case .any: return "a JSON value"
    case .list: return "a list"
    case .map: return "an object"
    case .unsupported: return "a value of a supported type"
    }
  }
}

/// The hot, trivially copyable part of a field's plan.
struct FieldCode: Sendable {
  var tag: FieldTag
  /// Position in `slotOrder`, or -1 when no program slot reads the field.
  var read: Int32
  /// For an object field: the index of its `ObjectPlan`.
  var object: Int32
  /// Whether the value is needed as a `Value` even when unread (id and type fields).
  var capture: Bool
  var hasAllowed: Bool
  /// The next declared field of the same object (the key predicted after this one), or -1.
  var next: Int32 = -1
  /// The key followed by its closing quote and a colon as little-endian words in
  /// `DecoderPlan.keyWords` (zero-padded): the first word's index, the word count (0 = never
  /// predicted: a key with bytes that need the general path) and the byte count (with `":`).
  var keyWord: Int32 = 0
  var keyWordCount: Int32 = 0
  var keyLength: Int32 = 0
  /// The field's string allowed values: entries `allowedEntry..<allowedEntry + allowedCount` of
  /// `DecoderPlan.allowedStrings` (and its byte tables).
  var allowedEntry: Int32 = 0
  var allowedCount: Int32 = 0
  /// `FieldInfo.optional`, whether `FieldInfo.defaultValue` is set, and `FieldInfo.parent`: read
  /// per event for the fields an event lacks, so kept here with the hot part.
  var optional = false
  var hasDefault = false
  var parent: Int32 = -1
}

/// The cold part of a field's plan.
struct FieldInfo: Sendable {
  var name: String
  /// Dotted path below the event (`geo.lat`), as errors name the field.
  var path: String
  var type: CELType
  var optional: Bool
  var defaultValue: Value?
  var allowed: [Value]?
  /// The string allowed values.
  var allowedStrings: [String]
  var requiredForTypes: [String]?
  /// Element or value kind of a list or map field; the kind of a scalar field.
  var kind: ValueKind
  /// The field index of the enclosing object field, or -1 at the top level.
  var parent: Int
}

/// A nested object (or the event itself, object 0): its fields and a key table.
struct ObjectPlan: Sendable {
  /// Field indices of the declared fields, in declaration order.
  var children: [Int]
  var keys: KeyTable
  /// Whether to build the object's `map` value (its slot, or an enclosing one, is read).
  var build: Bool
  /// The children's bits in `SeenSet.low` when every child index is below 64 (then an object
  /// whose children were all seen skips the missing-field loop), else 0.
  var childMask: UInt64 = 0
}

/// Open-addressing table from a key's bytes to a field index. The hash is computed from the
/// length and the first and last bytes, which `EventScanner` has at hand after scanning a key;
/// candidates are verified by a full byte comparison. Measured against a linear scan comparing
/// lengths then bytes: no difference beyond noise for the 14 keys of the reference schema
/// (~1.2 µs/event either way); the table is kept because it stays O(1) for larger schemas.
struct KeyTable: Sendable {
  /// Concatenated UTF-8 key bytes.
  var bytes: [UInt8] = []
  var starts: [Int] = []
  var lengths: [Int] = []
  var fields: [Int] = []
  /// Entry index per bucket, -1 = empty; the count is a power of two.
  var buckets: [Int] = []
  var mask = 0

  init(_ names: [(String, Int)]) {
    var size = 4
    while size < names.count * 2 { size *= 2 }
    buckets = Array(repeating: -1, count: size)
    mask = size - 1
    for (name, field) in names {
      let b = Array(name.utf8)
      let entry = starts.count
      starts.append(bytes.count)
      lengths.append(b.count)
      fields.append(field)
      bytes.append(contentsOf: b)
      var h = KeyTable.hash(count: b.count, first: b.first ?? 0, last: b.last ?? 0) & mask
      while buckets[h] >= 0 { h = (h + 1) & mask }
      buckets[h] = entry
    }
  }

  @inline(__always)
  static func hash(count: Int, first: UInt8, last: UInt8) -> Int {
    let x =
      UInt32(truncatingIfNeeded: count) &* 0x9E37_79B1 ^ UInt32(first) &* 0x85EB_CA77
      ^ UInt32(last) &* 0xC2B2_AE3D
    return Int(x ^ (x >> 15))
  }

  /// The field for a key given as bytes (used for keys that contained escapes).
  func lookup(_ key: [UInt8]) -> Int {
    var h = KeyTable.hash(count: key.count, first: key.first ?? 0, last: key.last ?? 0) & mask
    while true {
      let e = buckets[h]
      if e < 0 { return -1 }
      if lengths[e] == key.count && bytes[starts[e]..<starts[e] + lengths[e]].elementsEqual(key) {
        return fields[e]
      }
      h = (h + 1) & mask
    }
  }
}

/// Everything `EventScanner` needs, compiled once from the schema and the slot order.
///
/// `@unchecked Sendable`: besides immutable arrays, the plan owns `codeTable`, `keyWordTable`
/// and `keyMaskTable`, memory it allocates and fills in `init`, never writes again, and frees in
/// `deinit`; the scanner reads it only while it holds the plan.
final class DecoderPlan: @unchecked Sendable {
  /// Indexed by field index = schema slot index (depth first, declaration order).
  let codes: [FieldCode]
  let infos: [FieldInfo]
  /// Object 0 is the event itself.
  let objects: [ObjectPlan]
  /// Every position of `slotOrder` the decoder writes.
  let mapped: [Int]
  let unmapped: [Int]
  /// The fields a slot reads, and their bits in `SeenSet.low` when all are below 64 (else 0).
  let mappedFields: [Int]
  let mappedFieldMask: UInt64
  /// Fields with `requiredForTypes`.
  let conditional: [Int]
  let idField: Int
  let typeField: Int
  /// Per object: its first declared field (the first key predicted), or -1.
  let firstChild: [Int32]
  /// The predicted keys' words (see `FieldCode.keyWord`) and a mask per word: all ones except
  /// for a key's last word, which covers only its bytes.
  let keyWords: [UInt64]
  let keyMasks: [UInt64]
  /// Every field's string allowed values, flat: the schema's String, its UTF-8 bytes' start in
  /// `allowedBytes` and their count (matched against a token without building a String).
  let allowedStrings: [String]
  let allowedStarts: [Int]
  let allowedLengths: [Int]
  let allowedBytes: [UInt8]
  let slotCount: Int
  let slotOrderCount: Int
  /// `codes`, `keyWords` and `keyMasks` again, in memory the plan owns, for the scanner's hot
  /// path (one load per read: no array buffer to reach through the plan, no bounds check).
  /// INVARIANT: a field index (`codes.indices`) and a key word index (`keyWords.indices`) are in
  /// bounds of these tables.
  /// NOTE: alone, no gain beyond noise in `bench/decode-peer.sh` (at load ~11); kept because the
  /// flat path reads `codes` once per field with nothing else in the way. The branch's whole
  /// change: peer events 961–980 → 655–663 ns (docs/performance.md, branch `s11-decode`).
  let codeTable: UnsafeMutablePointer<FieldCode>
  let keyWordTable: UnsafeMutablePointer<UInt64>
  let keyMaskTable: UnsafeMutablePointer<UInt64>
  /// `SmallASCII.available`, checked once (the scanner builds short strings with it).
  let smallStrings = SmallASCII.available

  deinit {
    codeTable.deinitialize(count: codes.count)
    codeTable.deallocate()
    keyWordTable.deallocate()
    keyMaskTable.deallocate()
  }

  init(schema: EventSchema, slotOrder: [String], idField: String, typeField: String) {
    var position: [String: Int] = [:]
    for (k, name) in slotOrder.enumerated() where position[name] == nil { position[name] = k }
    var codes: [FieldCode] = []
    var infos: [FieldInfo] = []
    var objects: [ObjectPlan] = [ObjectPlan(children: [], keys: KeyTable([]), build: false)]
    var mapped: [Int] = []

    func add(_ fs: [SchemaField], object o: Int, parent: Int, prefix: String, building: Bool) {
      var names: [(String, Int)] = []
      for f in fs {
        let index = codes.count
        let path = prefix.isEmpty ? f.name : prefix + "." + f.name
        let read = position[schema.variable + "." + path] ?? -1
        if read >= 0 { mapped.append(read) }
        let tag: FieldTag
        if f.isObject {
          tag = .object
        } else {
          switch ValueKind(f.type) {
          case .string: tag = .string
          case .int: tag = .int
          case .uint: tag = .uint
          case .double: tag = .double
          case .bool: tag = .bool
          case .timestamp: tag = .timestamp
          case .duration: tag = .duration
          case .any: tag = .any
          case .list: tag = .list
          case .map: tag = .map
          case .unsupported: tag = .unsupported
          }
        }
        let topLevel = parent < 0
        let capture = topLevel && tag == .string && (f.name == idField || f.name == typeField)
        let allowedStrings: [String] =
          f.allowedValues?.compactMap { v in
            if case .string(let s) = v { return s }
            return nil
          } ?? []
        codes.append(
          FieldCode(
            tag: tag, read: Int32(read), object: -1, capture: capture, hasAllowed: f.allowedValues != nil,
            optional: f.optional, hasDefault: f.defaultValue != nil, parent: Int32(parent)))
        infos.append(
          FieldInfo(
            name: f.name, path: path, type: f.type, optional: f.optional, defaultValue: f.defaultValue,
            allowed: f.allowedValues, allowedStrings: allowedStrings, requiredForTypes: f.requiredForTypes,
            kind: ValueKind(f.type), parent: parent))
        names.append((f.name, index))
        objects[o].children.append(index)
        if f.isObject {
          let child = objects.count
          let build = building || read >= 0
          objects.append(ObjectPlan(children: [], keys: KeyTable([]), build: build))
          codes[index].object = Int32(child)
          add(f.fields, object: child, parent: index, prefix: path, building: build)
        }
      }
      objects[o].keys = KeyTable(names)
    }
    add(schema.fields, object: 0, parent: -1, prefix: "", building: false)

    // Key prediction: events usually list their keys in declaration order, so the scanner first
    // compares the bytes after a key's opening quote with the key it expects next (the
    // declared field after the previous one) and `":`. Only for keys of printable ASCII other
    // than quote and backslash, unique in their object: then equal bytes followed by the closing
    // quote are exactly the token the general path would scan and look up to the same field.
    var keyWords: [UInt64] = []
    var keyMasks: [UInt64] = []
    for o in objects {
      for (k, f) in o.children.enumerated() {
        codes[f].next = k + 1 < o.children.count ? Int32(o.children[k + 1]) : -1
        let name = infos[f].name
        let plain = name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
        let unique = o.children.filter { infos[$0].name == name }.count == 1
        guard plain, unique else { continue }
        let bytes = Array(name.utf8) + [0x22, 0x3A]
        codes[f].keyWord = Int32(keyWords.count)
        codes[f].keyWordCount = Int32((bytes.count + 7) / 8)
        codes[f].keyLength = Int32(bytes.count)
        var w = 0
        while w * 8 < bytes.count {
          var word: UInt64 = 0
          for (j, b) in bytes[(w * 8)..<min(bytes.count, w * 8 + 8)].enumerated() {
            word |= UInt64(b) << UInt64(8 * j)
          }
          keyWords.append(word)
          keyMasks.append(~0)
          w += 1
        }
        let tail = bytes.count - (w - 1) * 8
        keyMasks[keyMasks.count - 1] = tail == 8 ? ~0 : (1 << UInt64(8 * tail)) - 1
      }
    }
    for o in objects.indices where objects[o].children.allSatisfy({ $0 < 64 }) {
      objects[o].childMask = objects[o].children.reduce(0) { $0 | 1 << UInt64($1) }
    }
    var allowedStrings: [String] = []
    var allowedStarts: [Int] = []
    var allowedLengths: [Int] = []
    var allowedBytes: [UInt8] = []
    for f in codes.indices {
      codes[f].allowedEntry = Int32(allowedStrings.count)
      codes[f].allowedCount = Int32(infos[f].allowedStrings.count)
      for a in infos[f].allowedStrings {
        allowedStrings.append(a)
        allowedStarts.append(allowedBytes.count)
        allowedLengths.append(a.utf8.count)
        allowedBytes.append(contentsOf: a.utf8)
      }
    }
    self.allowedStrings = allowedStrings
    self.allowedStarts = allowedStarts
    self.allowedLengths = allowedLengths
    self.allowedBytes = allowedBytes
    let mappedFields = codes.indices.filter { codes[$0].read >= 0 }
    self.mappedFields = mappedFields
    self.mappedFieldMask =
      mappedFields.allSatisfy { $0 < 64 } ? mappedFields.reduce(0) { $0 | 1 << UInt64($1) } : 0
    self.firstChild = objects.map { $0.children.first.map { Int32($0) } ?? -1 }
    self.keyWords = keyWords
    self.keyMasks = keyMasks

    self.codes = codes
    self.infos = infos
    self.objects = objects
    self.mapped = mapped
    self.unmapped = slotOrder.indices.filter { k in !mapped.contains(k) }
    self.conditional = infos.indices.filter { infos[$0].requiredForTypes != nil }
    self.idField = objects[0].children.first { infos[$0].name == idField && codes[$0].tag == .string } ?? -1
    self.typeField =
      objects[0].children.first { infos[$0].name == typeField && codes[$0].tag == .string } ?? -1
    self.slotCount = codes.count
    self.slotOrderCount = slotOrder.count
    codeTable = UnsafeMutablePointer<FieldCode>.allocate(capacity: max(1, codes.count))
    codeTable.initialize(from: codes, count: codes.count)
    keyWordTable = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, keyWords.count))
    keyWordTable.initialize(from: keyWords, count: keyWords.count)
    keyMaskTable = UnsafeMutablePointer<UInt64>.allocate(capacity: max(1, keyMasks.count))
    keyMaskTable.initialize(from: keyMasks, count: keyMasks.count)
  }

  /// The expected kind of a field's value, as error messages say it.
  func expected(_ f: Int) -> String {
    switch codes[f].tag {
    case .object:
      let names = objects[Int(codes[f].object)].children.map { infos[$0].name }
      return "an object {" + names.joined(separator: ", ") + "}"
    default: return infos[f].kind.expected
    }
  }
}

/// The set of fields seen in the current event (a bit per field index).
struct SeenSet {
  var low: UInt64 = 0
  var high: [UInt64]

  init(count: Int) { high = count > 64 ? Array(repeating: 0, count: (count - 1) / 64) : [] }

  @inline(__always) func contains(_ k: Int) -> Bool {
    k < 64 ? low & (1 << UInt64(k)) != 0 : high[(k >> 6) - 1] & (1 << UInt64(k & 63)) != 0
  }

  @inline(__always) mutating func insert(_ k: Int) {
    if k < 64 { low |= 1 << UInt64(k) } else { high[(k >> 6) - 1] |= 1 << UInt64(k & 63) }
  }
}
