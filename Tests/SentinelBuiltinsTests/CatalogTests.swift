@testable import SentinelBuiltins
import SentinelModel
import Testing

/// cel-go's standard-library overload ids that must be present.
let standardIDs: [String] =
  [
    "logical_not", "logical_and", "logical_or", "conditional", "not_strictly_false", "equals", "not_equals",
    "add_int64", "add_uint64", "add_double", "add_string", "add_bytes", "add_list", "add_timestamp_duration",
    "add_duration_timestamp", "add_duration_duration", "subtract_int64", "subtract_uint64", "subtract_double",
    "subtract_timestamp_timestamp", "subtract_timestamp_duration", "subtract_duration_duration",
    "multiply_int64",
    "multiply_uint64", "multiply_double", "divide_int64", "divide_uint64", "divide_double", "modulo_int64",
    "modulo_uint64", "negate_int64", "negate_double", "index_list", "index_map", "in_list", "in_map",
    "size_string",
    "size_bytes", "size_list", "size_map", "string_size", "bytes_size", "list_size", "map_size",
    "contains_string",
    "ends_with_string", "starts_with_string", "matches", "matches_string", "timestamp_to_year",
    "timestamp_to_year_with_tz", "timestamp_to_month", "timestamp_to_month_with_tz",
    "timestamp_to_day_of_year",
    "timestamp_to_day_of_year_with_tz", "timestamp_to_day_of_month", "timestamp_to_day_of_month_with_tz",
    "timestamp_to_day_of_month_1_based", "timestamp_to_day_of_month_1_based_with_tz",
    "timestamp_to_day_of_week",
    "timestamp_to_day_of_week_with_tz", "timestamp_to_hours", "timestamp_to_hours_with_tz",
    "timestamp_to_minutes",
    "timestamp_to_minutes_with_tz", "timestamp_to_seconds", "timestamp_to_seconds_tz",
    "timestamp_to_milliseconds",
    "timestamp_to_milliseconds_with_tz", "duration_to_hours", "duration_to_minutes", "duration_to_seconds",
    "duration_to_milliseconds", "int64_to_int64", "uint64_to_int64", "double_to_int64", "string_to_int64",
    "timestamp_to_int64", "duration_to_int64", "uint64_to_uint64", "int64_to_uint64", "double_to_uint64",
    "string_to_uint64", "double_to_double", "int64_to_double", "uint64_to_double", "string_to_double",
    "bool_to_bool",
    "string_to_bool", "bytes_to_bytes", "string_to_bytes", "string_to_string", "bool_to_string",
    "int64_to_string",
    "uint64_to_string", "double_to_string", "bytes_to_string", "timestamp_to_string", "duration_to_string",
    "timestamp_to_timestamp", "string_to_timestamp", "int64_to_timestamp", "duration_to_duration",
    "string_to_duration", "type", "to_dyn", "optional_of", "optional_ofNonZeroValue", "optional_none",
    "optional_value", "optional_hasValue", "optional_or_optional", "optional_orValue_value",
    "select_optional_field",
    "list_optindex_optional_int", "optional_list_optindex_optional_int", "map_optindex_optional_value",
    "optional_map_optindex_optional_value", "optional_list_index_int", "optional_map_index_value",
    "@mapInsert_map_key_value", "@mapInsert_map_map",
  ]
  + ["less", "less_equals", "greater", "greater_equals"].flatMap { p in
    [
      "bool", "int64", "int64_double", "int64_uint64", "uint64", "uint64_double", "uint64_int64", "double",
      "double_int64", "double_uint64", "string", "bytes", "timestamp", "duration",
    ].map { "\(p)_\($0)" }
  }

let extensionIDs: [String] = [
  "string_char_at_int", "string_index_of_string", "string_index_of_string_int", "string_last_index_of_string",
  "string_last_index_of_string_int", "string_lower_ascii", "string_upper_ascii",
  "string_replace_string_string",
  "string_replace_string_string_int", "string_split_string", "string_split_string_int",
  "string_substring_int",
  "string_substring_int_int", "string_trim", "string_reverse", "list_join", "list_join_string",
  "strings_quote",
  "string_format", "math_@max_int", "math_@max_int_double", "math_@max_list_uint", "math_@min_double_uint",
  "math_ceil_double", "math_floor_double", "math_round_double", "math_trunc_double", "math_isInf_double",
  "math_isNaN_double", "math_isFinite_double", "math_abs_int", "math_sign_uint", "math_sqrt_double",
  "math_bitAnd_int_int", "math_bitOr_uint_uint", "math_bitXor_int_int", "math_bitNot_int_int",
  "math_bitShiftLeft_uint_int", "math_bitShiftRight_int_int", "base64_encode_bytes", "base64_decode_string",
]

