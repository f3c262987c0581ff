// The privatelink-endpoint role as its own OS process. All behaviour lives in RoleKit.EndpointRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "privatelink-endpoint") { node in try EndpointRole(node: node) }
