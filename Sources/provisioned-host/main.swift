// The provisioned-host role (a dedicated provisioned-throughput host) as its own OS process.
// Behaviour: RoleKit/Customization/ProvisionedHostRole.swift.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "provisioned-host") { node in try ProvisionedHostRole(node: node) }
