import Testing

@Test func placeholderRuntime() { #expect(1 + 1 == 2) }
