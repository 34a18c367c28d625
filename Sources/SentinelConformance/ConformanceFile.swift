// The conformance files' schema (fixtures/cel-conformance/README.md, "JSON schema") as Swift
// types, and the loader: `loadConformanceFiles(paths:)`.

import Foundation
import SentinelModel

/// One conformance file: the tests of one upstream `.textproto`, grouped in sections.
public struct ConformanceFile: Sendable {
  /// Where the file was read from ("" when decoded from memory).
  public var path: String
  /// The upstream `SimpleTestFile.name` (e.g. `basic`; `type_deduction.json` says `type_deductions`).
  public var name: String
  /// The upstream description.
  public var description: String
  /// The upstream file, e.g. `tests/simple/testdata/basic.textproto`.
  public var source: String
  /// The extension library the file tests (`math`, `string`, …), or nil for the core files.
  public var ext: String?
  /// The sections, in file order.
  public var sections: [ConformanceSection]
  /// `visible` or `holdout`.
  public var split: String

  /// Creates a file.
  public init(
    path: String = "", name: String, description: String = "", source: String = "", ext: String? = nil,
    sections: [ConformanceSection], split: String = "visible"
  ) {
    self.path = path
    self.name = name
    self.description = description
    self.source = source
    self.ext = ext
    self.sections = sections
    self.split = split
  }

  /// The name reports use: the file's base name (`basic.json`), or `name.json` without a path.
  public var displayName: String {
    path.isEmpty ? "\(name).json" : URL(fileURLWithPath: path).lastPathComponent
  }

  /// Every test, section by section, in file order.
  public var tests: [ConformanceTest] { sections.flatMap(\.tests) }
}

/// A section of a conformance file.
public struct ConformanceSection: Sendable {
  /// The section name, e.g. `self_eval_zeroish`.
  public var name: String
  /// The upstream description.
  public var description: String
  /// The tests, in file order.
  public var tests: [ConformanceTest]

  /// Creates a section.
  public init(name: String, description: String = "", tests: [ConformanceTest]) {
    self.name = name
    self.description = description
    self.tests = tests
  }
}

/// One conformance test, with every key of the schema's TEST object (VALUE and TYPE trees decoded).
public struct ConformanceTest: Sendable {
  /// `<file>/<section>/<test name>`, unique (a repeated name gets `#2`).
  public var id: String
  /// The test name; not always unique within a section (use `id`).
  public var name: String
  /// The upstream description, "" if none.
  public var description: String
  /// The name of the section the test is in.
  public var section: String
  /// The CEL source text.
  public var expr: String
  /// Parse without macro expansion.
  public var disableMacros: Bool
  /// Skip the type-check phase: evaluate the parsed expression unchecked.
  public var disableCheck: Bool
  /// Skip evaluation: only the checker's deduced type is tested.
  public var checkOnly: Bool
  /// The container (namespace) for name resolution, "" if none.
  public var container: String
  /// The evaluation locale, "" if none.
  public var locale: String
  /// Declarations for the checker.
  public var typeEnv: [ConformanceDecl]
  /// The activation for evaluation, by variable name.
  public var bindings: [String: ConformanceDecoded<Value>]
  /// What the test expects.
  public var expected: ConformanceExpectation
  /// The test involves protobuf messages (see the README).
  public var needsProto: Bool
  /// Why `needsProto` is true, e.g. `expr_construct:TestAllTypes`.
  public var needsProtoReasons: [String]
  /// Well-known protobuf types in the test's values that were converted to plain CEL values.
  public var wktConverted: [String]
  /// The extension library the test needs (`math`, `string`, …), nil for core tests.
  public var ext: String?

  /// Creates a test; the defaults describe a core test expecting `true`.
  public init(
    id: String, name: String? = nil, description: String = "", section: String = "", expr: String,
    disableMacros: Bool = false, disableCheck: Bool = false, checkOnly: Bool = false,
    container: String = "", locale: String = "", typeEnv: [ConformanceDecl] = [],
    bindings: [String: ConformanceDecoded<Value>] = [:],
    expected: ConformanceExpectation = .value(.supported(.bool(true)), implicit: true),
    needsProto: Bool = false, needsProtoReasons: [String] = [], wktConverted: [String] = [],
    ext: String? = nil
  ) {
    self.id = id
    self.name = name ?? String(id.split(separator: "/").last ?? Substring(id))
    self.description = description
    self.section = section
    self.expr = expr
    self.disableMacros = disableMacros
    self.disableCheck = disableCheck
    self.checkOnly = checkOnly
    self.container = container
    self.locale = locale
    self.typeEnv = typeEnv
    self.bindings = bindings
    self.expected = expected
    self.needsProto = needsProto
    self.needsProtoReasons = needsProtoReasons
    self.wktConverted = wktConverted
    self.ext = ext
  }

