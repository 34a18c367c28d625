import Testing

@Test func placeholderBuiltins() { #expect(1 + 1 == 2) }
