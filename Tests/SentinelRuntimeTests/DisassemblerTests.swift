// The disassembler: tables as headers, one line per instruction with operands by kind, source
// text as trailing comments; robust to unverified programs.

import SentinelBytecode
import SentinelModel
import Testing

@Suite struct DisassemblerTests {
  @Test func rendersTablesOperandsAndSource() {
    let source = Source(text: "a + b > 0 && m.f")
    let p = program(
      [
        .loadVar(0, 0), .loadVar(1, 1), .call(2, 0, 0, 2), .loadConst(3, 0),
        Instruction(.jumpIfFalse, 2, 6), Instruction(.select, 3, 3, 1), .ret(3),
      ], registers: 4, constants: [.map(MapValue()), .string("f")],
      variables: [VariableSlot(name: "a", type: .int), VariableSlot(name: "b", type: .int)],
      builtins: ["add_int64"], functions: [FunctionRef(name: "size", receiver: true)],
      sourceMap: [
        SourceMapEntry(pc: 0, span: Span(0, 1)), SourceMapEntry(pc: 2, span: Span(0, 5)),
        SourceMapEntry(pc: 5, span: Span(13, 16)),
      ])
    let expected = """
      ; 7 instructions, 4 registers
      ; constants
      ;   k0 = {}
      ;   k1 = "f"
      ; variables
      ;   v0 = a: int
      ;   v1 = b: int
      ; builtins
      ;   b0 = add_int64
      ; functions
      ;   f0 = size (receiver)
      0000  load.var    r0, a                       ; a
      0001  load.var    r1, b
      0002  call        r2, add_int64, r0..r1       ; a + b
      0003  load.const  r3, {}
      0004  jump.false  r2, @6
      0005  select      r3, r3, "f"                 ; m.f
      0006  ret         r3

      """
    #expect(Disassembler.render(p, source: source) == expected)
    // Without a source, no comments.
    #expect(!Disassembler.render(p).contains("; a + b"))
  }

  @Test func rendersRangesOfEveryWidth() {
    let p = program(
      [
        Instruction(.makeList, 0, 1, 0), Instruction(.makeList, 0, 1, 1), Instruction(.makeMap, 0, 1, 2),
        .iterNext2(0, 1, 2, 5), .iterNext(0, 1, 2, 5), Instruction(.callDynamic, 0, 0, 1, 1),
      ], registers: 0, functions: [FunctionRef(name: "size", receiver: true)])
    let lines = Disassembler.render(p).split(separator: "\n").filter { $0.hasPrefix("00") }
    #expect(lines[0].hasSuffix("list        r0, ()"))
    #expect(lines[1].hasSuffix("list        r0, r1"))
    #expect(lines[2].hasSuffix("map         r0, r1..r4"))
    #expect(lines[3].hasSuffix("iter.next2  r0, r1, r2..r3, @5"))
    #expect(lines[4].hasSuffix("iter.next   r0, r1, r2, @5"))
    #expect(lines[5].hasSuffix("call.dyn    r0, .size, r1"))
  }

  @Test func badIndicesAreShownNotTrapped() {
    let p = program(
      [
        .loadConst(0, 9), .loadVar(0, 9), .call(0, 9, 0, 0), Instruction(.callDynamic, 0, 9, 0, 0),
        Instruction(.select, 0, 0, 9),
      ], registers: 1, sourceMap: [SourceMapEntry(pc: 0, span: Span(-4, 900))])
    let text = Disassembler.render(p, source: Source(text: "x"))
    for bad in ["<bad constant #9>", "<bad variable #9>", "<bad builtin #9>", "<bad function #9>"] {
      #expect(text.contains(bad))
    }
  }
}
