// The runtime-frontend role as its own OS process. Behaviour lives in RoleKit.FrontendRole; each capability
// registers its gates, local operations and response filters here (see docs/architecture.md, "Adding a capability").
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "runtime-frontend") { node in
    var extensions = FrontendExtensions()
    extensions.operations += [ListFoundationModelsOperation(), GetFoundationModelOperation()]
    // Customization and provisioned throughput (docs/customization.md).
    ProvisionedThroughputService(region: node.manifest.region, runDirectory: node.manifest.runDirectory).install(into: &extensions)
    return try FrontendRole(node: node, extensions: extensions)
}
