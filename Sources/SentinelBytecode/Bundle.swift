// A bundle: one compiled rule set, as `sentinel compile` writes it and the runtime loads it —
// the program, the rule table, the decision policy, the event schema, a source map, and the
// compiler version, sealed by a SHA-256 digest and optionally an Ed25519 signature.
// The binary layout is documented in docs/bytecode.md ("Bundles").

import SentinelModel

/// What a matching rule contributes to the decision.
public enum RuleOutcome: UInt8, Sendable, Hashable, CaseIterable {
  /// Only its score counts.
  case score = 0
  case review = 1
  /// Ranks with review (step-up authentication flows).
  case challenge = 2
  case block = 3

  /// The lowercase name used in rule files and decisions.
  public var name: String {
    switch self {
    case .score: return "score"
    case .review: return "review"
    case .challenge: return "challenge"
    case .block: return "block"
    }
  }
}

/// One rule of the rule table. Rule `i`'s condition value is written by `rule _, i`.
public struct RuleEntry: Sendable, Hashable {
  public var id: String
  public var name: String
  public var category: String
  public var tags: [String]
  public var outcome: RuleOutcome
  public var score: Int
  public var reason: String
  /// Index into `Bundle.sourceFiles` and the span of the rule's condition in that file.
  public var file: Int
  public var span: Span

  public init(
    id: String, name: String, category: String = "", tags: [String] = [], outcome: RuleOutcome,
    score: Int, reason: String = "", file: Int = 0, span: Span = .none
  ) {
    self.id = id
    self.name = name
    self.category = category
    self.tags = tags
    self.outcome = outcome
    self.score = score
    self.reason = reason
    self.file = file
    self.span = span
  }
}

/// How matched rules combine into an action (defaults: REFERENCE_RULES.md's policy).
public struct DecisionPolicy: Sendable, Hashable {
  /// Total score at or above which the action is at least `review`.
  public var reviewThreshold: Int
  /// Total score at or above which the action is `block`; nil for none.
  public var blockThreshold: Int?

  public init(reviewThreshold: Int = 70, blockThreshold: Int? = nil) {
    self.reviewThreshold = reviewThreshold
    self.blockThreshold = blockThreshold
  }
}

/// A source file a bundle was compiled from (for explanations and disassembly).
public struct SourceFile: Sendable, Hashable {
  public var name: String
  public var text: String
  public init(name: String, text: String) {
    self.name = name
    self.text = text
  }
}

/// A compiled rule set.
public struct Bundle: Sendable {
  /// The bundle format version this build writes (2: aggregates and the state program;
  /// 3: screening lists; 4: run-time lists; 5: the aggregates' demands).
  public static let formatVersion: UInt16 = 5
  /// The format versions this build reads: a version 3 bundle has no section 10 (no run-time
  /// lists), a version 3 or 4 bundle no demands (every aggregate is read for every event); both
  /// load as before.
  public static let readableVersions: ClosedRange<UInt16> = 3...5

  /// The format version this bundle is written in: 5 when it names demands, else 4 when it has
  /// run-time lists, else 3 (so such bundles stay byte for byte what earlier builds wrote, and
  /// load there).
  public var encodedVersion: UInt16 {
    if !aggregateDemands.isEmpty { return 5 }
    return runtimeLists.isEmpty ? 3 : 4
  }

  /// The compiler that produced it (e.g. `sentinel 0.1.0`).
  public var compilerVersion: String
  public var schema: EventSchema
  public var program: Program
  public var rules: [RuleEntry]
  public var policy: DecisionPolicy
  public var sourceFiles: [SourceFile]
  /// The declared aggregates (stateful rules), in declaration order.
  public var aggregates: [AggregateSpec]
  /// The program that computes, for each aggregate `i`, its key (result `3i`), whether the event
  /// matches its filter (`3i + 1`) and its `of` value (`3i + 2`, null for `count`); nil when the
  /// rule set declares no aggregates. It runs before `program`, on the same event variables.
  public var stateProgram: Program?
  /// For each rule (same order as `rules`), the indices of the aggregates its condition or its
  /// reason reads.
  public var ruleReads: [[Int]]
  /// For each aggregate, empty or in order: the state program result (a filter, `3j + 1`) that,
  /// when it is `false` for an event, rules out every rule that reads the aggregate, so that the
  /// runtime need not read it for that event; -1: read for every event. Empty: every aggregate is
  /// read for every event (section 7, format 5).
  public var aggregateDemands: [Int] = []
  /// The screening lists `screen(name, list)` calls read, by name (section 9).
  public var screeningLists: [BundleScreeningList] = []
  /// The lists declared `runtime list`, with their default entries (section 10).
  public var runtimeLists: [BundleRuntimeList] = []

  public init(
    compilerVersion: String, schema: EventSchema, program: Program, rules: [RuleEntry],
    policy: DecisionPolicy = DecisionPolicy(), sourceFiles: [SourceFile] = [],
    aggregates: [AggregateSpec] = [], stateProgram: Program? = nil, ruleReads: [[Int]]? = nil
  ) {
    self.compilerVersion = compilerVersion
    self.schema = schema
    self.program = program
    self.rules = rules
    self.policy = policy
    self.sourceFiles = sourceFiles
    self.aggregates = aggregates
    self.stateProgram = stateProgram
    self.ruleReads = ruleReads ?? Array(repeating: [], count: rules.count)
  }
}
