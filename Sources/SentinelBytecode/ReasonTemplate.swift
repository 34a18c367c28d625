// A rule's reason may interpolate CEL values: `"Beneficiary matches {screen(event.beneficiary_name,
// sdn).name}"`. Each `{expression}` is compiled into the rule-set program as an extra result,
// computed only when the rule matched (`condition ? expression : null`); the results of rule i's
// placeholders follow the rule results, rule after rule, in placeholder order. The compiler and the
// runtime both read templates with this one parser. `{{` and `}}` are literal braces.

import SentinelModel

/// Reason texts with `{expression}` placeholders.
public enum ReasonTemplate {
  /// A piece of a reason: literal text, or the CEL text of a placeholder.
  public enum Part: Sendable, Hashable {
    /// Literal text.
    case text(String)
    /// The CEL expression of a `{…}` placeholder.
    case expression(String)
  }

  /// The pieces of `reason`, and whether it is malformed (a `{` without its `}`, or a lone `}`);
  /// a malformed template reads as literal text from the fault on.
  public static func parse(_ reason: String) -> (parts: [Part], malformed: Bool) {
    var parts: [Part] = []
    var text = ""
    let chars = Array(reason.unicodeScalars)
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "{" && i + 1 < chars.count && chars[i + 1] == "{" {
        text.unicodeScalars.append("{")
        i += 2
        continue
      }
      if c == "}" {
        text.unicodeScalars.append("}")
        if i + 1 < chars.count && chars[i + 1] == "}" {
          i += 2
          continue
        }
        // A lone `}`: literal, but reported.
        var rest = text
        rest.unicodeScalars.append(contentsOf: chars[(i + 1)...])
        return (parts + [.text(rest)], true)
      }
      guard c == "{" else {
        text.unicodeScalars.append(c)
        i += 1
        continue
      }
      // A placeholder: up to the `}` that closes it (braces nest, quoted text is skipped).
      var depth = 1
      var j = i + 1
      var quote: Unicode.Scalar?
      while j < chars.count {
        let d = chars[j]
        if let q = quote {
          if d == "\\" {
            j += 1
          } else if d == q {
            quote = nil
          }
        } else if d == "\"" || d == "'" {
          quote = d
        } else if d == "{" {
          depth += 1
        } else if d == "}" {
          depth -= 1
          if depth == 0 { break }
        }
        j += 1
      }
      guard j < chars.count else {
        text.unicodeScalars.append(contentsOf: chars[i...])
        return (parts + [.text(text)], true)
      }
      if !text.isEmpty { parts.append(.text(text)) }
      text = ""
      var expression = ""
      expression.unicodeScalars.append(contentsOf: chars[(i + 1)..<j])
      parts.append(.expression(expression))
      i = j + 1
    }
    if !text.isEmpty { parts.append(.text(text)) }
    return (parts, false)
  }

  /// The number of placeholders of `reason` (the rule results it takes).
  public static func placeholderCount(_ reason: String) -> Int {
    parse(reason).parts.reduce(0) {
      if case .expression = $1 { return $0 + 1 }
      return $0
    }
  }

  /// The reason with its placeholders replaced by `values` (in order): strings as they are,
  /// other values in CEL notation, an error or a missing value as `?`.
  public static func render(_ parts: [Part], values: ArraySlice<Value>) -> String {
    var out = ""
    var k = values.startIndex
    for p in parts {
      switch p {
      case .text(let t): out += t
      case .expression:
        defer { k += 1 }
        guard k < values.endIndex else {
          out += "?"
          continue
        }
        switch values[k] {
        case .string(let s): out += s
        case .error, .null: out += "?"
        case let v: out += v.description
        }
      }
    }
    return out
  }
}
