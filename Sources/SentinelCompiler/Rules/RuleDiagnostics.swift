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
//   W0401  unused list
//   W0402  unused condition
//   W0403  duplicate rule id
//   W0404  a rule that can never match (its condition is constantly false or an error)
//   W0405  a condition reads an optional event field without a `has()` guard or default
//   W0406  a rule with neither an action nor a score (it can never affect a decision)

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
  public static let unusedList = "W0401"
  public static let unusedCondition = "W0402"
  public static let duplicateRuleID = "W0403"
  public static let neverMatches = "W0404"
  public static let unguardedOptional = "W0405"
  public static let noEffect = "W0406"
}
