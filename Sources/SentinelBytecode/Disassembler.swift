// The disassembler: a program as text, one line per instruction, operands rendered by the kind
// the opcode table gives them. It reads unverified programs too (`sentinel disasm` on a bundle
// that fails verification), so every index is bounds-checked here and shown as `<bad …>`.
//
//   ; constants
//     k0 = 1
//   0007  call        r3, add_int64, r1..r2          ; a + b

import SentinelModel

/// Renders programs as text.
public enum Disassembler {
  /// The program's tables as `;` headers, then one line per instruction, with the source text of
  /// each instruction's span (from the source map) as a trailing comment when `source` is given.
  public static func render(_ p: Program, source: Source? = nil) -> String {
    var out = "; \(p.code.count) instructions, \(p.registerCount) registers\n"
    out += table("constants", p.constants.enumerated().map { "k\($0.offset) = \($0.element)" })
    out += table(
      "variables", p.variables.enumerated().map { "v\($0.offset) = \($0.element.name): \($0.element.type)" })
    out += table("builtins", p.builtins.enumerated().map { "b\($0.offset) = \($0.element)" })
    out += table(
      "functions",
      p.functions.enumerated().map {
        "f\($0.offset) = \($0.element.name)\($0.element.receiver ? " (receiver)" : "")"
      })
    var spans: [Int: Span] = [:]
    if source != nil {
      for e in p.sourceMap where spans[e.pc] == nil { spans[e.pc] = e.span }
    }
    for (pc, ins) in p.code.enumerated() {
      var line = render(ins, pc: pc, in: p)
      if let source, let span = spans[pc] {
        let text = snippet(span, in: source)
        if !text.isEmpty {
          line = line.padding(toWidth: 44) + "  ; " + text
        }
      }
      out += line + "\n"
    }
    return out
  }

  /// One instruction, e.g. `0007  call        r3, add_int64, r1..r2`.
  public static func render(_ ins: Instruction, pc: Int, in p: Program) -> String {
    let info = ins.opcode.info
    var parts: [String] = []
    for (i, kind) in info.operands.enumerated() {
      let x = Int(ins.operand(i))
      switch kind {
      case .none, .count:
        // Counts are shown as the width of the register range they belong to.
        continue
      case .def, .use, .useDef:
        parts.append("r\(x)")
      case .useRange, .defRange:
        let n = ins.registerSpan(ofOperand: i)
        parts.append(n == 0 ? "()" : n == 1 ? "r\(x)" : "r\(x)..r\(x + n - 1)")
      case .constant, .stringConstant:
        parts.append(x < p.constants.count ? p.constants[x].description : "<bad constant #\(x)>")
      case .variable:
        parts.append(x < p.variables.count ? p.variables[x].name : "<bad variable #\(x)>")
      case .builtin:
        parts.append(x < p.builtins.count ? p.builtins[x] : "<bad builtin #\(x)>")
      case .function:
        if x < p.functions.count {
          let f = p.functions[x]
          parts.append(f.receiver ? ".\(f.name)" : f.name)
        } else {
          parts.append("<bad function #\(x)>")
        }
      case .target:
        parts.append("@\(x)")
      case .rule:
        parts.append("#\(x)")
      }
    }
    let head = pcLabel(pc) + "  " + info.name
    return parts.isEmpty ? head : head.padding(toWidth: 17) + " " + parts.joined(separator: ", ")
  }

  /// `0007`: the pc, zero-padded to four digits.
  static func pcLabel(_ pc: Int) -> String {
    let s = String(pc)
    return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
  }

  static func table(_ title: String, _ rows: [String]) -> String {
    if rows.isEmpty { return "" }
    return "; \(title)\n" + rows.map { ";   \($0)\n" }.joined()
  }

  /// The source text of a span on one line, clamped to the source and shortened.
  static func snippet(_ span: Span, in source: Source) -> String {
    let n = source.utf8.count
    let start = min(max(0, span.start), n)
    let end = min(max(start, span.end), n)
    var text = String(decoding: source.utf8[start..<end], as: UTF8.self)
    text = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" }).joined(separator: " ")
    if text.count > 48 { text = String(text.prefix(47)) + "…" }
    return text
  }
}

extension String {
  fileprivate func padding(toWidth width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}

// MARK: - Register ranges

extension Instruction {
  /// How many registers a range operand covers: for a `useRange`, the count operand (`call`,
  /// `call.dyn`: d; `list`: c; `map`: 2 × c, a key and a value per entry); for a `defRange`, the
  /// loop variables bound (`iter.next`: 1, `iter.next2`: 2); 1 for any other operand.
  ///
  /// NOTE: this is opcode-table knowledge the table does not yet carry as data; it lives here
  /// (the one Bytecode file the verifier's owner may edit) so the verifier and the disassembler
  /// read the same definition. It belongs in `Opcode.Info`.
  public func registerSpan(ofOperand i: Int) -> Int {
    let kinds = opcode.info.operands
    guard i >= 0, i < kinds.count else { return 1 }
    switch kinds[i] {
    case .useRange:
      guard let countOperand = kinds.firstIndex(of: .count) else { return 1 }
      let n = Int(operand(countOperand))
      return opcode == .makeMap ? 2 * n : n
    case .defRange:
      return opcode == .iterNext2 ? 2 : 1
    default:
      return 1
    }
  }
}
