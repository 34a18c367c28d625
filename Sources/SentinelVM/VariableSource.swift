// Where the VM reads an event's variables from: the boxed slots (`[Value?]`, what every caller
// builds) or a typed record (`EventRecord.View`: unboxed scalars and string bytes). `execute` is
// generic over the source and specialized for each (no existential per read); the typed tests
// read scalars and string bytes through `int`, `double` and `withUTF8`, the other instructions
// a `Value?` through `value`. Measured in docs/performance.md ("VM: typed per-event records").

import SentinelModel

/// The variables of one run, indexed like `program.program.variables`. A slot at or past
/// `slotCount`, or without a value, reads as unbound.
public protocol VariableSource {
  /// The number of slots the source holds.
  var slotCount: Int { get }
  /// Slot `i` (below `slotCount`) as a `Value?`; a record materializes a string here.
  func value(_ i: Int) -> Value?
  /// The int in slot `i` (below `slotCount`), or nil when it holds no int.
  func int(_ i: Int) -> Int64?
  /// The double in slot `i` (below `slotCount`), or nil when it holds no double.
  func double(_ i: Int) -> Double?
  /// `body` on the UTF-8 bytes of the string in slot `i` (below `slotCount`), or nil when it
  /// holds no string (or its bytes are not contiguous).
  func withUTF8<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R?
  /// The string in slot `i` (below `slotCount`), or nil when it holds no string.
  func string(_ i: Int) -> String?
}

extension Array: VariableSource where Element == Value? {
  /// `count`.
  @inlinable public var slotCount: Int { count }
  /// `self[i]`.
  @inlinable public func value(_ i: Int) -> Value? { self[i] }
  /// The slot's int.
  @inlinable public func int(_ i: Int) -> Int64? {
    if case .int(let x)? = self[i] { return x }
    return nil
  }
  /// The slot's double.
  @inlinable public func double(_ i: Int) -> Double? {
    if case .double(let x)? = self[i] { return x }
    return nil
  }
  /// The slot string's contiguous UTF-8 (a native string's; nil for a bridged one).
  @inlinable public func withUTF8<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
    if case .string(let x)? = self[i] { return x.utf8.withContiguousStorageIfAvailable(body) }
    return nil
  }
  /// The slot's string.
  @inlinable public func string(_ i: Int) -> String? {
    if case .string(let x)? = self[i] { return x }
    return nil
  }
}

extension EventRecord.View: VariableSource {
  /// The record's slot count.
  @inlinable public var slotCount: Int { kinds.count }
  /// The slot as a `Value?` (a string materialized).
  @inlinable public func value(_ i: Int) -> Value? {
    switch kinds[i] {
    case EventRecord.Kind.unbound.rawValue: return nil
    case EventRecord.Kind.bool.rawValue: return .bool(words[i] != 0)
    case EventRecord.Kind.int.rawValue: return .int(Int64(bitPattern: words[i]))
    case EventRecord.Kind.double.rawValue: return .double(Double(bitPattern: words[i]))
    default: return record.value(i)
    }
  }
  /// The slot's int.
  @inlinable public func int(_ i: Int) -> Int64? {
    kinds[i] == EventRecord.Kind.int.rawValue ? Int64(bitPattern: words[i]) : nil
  }
  /// The slot's double.
  @inlinable public func double(_ i: Int) -> Double? {
    kinds[i] == EventRecord.Kind.double.rawValue ? Double(bitPattern: words[i]) : nil
  }
  /// The slot string's bytes in the record.
  @inlinable public func withUTF8<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
    kinds[i] == EventRecord.Kind.string.rawValue ? body(utf8(i)) : nil
  }
  /// The slot's string, materialized.
  @inlinable public func string(_ i: Int) -> String? {
    kinds[i] == EventRecord.Kind.string.rawValue ? String(decoding: utf8(i), as: UTF8.self) : nil
  }
}
