/// ApplyGuardrail without a service: configuration JSON in, response JSON out. Used by
/// `bedrock-sim guardrail apply --config FILE --source INPUT TEXT`.
public enum GuardrailOffline {
    /// - Parameters:
    ///   - configJSON: a CreateGuardrail request body.
    ///   - source: `INPUT` or `OUTPUT`.
    ///   - text: the text to assess (one text block, no qualifiers).
    ///   - outputScope: `INTERVENTIONS` (default) or `FULL`.
    /// - Returns: the ApplyGuardrail response body.
    /// - Throws: `GuardrailValidationError` for an invalid configuration, source or scope.
    public static func apply(configJSON: [UInt8], source: String, text: String, outputScope: String?) throws -> [UInt8] {
        try apply(configJSON: configJSON, source: source, content: [GuardrailContentBlock(text: text)], outputScope: outputScope)
    }

    /// Like `apply(configJSON:source:text:outputScope:)` with several (possibly qualified) blocks.
    public static func apply(configJSON: [UInt8], source: String, content: [GuardrailContentBlock], outputScope: String?) throws -> [UInt8] {
        guard let src = GuardrailContentSource(rawValue: source) else {
            throw GuardrailValidationError(message: "1 validation error detected: Value '\(source)' at 'source' failed to satisfy constraint: Member must satisfy enum value set: [INPUT, OUTPUT]")
        }
        var scope = GuardrailOutputScope.interventions
        if let s = outputScope {
            guard let v = GuardrailOutputScope(rawValue: s) else {
                throw GuardrailValidationError(message: "1 validation error detected: Value '\(s)' at 'outputScope' failed to satisfy constraint: Member must satisfy enum value set: [INTERVENTIONS, FULL]")
            }
            scope = v
        }
        let cfg = try GuardrailConfiguration.decode(json: configJSON)
        return GuardrailEngine(configuration: cfg).assess(source: src, content: content, outputScope: scope).jsonBytes()
    }
}
