// The YAML front end: a YAML rule file → the same `RuleFile` AST as the textual DSL.
//
//     Source ──Yams.compose──▶ Node ──YAMLDocument──▶ YNode (byte spans)
//            ──RuleFileReader──▶ [Declaration]   (CEL strings parsed by CELParser; seed
//                                                 conditions translated to CEL text first)
//
// Files: YAMLDocument.swift (composition, spans, duplicate keys, merge keys), ScalarText.swift
// (scalar positions, YAML 1.2 core typing, syntax errors), EmbeddedCEL.swift (CEL text with a
// span map back into the file), RuleFileReader*.swift (the format: top level, declarations,
// aggregates, rules, seed conditions), TypeNotation.swift, Suggestions.swift. The format is documented in
// docs/yaml.md.
//
// Every error in a file is reported (a YAML syntax error stops the file: there is no tree to
// read past it). CEL errors keep their own codes (`E0001`…, see `SyntaxCode`), with spans
// inside the YAML file.

import SentinelModel
import SentinelSyntax

/// The diagnostic codes of the YAML front end.
///
/// | code    | meaning                                                                          |
/// |---------|----------------------------------------------------------------------------------|
/// | `E0301` | invalid YAML (from the YAML parser, at its mark): syntax, tabs, undefined alias… |
/// | `E0302` | a key repeated in one mapping                                                    |
/// | `E0303` | a node of the wrong kind (a mapping, a list or a scalar was expected)            |
/// | `E0304` | an unknown key (top level, rule, schema field, list, aggregate, policy), with a suggestion |
/// | `E0305` | a required key or value is missing (a rule's `id`, a field's `type`, an operator) |
/// | `E0306` | an invalid scalar: not a boolean / integer / string, out of range, empty, or an unsupported tag |
/// | `E0307` | an unknown rule action                                                           |
/// | `E0308` | an unknown operator in seed `conditions`                                         |
/// | `E0309` | an invalid operand for a seed operator (`between` needs two values…)              |
/// | `E0310` | an invalid name: list, condition or field name, field path, rule id             |
/// | `E0311` | an unknown or malformed type                                                     |
/// | `E0312` | keys that cannot be used together (`values` and `file`, `type` and `fields`)      |
/// | `E0313` | a document nested too deeply or expanding to too many nodes (aliases)             |
/// | `E0314` | an unknown aggregate kind, with a suggestion                                     |
/// | `E0315` | an invalid window: not a duration (`60`, `5x`), not positive, or too long        |
/// | `W0301` | `required_for` on a field that is not optional (it is required for every type)   |
/// | `W0302` | a default on a field that is not optional (the default is never used)            |
/// | `W0303` | a repeated tag or event type in a list (the repeat is dropped)                   |
public enum YAMLCode {
  /// `E0301`: the text is not valid YAML.
  public static let syntax = "E0301"
  /// `E0302`: a key repeated in one mapping.
  public static let duplicateKey = "E0302"
  /// `E0303`: a node of the wrong kind.
  public static let wrongKind = "E0303"
  /// `E0304`: an unknown key.
  public static let unknownKey = "E0304"
  /// `E0305`: a required key or value is missing.
  public static let missingKey = "E0305"
  /// `E0306`: an invalid scalar value.
  public static let invalidValue = "E0306"
  /// `E0307`: an unknown rule action.
  public static let unknownAction = "E0307"
  /// `E0308`: an unknown seed condition operator.
  public static let unknownOperator = "E0308"
  /// `E0309`: an invalid operand for a seed condition operator.
  public static let invalidOperand = "E0309"
  /// `E0310`: an invalid name or field path.
  public static let invalidName = "E0310"
  /// `E0311`: an unknown or malformed type.
  public static let unknownType = "E0311"
  /// `E0312`: keys that exclude each other.
  public static let conflictingKeys = "E0312"
  /// `E0313`: a document past the nesting or size limits.
  public static let limitExceeded = "E0313"
  /// `E0314`: an unknown aggregate kind.
  public static let unknownAggregateKind = "E0314"
  /// `E0315`: a window that is not a positive duration.
  public static let invalidWindow = "E0315"

  /// `W0301`: `required_for` on a required field.
  public static let requiredForOnRequired = "W0301"
  /// `W0302`: a default on a required field.
  public static let defaultOnRequired = "W0302"
  /// `W0303`: a repeated tag or event type.
  public static let duplicateEntry = "W0303"

  /// Every code, in order.
  public static let all = [
    syntax, duplicateKey, wrongKind, unknownKey, missingKey, invalidValue, unknownAction, unknownOperator,
    invalidOperand, invalidName, unknownType, conflictingKeys, limitExceeded, unknownAggregateKind,
    invalidWindow, requiredForOnRequired, defaultOnRequired, duplicateEntry,
  ]
}

/// Parses YAML rule files (the seed SentinelIQ format and the full format; docs/yaml.md).
public enum YAMLRuleParser {
  /// Parses a YAML rule file. Reports every error it finds, ordered by position, with spans
  /// into `source`. As `RuleParser.parse`: returns the declarations that parsed even when there
  /// are errors (a rule or an aggregate with an error is kept without its faulty keys, other declarations with
  /// an error are left out); nil only when there are errors and no declaration parsed (always
  /// after a YAML syntax error). Never traps on any input.
  public static func parse(_ source: Source) -> (RuleFile?, [Diagnostic]) {
    let (root, loaded) = YAMLDocument.load(source)
    guard let root else { return (nil, finish(loaded)) }
    var reader = RuleFileReader(source: source, diagnostics: loaded)
    let declarations = reader.readFile(root)
    let diagnostics = finish(reader.diagnostics)
    if declarations.isEmpty && diagnostics.hasErrors { return (nil, diagnostics) }
    return (RuleFile(source: source, declarations: declarations), diagnostics)
  }

  /// The CEL text that a seed `conditions:` mapping (given as YAML text) translates to, e.g.
  /// `country_code: {in: ["KP"]}` → `event.country_code in ["KP"]`; nil on errors. An empty
  /// mapping gives the empty string.
  public static func conditionsCEL(_ yaml: String, variable: String = "event") -> (String?, [Diagnostic]) {
    let source = Source(name: "<conditions>", text: yaml)
    let (root, loaded) = YAMLDocument.load(source)
    guard let root else { return (nil, finish(loaded)) }
    var reader = RuleFileReader(source: source, diagnostics: loaded)
    reader.variable = variable
    let text = reader.translate(conditions: root)
    let diagnostics = finish(reader.diagnostics)
    return (diagnostics.hasErrors ? nil : text?.text ?? "", diagnostics)
  }

  /// The category a seed section name stands for: `velocity_rules` → `velocity`; a name without
  /// the `_rules` suffix is kept as written.
  public static func category(forSection name: String) -> String {
    name.hasSuffix("_rules") && name.count > "_rules".count ? String(name.dropLast("_rules".count)) : name
  }

  /// Diagnostics without repeats (aliases can report one place twice), ordered by position.
  static func finish(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
    var seen = Set<Diagnostic>()
    let unique = diagnostics.filter { seen.insert($0).inserted }
    return unique.enumerated()
      .sorted { ($0.element.span.start, $0.offset) < ($1.element.span.start, $1.offset) }
      .map(\.element)
  }
}
