// The runtime-frontend role as its own OS process. All behaviour lives in RoleKit.FrontendRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "runtime-frontend") { node in try FrontendRole(node: node) }
