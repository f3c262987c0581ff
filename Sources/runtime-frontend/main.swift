// The runtime-frontend role as its own OS process. Behaviour lives in RoleKit.FrontendRole; each capability
// registers its gates, local operations and response filters here (see docs/architecture.md, "Adding a capability").
import NodeRuntime
import FrontendGuardrails
import RoleKit

NodeMain.run(roleName: "runtime-frontend") { node in
    var extensions = FrontendExtensions()
    extensions.operations += [ListFoundationModelsOperation(), GetFoundationModelOperation()]
    // Authentication (SigV4), authorization (IAM, SCPs, boundaries, session and VPC endpoint policies), model access.
    let authorization = try FrontendAuthorization(node: node)
    extensions.gates += authorization.gates
    // Account-level on-demand quota (ThrottlingException), when the run sets one.
    if let quota = OnDemandQuotaGate(node: node) { extensions.gates.append(quota) }
    extensions.operations += authorization.operations
    // Guardrails: control plane + ApplyGuardrail, the input gate (after authentication/authorization gates) and the
    // output filter, all on the guardrails persisted in RUN_DIR/guardrails.
    let guardrails = GuardrailStore(runDirectory: node.manifest.runDirectory, region: node.manifest.region)
    extensions.operations += guardrails.operations()
    extensions.gates += [GuardrailInputGate(store: guardrails)]
    extensions.responseFilters += [GuardrailOutputFilter(store: guardrails)]
    extensions.streamFilters += [GuardrailStreamFilter(store: guardrails)]
    // Model invocation logging configuration (control plane; configuration only, no log delivery).
    extensions.operations += LoggingConfigurationStore(runDirectory: node.manifest.runDirectory).operations
    // Customization and provisioned throughput.
    ProvisionedThroughputService(region: node.manifest.region, runDirectory: node.manifest.runDirectory).install(into: &extensions)
    return try FrontendRole(node: node, extensions: extensions)
}
