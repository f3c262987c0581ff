// The finetune-worker role (Bedrock's model-customization worker) as its own OS process.
// Behaviour: RoleKit/Customization/FinetuneWorkerRole.swift.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "finetune-worker") { node in try FinetuneWorkerRole(node: node) }
