// The bedrock-client role as its own OS process. All behaviour lives in RoleKit.ClientRole; see docs/architecture.md.
import NodeRuntime
import RoleKit
import SDKEndpoint

NodeMain.run(roleName: "bedrock-client") { node in
    let role = try ClientRole(node: node)
    // SigV4 signing with the run's credentials, and the claims the VPC endpoint policy is evaluated on.
    let authorization = try ClientAuthorization(node: node)
    authorization.install(on: role)
    CustomerAWSClient(signing: authorization).install(on: role)   // `aws` command: SigV4-signed calls to the account's kms and s3
    // The HTTPS listener unchanged AWS SDKs talk to (when `up` gave this node an SDK port).
    _ = try SDKEndpoint.install(node: node, role: role)
    return role
}
