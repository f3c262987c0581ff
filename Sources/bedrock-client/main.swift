// The bedrock-client role as its own OS process. All behaviour lives in RoleKit.ClientRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "bedrock-client") { node in try ClientRole(node: node) }
