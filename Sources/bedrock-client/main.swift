// The bedrock-client role as its own OS process. All behaviour lives in RoleKit.ClientRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "bedrock-client") { node in
    let role = try ClientRole(node: node)
    // SigV4 signing with the run's credentials, and the claims the VPC endpoint policy is evaluated on.
    try ClientAuthorization(node: node).install(on: role)
    CustomerAWSClient().install(on: role)   // `aws` command: calls to the account's kms and s3
    return role
}