@Test func standardIDsArePresent() {
  for id in standardIDs {
    #expect(Builtins.standard.index(ofID: id) != nil, "missing \(id)")
  }
  for id in extensionIDs {
    #expect(Builtins.standard.index(ofID: id) == nil, "\(id) belongs to an extension")
    #expect(Builtins.all.index(ofID: id) != nil, "missing \(id)")
  }
}

@Test func idsAreUnique() {
  let parts: [[Overload]] = [
    Logic.overloads, Equality.overloads, Comparison.overloads, Arithmetic.overloads, Lists.overloads,
    Maps.overloads, Strings.overloads, Conversions.overloads, TimeFunctions.overloads, Types.overloads,
    Optionals.overloads, StringsExtension.overloads, StringFormat.overloads, MathExtension.overloads,
    Encoders.overloads, Geo.overloads,
  ]
  let ids = parts.flatMap { $0.map(\.id) }
  #expect(Set(ids).count == ids.count)
  #expect(Builtins.all.overloads.count == ids.count)
}

@Test func signaturesAreWellFormed() {
  for o in Builtins.all.overloads {
    if o.isReceiver { #expect(o.arity >= 1, "\(o.id)") }
    switch o.implementation {
    case .unary: #expect(o.arity == 1, "\(o.id)")
    case .binary: #expect(o.arity == 2, "\(o.id)")
    case .ternary: #expect(o.arity == 3, "\(o.id)")
    case .nary: break
    }
    #expect(o.cost >= 1, "\(o.id)")
    // A generic result must be determined by the parameters.
    func params(_ t: CELType, _ out: inout Set<String>) {
      switch t {
      case .typeParam(let n): out.insert(n)
      case .list(let e): params(e, &out)
      case .map(let k, let v):
        params(k, &out)
        params(v, &out)
      case .optional(let e): params(e, &out)
      case .type(let e?): params(e, &out)
      default: break
      }
    }
    var inParams = Set<String>()
    for p in o.params { params(p, &inParams) }
    var inResult = Set<String>()
    params(o.result, &inResult)
    let exempt: Set<String> = ["optional_none", "select_optional_field"]  // checker special cases
    if !exempt.contains(o.id) {
      #expect(inResult.isSubset(of: inParams), "\(o.id): result mentions unbound type parameters")
    }
  }
  #expect(Builtins.nonStrictFunctions.allSatisfy { Builtins.standard.hasFunction($0) })
}

@Test func receiverAndGlobalStylesAreSeparate() {
  #expect(same(call("size", .string("abc")), .int(3)))
  #expect(same(method(.string("abc"), "size"), .int(3)))
  // `contains` exists only as a receiver function.
  #expect(call("contains", .string("abc"), .string("b")).isError)
}

/// Every overload, called with arguments of every kind (including out-of-range timestamps and
/// durations built outside CEL), returns a value instead of trapping.
@Test func noOverloadTrapsOnBadInput() {
  var m = MapValue()
  m.insert(.string("k"), .int(1))
  m.insert(.int(2), .null)
  let pool: [Value] = [
    .null, .bool(true), .int(0), .int(-1), .int(.min), .int(.max), .int(64), .uint(0), .uint(.max),
    .double(0), .double(-0.5), .double(.nan), .double(.infinity), .double(-.infinity), .double(1e300),
    .string(""), .string("é%d\u{301}"), .string("+05:30"), .string("America/New_York"), .bytes([]),
    .bytes([0xFF]), .list([]), .list([.int(1), .string("x")]), .map(MapValue()), .map(m),
    .timestamp(Timestamp(seconds: .max, nanos: 0)), .timestamp(Timestamp(seconds: .min, nanos: 0)),
    .timestamp(Timestamp(seconds: 0, nanos: 5)), .duration(Duration(seconds: .max, nanos: 0)),
    .duration(Duration(seconds: .min, nanos: -1)), .duration(Duration(seconds: 1, nanos: 0)),
    .type(.int), .optional(nil), .optional(.int(1)), .optional(.list([.int(1)])),
  ]
  var calls = 0
  for (i, o) in Builtins.all.overloads.enumerated() {
    switch o.arity {
    case 0:
      _ = Builtins.all.invoke(i, [])
      calls += 1
    case 1:
      for a in pool {
        _ = Builtins.all.invoke(i, [a])
        calls += 1
      }
    case 2:
      for a in pool {
        for b in pool {
          _ = Builtins.all.invoke(i, [a, b])
          calls += 1
        }
      }
    default:
      // A deterministic sample of argument tuples.
      var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(i + 1)
      for _ in 0..<600 {
        var args: [Value] = []
        for _ in 0..<o.arity {
          seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          args.append(pool[Int((seed >> 33) % UInt64(pool.count))])
        }
        _ = Builtins.all.invoke(i, args)
        calls += 1
      }
    }
  }
  #expect(calls > 10_000)
}
