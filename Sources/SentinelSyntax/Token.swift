// CEL tokens, as the lexer produces them (cel-spec langdef.md, "Syntax": the lexis).

import SentinelModel

/// The kind of a CEL token, with the decoded value of literals and identifiers.
public enum TokenKind: Sendable, Equatable {
  /// The end of the input (always the last token).
  case endOfInput
  /// Text the lexer could not turn into a token; it has already reported a diagnostic.
  case invalid
  /// An identifier or a reserved word such as `if` (the parser decides where reserved words may
  /// appear); never `true`, `false`, `null` or `in`, which are keywords.
  case identifier(String)
  /// A backquoted identifier such as `` `foo-bar` ``, without its backquotes.
  case escapedIdentifier(String)
  /// An int literal without its sign: its magnitude, or nil when it does not fit in 64 bits.
  /// The parser checks the range, because `-9223372036854775808` is valid.
  case int(UInt64?)
  /// A uint literal (`1u`, `0x1fU`); out-of-range literals are reported by the lexer.
  case uint(UInt64)
  /// A double literal (`1.5`, `.5`, `1e10`).
  case double(Double)
  /// A string literal, with escapes decoded.
  case string(String)
  /// A bytes literal, with escapes decoded.
  case bytes([UInt8])
  /// The keyword `true`.
  case trueKeyword
  /// The keyword `false`.
  case falseKeyword
  /// The keyword `null`.
  case nullKeyword
  /// The keyword `in`.
  case inKeyword
  /// `(`
  case leftParen
  /// `)`
  case rightParen
  /// `[`
  case leftBracket
  /// `]`
  case rightBracket
  /// `{`
  case leftBrace
  /// `}`
  case rightBrace
  /// `.`
  case dot
  /// `,`
  case comma
  /// `:`
  case colon
  /// `?`
  case question
  /// `+`
  case plus
  /// `-`
  case minus
  /// `*`
  case star
  /// `/`
  case slash
  /// `%`
  case percent
  /// `!`
  case bang
  /// `==`
  case equal
  /// `!=`
  case notEqual
  /// `<`
  case less
  /// `<=`
  case lessEqual
  /// `>`
  case greater
  /// `>=`
  case greaterEqual
  /// `&&`
  case and
  /// `||`
  case or
}

/// A token kind without its payload: what the parser's hot paths compare, cheaply.
enum TokenTag: UInt8 {
  case endOfInput, invalid, identifier, escapedIdentifier, int, uint, double, string, bytes
  case trueKeyword, falseKeyword, nullKeyword, inKeyword
  case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
  case dot, comma, colon, question, plus, minus, star, slash, percent, bang
  case equal, notEqual, less, lessEqual, greater, greaterEqual, and, or
}

extension TokenKind {
  /// The kind without its payload.
  var tag: TokenTag {
    switch self {
    case .endOfInput: return .endOfInput
    case .invalid: return .invalid
    case .identifier: return .identifier
    case .escapedIdentifier: return .escapedIdentifier
    case .int: return .int
    case .uint: return .uint
    case .double: return .double
    case .string: return .string
    case .bytes: return .bytes
    case .trueKeyword: return .trueKeyword
    case .falseKeyword: return .falseKeyword
    case .nullKeyword: return .nullKeyword
    case .inKeyword: return .inKeyword
    case .leftParen: return .leftParen
    case .rightParen: return .rightParen
    case .leftBracket: return .leftBracket
    case .rightBracket: return .rightBracket
    case .leftBrace: return .leftBrace
    case .rightBrace: return .rightBrace
    case .dot: return .dot
    case .comma: return .comma
    case .colon: return .colon
    case .question: return .question
    case .plus: return .plus
    case .minus: return .minus
    case .star: return .star
    case .slash: return .slash
    case .percent: return .percent
    case .bang: return .bang
    case .equal: return .equal
    case .notEqual: return .notEqual
    case .less: return .less
    case .lessEqual: return .lessEqual
    case .greater: return .greater
    case .greaterEqual: return .greaterEqual
    case .and: return .and
    case .or: return .or
    }
  }
}

/// A token and the UTF-8 byte range it covers.
public struct Token: Sendable, Equatable {
  /// What the token is.
  public var kind: TokenKind
  /// Where it is in the source.
  public var span: Span

  /// A token of `kind` covering `span`.
  public init(_ kind: TokenKind, _ span: Span) {
    self.kind = kind
    self.span = span
  }
}

/// CEL's words: keywords (never identifiers, selectors or field names) and reserved words
/// (never identifiers or global function names, but valid selectors, field names and receiver
/// function names; cel-spec "Syntax").
public enum CELWords {
  /// `true`, `false`, `null` and `in`.
  public static let keywords: Set<String> = ["true", "false", "null", "in"]
  /// Words reserved for embedding CEL in host languages.
  public static let reserved: Set<String> = [
    "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop",
    "package", "namespace", "return", "var", "void", "while",
  ]

  /// Whether `name` can be written as a selector or field name without backquotes.
  public static func isPlainSelector(_ name: String) -> Bool {
    guard !keywords.contains(name), let first = name.utf8.first, isIdentStart(first) else {
      return false
    }
    return name.utf8.allSatisfy(isIdentContinue)
  }

  @inline(__always) static func isIdentStart(_ b: UInt8) -> Bool {
    (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
  }

  @inline(__always) static func isIdentContinue(_ b: UInt8) -> Bool {
    isIdentStart(b) || (b >= 0x30 && b <= 0x39)
  }
}