  /// The bindings that decoded to `Value`s (all of them when `unsupportedReasons` is empty).
  public var bindingValues: [String: Value] { bindings.compactMapValues(\.supported) }

  /// Every VALUE or TYPE in the test that has no SentinelModel counterpart (in bindings, the
  /// expectation or the declarations), as readable reasons. The runner skips a test with any.
  public var unsupportedReasons: [String] {
    var out: [String] = []
    for (name, v) in bindings.sorted(by: { $0.key < $1.key }) {
      if let r = v.unsupportedReason { out.append("binding \(name): \(r)") }
    }
    out += expected.unsupportedReasons
    for d in typeEnv { out += d.unsupportedReasons }
    return out
  }
}

/// An error the test expects (informative only: any error satisfies an error expectation).
public struct ConformanceExpectedError: Sendable, Hashable {
  /// The upstream message.
  public var message: String
  /// The upstream code, if any.
  public var code: Int64?

  /// Creates an expected error.
  public init(message: String, code: Int64? = nil) {
    self.message = message
    self.code = code
  }
}

/// What a test expects (the schema's EXPECTED).
public enum ConformanceExpectation: Sendable {
  /// Evaluation must succeed with this value; `implicit` when the upstream test has no matcher.
  case value(ConformanceDecoded<Value>, implicit: Bool)
  /// Evaluation must fail (with any error).
  case evalError(message: String, errors: [ConformanceExpectedError])
  /// The checker must deduce this type; when `value` is set, evaluation must also produce it.
  case typedResult(
    deducedType: String, deducedTypeTree: ConformanceDecoded<CELType>,
    value: ConformanceDecoded<Value>?)
  /// Evaluation must fail with one of these error sets (any error is accepted).
  case anyEvalErrors([[ConformanceExpectedError]])
  /// The result must be an unknown set with these expression ids.
  case unknown([Int64])
  /// The result must be one of these unknown sets.
  case anyUnknowns([[Int64]])
  /// A `kind` this harness does not know; the runner skips the test.
  case unrecognized(kind: String, json: ConformanceJSON)

  /// The schema's `kind` string.
  public var kind: String {
    switch self {
    case .value: return "value"
    case .evalError: return "eval_error"
    case .typedResult: return "typed_result"
    case .anyEvalErrors: return "any_eval_errors"
    case .unknown: return "unknown"
    case .anyUnknowns: return "any_unknowns"
    case .unrecognized(let kind, _): return kind
    }
  }

  /// Reasons the expectation cannot be judged with SentinelModel values and types.
  public var unsupportedReasons: [String] {
    switch self {
    case .value(let v, _):
      return v.unsupportedReason.map { ["expected value: \($0)"] } ?? []
    case .typedResult(_, let tree, let value):
      var out: [String] = []
      if let r = tree.unsupportedReason { out.append("expected type: \(r)") }
      if let r = value?.unsupportedReason { out.append("expected value: \(r)") }
      return out
    case .evalError, .anyEvalErrors:
      return []
    case .unknown, .anyUnknowns:
      return ["expected an unknown set (unknowns are not modelled)"]
    case .unrecognized(let kind, _):
      return ["unknown expectation kind \"\(kind)\""]
    }
  }
}

/// A declaration in a test's `type_env`.
public enum ConformanceDecl: Sendable {
  /// A variable (or constant, with `value`).
  case ident(ConformanceIdentDecl)
  /// A function with its overloads.
  case function(ConformanceFunctionDecl)

  /// The declared name.
  public var name: String {
    switch self {
    case .ident(let d): return d.name
    case .function(let f): return f.name
    }
  }

  /// Reasons the declaration cannot be expressed with SentinelModel types and values.
  public var unsupportedReasons: [String] {
    switch self {
    case .ident(let d):
      var out: [String] = []
      if let r = d.typeTree.unsupportedReason { out.append("declaration \(d.name): \(r)") }
      if let r = d.value?.unsupportedReason { out.append("declaration \(d.name) value: \(r)") }
      return out
    case .function(let f):
      var out: [String] = []
      for o in f.overloads {
        for t in o.paramTypes + [o.resultTypeTree] {
          if let r = t.unsupportedReason { out.append("overload \(o.overloadID): \(r)") }
        }
      }
      return out
    }
  }
}

