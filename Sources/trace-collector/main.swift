// The trace-collector role as its own OS process. All behaviour lives in RoleKit.CollectorRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "trace-collector", niceness: CollectorRole.niceness) { node in try CollectorRole(node: node) }
