// The rule compiler's diagnostic codes (docs/diagnostics.md lists every front end's codes).
//
//   E0401  more than one schema in a rule set
//   E0402  invalid schema field (type, default or allowed values)
//   E0403  duplicate name (list, condition, or a name that shadows the event variable)
//   E0404  invalid list (element not a constant, wrong element type, unknown format)
//   E0405  a list file cannot be read
//   E0406  named conditions refer to each other in a cycle
//   E0407  a rule condition is not a bool
//   E0408  more than one policy, or an invalid threshold
//   E0409  a rule without a condition
//   E0410  a rule file cannot be read (missing, unreadable, not UTF-8)
//   E0411  no rule files found under the given paths
//   E0412  an aggregate without a `kind`
//   E0413  an aggregate without a `key`
//   E0414  an aggregate's `of` is missing (every kind but count needs one) or not allowed (count)
//   E0415  an aggregate expression of the wrong type (`where` not bool; `of` not a number for
//          sum and stats)
//   E0416  aggregates need the schema's required `ts: timestamp` field (their event time)
//   E0417  a malformed reason template (a `{` placeholder without its `}`)
//   E0418  an invalid run-time list (elements not string, int or uint; a screening list)
//   W0401  unused list
//   W0402  unused condition
//   W0403  duplicate rule id
//   W0404  a rule that can never match (its condition is constantly false or an error)
//   W0405  a condition reads an optional event field without a `has()` guard or default
//   W0406  a rule with neither an action nor a score (it can never affect a decision)
//   W0407  an aggregate that no rule or condition reads

/// Codes of the rule compiler's diagnostics.
public enum RuleCode {
  public static let duplicateSchema = "E0401"
  public static let invalidField = "E0402"
  public static let duplicateName = "E0403"
  public static let invalidList = "E0404"
  public static let unreadableList = "E0405"
  public static let conditionCycle = "E0406"
  public static let notBool = "E0407"
  public static let invalidPolicy = "E0408"
  public static let missingCondition = "E0409"
  public static let unreadableFile = "E0410"
  public static let noRuleFiles = "E0411"
  public static let aggregateWithoutKind = "E0412"
  public static let aggregateWithoutKey = "E0413"
  public static let aggregateValue = "E0414"
  public static let aggregateType = "E0415"
  public static let aggregateNeedsTime = "E0416"
  public static let invalidReason = "E0417"
  public static let invalidRuntimeList = "E0418"
  public static let unusedList = "W0401"
  public static let unusedCondition = "W0402"
  public static let duplicateRuleID = "W0403"
  public static let neverMatches = "W0404"
  public static let unguardedOptional = "W0405"
  public static let noEffect = "W0406"
  public static let unusedAggregate = "W0407"
}