/// `{"kind": "ident", ...}`: a variable declaration.
public struct ConformanceIdentDecl: Sendable {
  /// The variable name (possibly qualified, e.g. `a.b`).
  public var name: String
  /// The type in CEL notation, e.g. `list(int)`.
  public var type: String
  /// The type, decoded.
  public var typeTree: ConformanceDecoded<CELType>
  /// A constant value, if the declaration has one.
  public var value: ConformanceDecoded<Value>?
  /// Documentation, if any.
  public var doc: String?

  /// Creates an ident declaration.
  public init(
    name: String, type: String, typeTree: ConformanceDecoded<CELType>,
    value: ConformanceDecoded<Value>? = nil, doc: String? = nil
  ) {
    self.name = name
    self.type = type
    self.typeTree = typeTree
    self.value = value
    self.doc = doc
  }
}

/// `{"kind": "function", ...}`: a function declaration.
public struct ConformanceFunctionDecl: Sendable {
  /// The function name.
  public var name: String
  /// Documentation, if any.
  public var doc: String?
  /// The overloads.
  public var overloads: [ConformanceOverloadDecl]

  /// Creates a function declaration.
  public init(name: String, doc: String? = nil, overloads: [ConformanceOverloadDecl]) {
    self.name = name
    self.doc = doc
    self.overloads = overloads
  }
}

/// One overload of a declared function.
public struct ConformanceOverloadDecl: Sendable {
  /// The overload id, e.g. `fn_string_int`.
  public var overloadID: String
  /// The parameter types in CEL notation (the receiver first for instance functions).
  public var params: [String]
  /// The parameter types, decoded.
  public var paramTypes: [ConformanceDecoded<CELType>]
  /// The result type in CEL notation.
  public var resultType: String
  /// The result type, decoded.
  public var resultTypeTree: ConformanceDecoded<CELType>
  /// The overload's type parameters, e.g. `["T"]`.
  public var typeParams: [String]
  /// Whether the overload is called as `receiver.fn(args)`.
  public var isInstanceFunction: Bool
  /// Documentation, if any.
  public var doc: String?

  /// Creates an overload declaration.
  public init(
    overloadID: String, params: [String], paramTypes: [ConformanceDecoded<CELType>], resultType: String,
    resultTypeTree: ConformanceDecoded<CELType>, typeParams: [String] = [], isInstanceFunction: Bool = false,
    doc: String? = nil
  ) {
    self.overloadID = overloadID
    self.params = params
    self.paramTypes = paramTypes
    self.resultType = resultType
    self.resultTypeTree = resultTypeTree
    self.typeParams = typeParams
    self.isInstanceFunction = isInstanceFunction
    self.doc = doc
  }
}

// MARK: - Decoding

/// A conformance file that could not be read: which file, and what is wrong with it.
public struct ConformanceLoadError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The file (or directory) path.
  public var file: String
  /// What is wrong, including the JSON path for structural problems.
  public var message: String

  /// Creates a load error.
  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  public var description: String { "\(file): \(message)" }
}

extension ConformanceFile {
  /// Decodes a conformance file from JSON data; `path` is recorded and names the file in errors.
  public static func decode(_ data: Data, path: String) throws(ConformanceLoadError) -> ConformanceFile {
    let json: ConformanceJSON
    do {
      json = try ConformanceJSON.parse(data)
    } catch {
      throw ConformanceLoadError(file: path, message: "invalid JSON: \(describeJSONError(error))")
    }
    do {
      return try decode(JSONReader(json), path: path)
    } catch {
      throw ConformanceLoadError(file: path, message: error.description)
    }
  }

  /// Decodes a conformance file from an already parsed JSON tree.
  public static func decode(
    _ json: ConformanceJSON, path: String
  ) throws(ConformanceFormatError) -> ConformanceFile {
    try decode(JSONReader(json), path: path)
  }

  private static func decode(_ r: JSONReader, path: String) throws(ConformanceFormatError) -> ConformanceFile
  {
    let ext = try r.optionalKey("ext")?.optionalString()
    var sections: [ConformanceSection] = []
    for s in try r.key("sections").array() {
      let sectionName = try s.key("name").string()
      var tests: [ConformanceTest] = []
      for t in try s.key("tests").array() {
        tests.append(try decodeTest(t, section: sectionName))
      }
      sections.append(
        ConformanceSection(
          name: sectionName, description: try s.optionalKey("description")?.string() ?? "", tests: tests))
    }
    return ConformanceFile(
      path: path, name: try r.key("name").string(),
      description: try r.optionalKey("description")?.string() ?? "",
      source: try r.optionalKey("source")?.string() ?? "", ext: ext, sections: sections,
      split: try r.optionalKey("split")?.string() ?? "")
  }

