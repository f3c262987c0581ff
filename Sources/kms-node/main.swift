// The kms role (a customer account's AWS KMS stand-in) as its own OS process. Behaviour: RoleKit/Customization/KMSRole.swift.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "kms") { node in try KMSRole(node: node) }
