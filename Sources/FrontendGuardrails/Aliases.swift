import RoleKit

/// Several engines define a JSON value type; in this module JSONValue means the roles' one.
public typealias JSONValue = RoleKit.JSONValue