  private static func decodeTest(_ t: JSONReader, section: String) throws(ConformanceFormatError)
    -> ConformanceTest
  {
    let id = try t.key("id").string()
    do {
      var bindings: [String: ConformanceDecoded<Value>] = [:]
      for (name, v) in try t.key("bindings").members() {
        bindings[name] = try ConformanceValueDecoding.value(from: v.json, path: v.path)
      }
      var env: [ConformanceDecl] = []
      for d in try t.key("type_env").array() { env.append(try decodeDecl(d)) }
      return ConformanceTest(
        id: id, name: try t.key("name").string(), description: try t.key("description").string(),
        section: section, expr: try t.key("expr").string(),
        disableMacros: try t.key("disable_macros").bool(), disableCheck: try t.key("disable_check").bool(),
        checkOnly: try t.key("check_only").bool(), container: try t.key("container").string(),
        locale: try t.key("locale").string(), typeEnv: env, bindings: bindings,
        expected: try decodeExpected(try t.key("expected")), needsProto: try t.key("needs_proto").bool(),
        needsProtoReasons: try t.key("needs_proto_reasons").strings(),
        wktConverted: try t.key("wkt_converted").strings(), ext: try t.key("ext").optionalString())
    } catch {
      throw ConformanceFormatError(path: error.path, message: "\(error.message) (test \"\(id)\")")
    }
  }

  private static func decodeExpected(_ e: JSONReader) throws(ConformanceFormatError) -> ConformanceExpectation
  {
    func value(_ r: JSONReader) throws(ConformanceFormatError) -> ConformanceDecoded<Value> {
      try ConformanceValueDecoding.value(from: r.json, path: r.path)
    }
    func errors(_ r: JSONReader) throws(ConformanceFormatError) -> [ConformanceExpectedError] {
      var out: [ConformanceExpectedError] = []
      for x in try r.array() {
        out.append(
          ConformanceExpectedError(
            message: try x.optionalKey("message")?.string() ?? "", code: try x.optionalKey("code")?.integer())
        )
      }
      return out
    }
    func ids(_ r: JSONReader) throws(ConformanceFormatError) -> [Int64] {
      var out: [Int64] = []
      for x in try r.array() { out.append(try x.integer()) }
      return out
    }
    let kind = try e.key("kind").string()
    switch kind {
    case "value":
      return .value(try value(try e.key("value")), implicit: try e.optionalKey("implicit")?.bool() ?? false)
    case "eval_error":
      return .evalError(
        message: try e.optionalKey("message")?.string() ?? "",
        errors: try e.optionalKey("errors").map { (r) throws(ConformanceFormatError) in try errors(r) } ?? [])
    case "typed_result":
      let tree = try e.key("deduced_type_tree")
      return .typedResult(
        deducedType: try e.key("deduced_type").string(),
        deducedTypeTree: try ConformanceValueDecoding.type(from: tree.json, path: tree.path),
        value: try e.optionalKey("value").map { (r) throws(ConformanceFormatError) in try value(r) })
    case "any_eval_errors":
      var sets: [[ConformanceExpectedError]] = []
      for s in try e.key("any_eval_errors").array() { sets.append(try errors(s)) }
      return .anyEvalErrors(sets)
    case "unknown":
      return .unknown(try ids(try e.key("unknown")))
    case "any_unknowns":
      var sets: [[Int64]] = []
      for s in try e.key("any_unknowns").array() { sets.append(try ids(s)) }
      return .anyUnknowns(sets)
    default:
      return .unrecognized(kind: kind, json: e.json)
    }
  }

