// Resource-only target: SwiftPM copies Data/ (the Guardrails lexicons) into the resource bundle directory
// bedrock-sim_GuardrailsData.resources next to the built executables. It is a separate target because SwiftPM's
// generated `Bundle.module` accessor imports full Foundation (libFoundation + ICU, about 12 MB more resident memory
// per process); the Guardrails engine, linked into runtime-frontend, reads the bundle with FoundationEssentials
// instead (Sources/Guardrails/Resources.swift). Only the operator side (bedrock-sim) and the tests link this target,
// which makes `swift build` produce the bundle.

/// The resource bundle directory SwiftPM builds for this target (checked by GuardrailsTests).
public let guardrailsDataBundleName = "bedrock-sim_GuardrailsData.resources"
