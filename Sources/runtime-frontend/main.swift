// The runtime-frontend role as its own OS process. Behaviour lives in RoleKit.FrontendRole; each capability
// registers its gates, local operations and response filters here (see docs/architecture.md, "Adding a capability").
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "runtime-frontend") { node in
    var extensions = FrontendExtensions()
    extensions.operations += [ListFoundationModelsOperation(), GetFoundationModelOperation()]
    // Authentication (SigV4), authorization (IAM, SCPs, boundaries, session and VPC endpoint policies), model access.
    let authorization = try FrontendAuthorization(node: node)
    extensions.gates += authorization.gates
    extensions.operations += authorization.operations
    return try FrontendRole(node: node, extensions: extensions)
}
