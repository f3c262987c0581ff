// The bedrock-client role as its own OS process. All behaviour lives in RoleKit.ClientRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "bedrock-client") { node in
    let client = try ClientRole(node: node)
    CustomerAWSClient().install(on: client)   // `aws` command: calls to the account's kms and s3 (docs/customization.md)
    return client
}
