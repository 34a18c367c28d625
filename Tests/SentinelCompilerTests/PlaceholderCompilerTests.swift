import Testing

@Test func placeholderCompiler() { #expect(1 + 1 == 2) }
