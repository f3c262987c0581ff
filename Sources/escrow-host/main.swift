// The escrow-host role as its own OS process. All behaviour lives in RoleKit.EscrowHostRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "escrow-host") { node in try EscrowHostRole(node: node) }
