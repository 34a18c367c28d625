// Run-time lists (`runtime list` in a rule set; BundleRuntimeList): the values a processor puts
// in their two slots, and the conversion of entries given as text (the API's JSON strings, the
// stored rows) into values of the list's element type.
//
// A `RuntimeListValue` is built once per change of a list — the list and its hash set both —
// and installed in the processor's slots between two events; deciding an event never builds it.

import SentinelBytecode
import SentinelModel

/// The contents of one run-time list: its entries, as a list and as a set (map keys).
public struct RuntimeListValue: Sendable {
  /// The element type.
  public let elementType: CELType
  /// The entries, in order, without duplicates (the first of each kept).
  public let entries: [Value]
  /// `entries` as the list slot's value.
  let list: Value
  /// `entries` as the set slot's value: each entry a key mapped to `true`.
  let set: Value

  /// The value of a list whose entries are `entries`, all of type `elementType`; repeated
  /// entries are dropped.
  public init(elementType: CELType, entries: [Value]) {
    self.elementType = elementType
    var map = MapValue()
    var unique: [Value] = []
    unique.reserveCapacity(entries.count)
    for v in entries where map.insert(v, .bool(true)) { unique.append(v) }
    self.entries = unique
    list = .list(unique)
    set = .map(map)
  }

  /// The bundle's default value of `list`.
  public init(default list: BundleRuntimeList) {
    self.init(elementType: list.elementType, entries: list.entries)
  }

  /// The entries as text, as the API shows them and the store keeps them.
  public var texts: [String] { entries.map(Self.text) }

  /// The text of an entry: the string itself, or the decimal number.
  public static func text(_ v: Value) -> String {
    switch v {
    case .string(let s): return s
    case .int(let i): return String(i)
    case .uint(let u): return String(u)
    default: return Value.render(v)
    }
  }

  /// The value of entry text `s` for `elementType`, or nil when it does not fit: any string
  /// for `string`; a decimal integer (optional `-`) in range for `int`; a decimal integer in
  /// range for `uint`.
  public static func value(_ s: String, _ elementType: CELType) -> Value? {
    switch elementType {
    case .string: return .string(s)
    case .int:
      guard isDecimal(s, signed: true), let i = Int64(s) else { return nil }
      return .int(i)
    case .uint:
      guard isDecimal(s, signed: false), let u = UInt64(s) else { return nil }
      return .uint(u)
    default: return nil
    }
  }

  static func isDecimal(_ s: String, signed: Bool) -> Bool {
    var digits = Substring(s)
    if signed, digits.first == "-" { digits = digits.dropFirst() }
    return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
  }

  /// The values of `texts` for `elementType`, or a message naming the first entry that does not
  /// fit (`entry 3 ("12a") is not an int`).
  public static func values(_ texts: [String], _ elementType: CELType) -> Result<[Value], RuntimeListError> {
    var out: [Value] = []
    out.reserveCapacity(texts.count)
    for (i, s) in texts.enumerated() {
      guard let v = value(s, elementType) else {
        let shown = s.count > 40 ? String(s.prefix(37)) + "..." : s
        let article = elementType == .string ? "a" : elementType == .int ? "an" : "a"
        return .failure(
          RuntimeListError(
            message: "entry \(i) (\(JSONWriter.quote(shown))) is not \(article) \(elementType):"
              + " the list holds \(elementType) values written as decimal strings"))
      }
      out.append(v)
    }
    return .success(out)
  }
}

/// Why entries do not fit a run-time list.
public struct RuntimeListError: Error, Sendable, Hashable {
  /// One line naming the entry and the problem.
  public var message: String
}

extension RuntimeListValue {
  /// Puts every run-time list of `bundle` at its default into `slots`, a slot buffer in the
  /// order of the variable table `names` (for code that runs a program without an
  /// `EventProcessor`, such as `sentinel bench`).
  public static func fillDefaults(_ slots: inout [Value?], names: [String], bundle: Bundle) {
    guard !bundle.runtimeLists.isEmpty else { return }
    for l in bundle.runtimeLists {
      let value = RuntimeListValue(default: l)
      for (k, n) in names.enumerated() where k < slots.count {
        if n == l.listSlot { slots[k] = value.list }
        if n == l.setSlot { slots[k] = value.set }
      }
    }
  }
}
