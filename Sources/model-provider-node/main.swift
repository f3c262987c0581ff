// The model-provider role as its own OS process. All behaviour lives in RoleKit.ModelProviderRole; see docs/architecture.md.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "model-provider") { node in ModelProviderRole(node: node) }
