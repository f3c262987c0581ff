// The s3 role (a customer account's Amazon S3 stand-in) as its own OS process. Behaviour: RoleKit/Customization/S3Role.swift.
import NodeRuntime
import RoleKit

NodeMain.run(roleName: "s3") { node in try S3Role(node: node) }
