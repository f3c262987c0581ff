// The bedrock-client role as its own OS process. All behaviour lives in RoleKit.ClientRole; see docs/architecture.md.
import NodeRuntime
import RoleKit
import SDKEndpoint

NodeMain.run(roleName: "bedrock-client") { node in
    let role = try ClientRole(node: node)
    // SigV4 signing with the run's credentials, and the claims the VPC endpoint policy is evaluated on.
    try ClientAuthorization(node: node).install(on: role)
    CustomerAWSClient().install(on: role)   // `aws` command: calls to the account's kms and s3
    // The HTTPS listener unchanged AWS SDKs talk to (when `up` gave this node an SDK port).
    _ = try SDKEndpoint.install(node: node, role: role)
    return role
}
