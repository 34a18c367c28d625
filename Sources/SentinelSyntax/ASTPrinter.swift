// A one-line, fully parenthesized rendering of an expression, for tests and `--dump ast`.
//
// Binary and ternary operators are wrapped in parentheses (`(a + (b * c))`), so precedence and
// associativity are visible. Apart from comprehensions (printed as `__comprehension__(…)`) and
// names only macros create (`@result`), the output is CEL that parses back to the same tree:
// tests hold `debugString ∘ parse ∘ debugString = debugString`.

import SentinelModel

extension Expr {
  /// The expression as fully parenthesized CEL, e.g. `((a + b) < c.size())`.
  public var debugString: String {
    var out = ""
    ASTPrinter.print(self, into: &out)
    return out
  }
}

extension AST {
  /// The root expression as fully parenthesized CEL (see `Expr.debugString`).
  public var debugString: String { root.debugString }
}

/// Renders expressions for `debugString`.
enum ASTPrinter {
  static let infix: [String: String] = [
    Operators.logicalAnd: "&&", Operators.logicalOr: "||", Operators.equals: "==",
    Operators.notEquals: "!=", Operators.less: "<", Operators.lessEquals: "<=",
    Operators.greater: ">", Operators.greaterEquals: ">=", Operators.add: "+",
    Operators.subtract: "-", Operators.multiply: "*", Operators.divide: "/",
    Operators.modulo: "%", Operators.in: "in",
  ]

  static func print(_ e: Expr, into out: inout String) {
    switch e.kind {
    case .literal(let v):
      out += literal(v)
    case .ident(let name):
      out += name
    case .select(let operand, let field, let testOnly):
      if testOnly { out += "has(" }
      printOperand(operand, into: &out)
      out += "." + selector(field)
      if testOnly { out += ")" }
    case .call(let target, let function, let args):
      printCall(target, function, args, into: &out)
    case .list(let elements, let optionalIndices):
      out += "["
      for (i, x) in elements.enumerated() {
        if i > 0 { out += ", " }
        if optionalIndices.contains(i) { out += "?" }
        print(x, into: &out)
      }
      out += "]"
    case .map(let entries):
      out += "{"
      for (i, entry) in entries.enumerated() {
        if i > 0 { out += ", " }
        if entry.optional { out += "?" }
        print(entry.key, into: &out)
        out += ": "
        print(entry.value, into: &out)
      }
      out += "}"
    case .structure(let typeName, let fields):
      out += typeName + "{"
      for (i, field) in fields.enumerated() {
        if i > 0 { out += ", " }
        if field.optional { out += "?" }
        out += selector(field.name) + ": "
        print(field.value, into: &out)
      }
      out += "}"
    case .comprehension(let c):
      out += "__comprehension__(" + c.iterVar + ", "
      if let second = c.iterVar2 { out += second + ", " }
      print(c.iterRange, into: &out)
      out += ", " + c.accuVar + ", "
      print(c.accuInit, into: &out)
      out += ", "
      print(c.loopCondition, into: &out)
      out += ", "
      print(c.loopStep, into: &out)
      out += ", "
      print(c.result, into: &out)
      out += ")"
    }
  }

  static func printCall(_ target: Expr?, _ function: String, _ args: [Expr], into out: inout String) {
    if target == nil {
      if args.count == 2, let op = infix[function] {
        out += "("
        print(args[0], into: &out)
        out += " \(op) "
        print(args[1], into: &out)
        out += ")"
        return
      }
      if args.count == 3 && function == Operators.conditional {
        out += "("
        print(args[0], into: &out)
        out += " ? "
        print(args[1], into: &out)
        out += " : "
        print(args[2], into: &out)
        out += ")"
        return
      }
      if args.count == 1 && (function == Operators.logicalNot || function == Operators.negate) {
        let negate = function == Operators.negate
        var operand = ""
        print(args[0], into: &operand)
        // A `-` right before a number is part of the literal (`-(5)` is not `-5`), and the
        // grammar does not mix `!` and `-` in one run (`!(-x)`).
        let other = negate ? Operators.logicalNot : Operators.negate
        var parenthesize = false
        if case .call(nil, other, let inner) = args[0].kind, inner.count == 1 { parenthesize = true }
        if negate, let first = operand.utf8.first, first >= 0x30 && first <= 0x39 { parenthesize = true }
        out += negate ? "-" : "!"
        out += parenthesize ? "(" + operand + ")" : operand
        return
      }
      if args.count == 2 && (function == Operators.index || function == Operators.optionalIndex) {
        printOperand(args[0], into: &out)
        out += function == Operators.index ? "[" : "[?"
        print(args[1], into: &out)
        out += "]"
        return
      }
      if args.count == 2 && function == Operators.optionalSelect,
        case .literal(.string(let field)) = args[1].kind
      {
        printOperand(args[0], into: &out)
        out += ".?" + selector(field)
        return
      }
    }
    if let target {
      printOperand(target, into: &out)
      out += "."
    }
    out += function + "("
    for (i, a) in args.enumerated() {
      if i > 0 { out += ", " }
      print(a, into: &out)
    }
    out += ")"
  }

  /// The operand of a member access: a prefix operation is parenthesized (`(-x).f`, `(!x)[0]`).
  static func printOperand(_ e: Expr, into out: inout String) {
    if case .call(nil, let f, let args) = e.kind, args.count == 1,
      f == Operators.logicalNot || f == Operators.negate
    {
      out += "("
      print(e, into: &out)
      out += ")"
    } else {
      print(e, into: &out)
    }
  }

  /// A field name, backquoted when it is not a plain selector.
  static func selector(_ name: String) -> String {
    CELWords.isPlainSelector(name) ? name : "`" + name + "`"
  }

  static func literal(_ v: Value) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .uint(let u): return "\(u)u"
    case .double(let d):
      if d.isNaN { return "double(\"NaN\")" }
      if d.isInfinite { return d < 0 ? "double(\"-Infinity\")" : "double(\"Infinity\")" }
      return "\(d)"
    case .string(let s): return quote(s)
    case .bytes(let bytes):
      var out = "b\""
      for b in bytes {
        if b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C {
          out.unicodeScalars.append(Unicode.Scalar(b))
        } else {
          out += "\\x" + hex(UInt32(b), 2)
        }
      }
      return out + "\""
    default: return v.description
    }
  }

  static func quote(_ s: String) -> String { Value.quote(s) }

  static func hex(_ v: UInt32, _ width: Int) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
  }
}
