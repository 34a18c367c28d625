import Testing

@Test func placeholderSyntax() { #expect(1 + 1 == 2) }
