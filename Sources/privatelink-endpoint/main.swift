// The privatelink-endpoint role as its own OS process. All behaviour lives in RoleKit.EndpointRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "privatelink-endpoint") { node in
    let role = try EndpointRole(node: node)
    // The VPC endpoint policy, evaluated here in the customer account before anything leaves the VPC.
    try EndpointPolicyCheck(node: node).install(on: role)
    return role
}