  private static func decodeDecl(_ d: JSONReader) throws(ConformanceFormatError) -> ConformanceDecl {
    func type(_ r: JSONReader) throws(ConformanceFormatError) -> ConformanceDecoded<CELType> {
      try ConformanceValueDecoding.type(from: r.json, path: r.path)
    }
    let kind = try d.key("kind").string()
    let name = try d.key("name").string()
    let doc = try d.optionalKey("doc")?.string()
    switch kind {
    case "ident":
      let v = try d.optionalKey("value")
      return .ident(
        ConformanceIdentDecl(
          name: name, type: try d.key("type").string(), typeTree: try type(try d.key("type_tree")),
          value: try v.map { (r) throws(ConformanceFormatError) in
            try ConformanceValueDecoding.value(from: r.json, path: r.path)
          }, doc: doc))
    case "function":
      var overloads: [ConformanceOverloadDecl] = []
      for o in try d.key("overloads").array() {
        var paramTypes: [ConformanceDecoded<CELType>] = []
        for p in try o.key("params_tree").array() { paramTypes.append(try type(p)) }
        overloads.append(
          ConformanceOverloadDecl(
            overloadID: try o.key("overload_id").string(), params: try o.key("params").strings(),
            paramTypes: paramTypes, resultType: try o.key("result_type").string(),
            resultTypeTree: try type(try o.key("result_type_tree")),
            typeParams: try o.optionalKey("type_params")?.strings() ?? [],
            isInstanceFunction: try o.optionalKey("is_instance_function")?.bool() ?? false,
            doc: try o.optionalKey("doc")?.string()))
      }
      return .function(ConformanceFunctionDecl(name: name, doc: doc, overloads: overloads))
    default:
      throw try d.key("kind").fail("unknown declaration kind \"\(kind)\"")
    }
  }
}

/// A readable description of a JSON parse error (`JSONSerialization` puts the position in
/// `NSDebugDescription`; `localizedDescription` only says the data is not in the correct format).
private func describeJSONError(_ error: any Error) -> String {
  if let e = error as? ConformanceFormatError { return e.description }
  let ns = error as NSError
  if let debug = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return debug }
  if let e = error as? DecodingError {
    switch e {
    case .dataCorrupted(let ctx), .typeMismatch(_, let ctx), .valueNotFound(_, let ctx),
      .keyNotFound(_, let ctx):
      return ctx.debugDescription
    @unknown default:
      return "\(e)"
    }
  }
  return ns.localizedDescription
}

// MARK: - Loading

/// Loads conformance files from files and directories. A directory contributes its `*.json` files
/// (not recursively, sorted by name) that are test files — JSON objects with a `"sections"` key;
/// other JSON there is skipped. A path given explicitly must be a test file.
/// - Throws: `ConformanceLoadError` naming the file and the problem (missing, unreadable, invalid
///   JSON with its position, or a schema violation with its JSON path and test id).
public func loadConformanceFiles(paths: [String]) throws -> [ConformanceFile] {
  let fm = FileManager.default
  var out: [ConformanceFile] = []
  for path in paths {
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ConformanceLoadError(file: path, message: "no such file or directory")
    }
    if isDirectory.boolValue {
      let names: [String]
      do {
        names = try fm.contentsOfDirectory(atPath: path)
      } catch {
        throw ConformanceLoadError(
          file: path, message: "cannot list directory: \(error.localizedDescription)")
      }
      var found = 0
      for name in names.sorted() where name.hasSuffix(".json") {
        let file = path.hasSuffix("/") ? path + name : path + "/" + name
        let json = try readJSON(file)
        guard isTestFile(json) else { continue }
        out.append(try decodeLoaded(json, path: file))
        found += 1
      }
      if found == 0 {
        throw ConformanceLoadError(
          file: path, message: "no conformance test files (*.json with \"sections\")")
      }
    } else {
      let json = try readJSON(path)
      guard isTestFile(json) else {
        throw ConformanceLoadError(
          file: path, message: "not a conformance test file: the top-level object has no \"sections\" key")
      }
      out.append(try decodeLoaded(json, path: path))
    }
  }
  return out
}

private func readJSON(_ path: String) throws(ConformanceLoadError) -> ConformanceJSON {
  let data: Data
  do {
    data = try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw ConformanceLoadError(file: path, message: "cannot read file: \(error.localizedDescription)")
  }
  do {
    return try ConformanceJSON.parse(data)
  } catch {
    throw ConformanceLoadError(file: path, message: "invalid JSON: \(describeJSONError(error))")
  }
}

private func isTestFile(_ json: ConformanceJSON) -> Bool {
  if case .object(let o) = json { return o["sections"] != nil }
  return false
}

private func decodeLoaded(_ json: ConformanceJSON, path: String) throws(ConformanceLoadError)
  -> ConformanceFile
{
  do {
    return try ConformanceFile.decode(json, path: path)
  } catch {
    throw ConformanceLoadError(file: path, message: error.description)
  }
}
