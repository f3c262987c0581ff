// Request-body validation in the style of the real service.
//
// Bedrock validates model-native bodies against a JSON schema (the messages are those of
// the everit-org/json-schema Java validator) and answers
//   ValidationException: "Malformed input request: <errors>, please reformat your input and try again."
// where <errors> is each violation as "<JSON pointer>: <problem>", concatenated without a
// separator, e.g. "#: required key [max_tokens] not found#: extraneous key [model] is not permitted".
// Order follows the validator: required keys (schema order), extraneous keys (body order),
// then each property's own problems (schema order). Spellings observed in public issue
// reports: "required key [k] not found", "extraneous key [k] is not permitted",
// "expected type: Integer, found: String", "expected minimum item count: 1, found: 0",
// "x is not a valid enum value", "10000 is not less or equal to 4096". The remaining
// everit spellings used here ("is not greater or equal to", "expected minLength: 1, actual: 0")
// come from the validator's message templates.

/// An error from a model stand-in. Every case maps to the service's ValidationException (HTTP 400).
public enum ModelInvocationError: Error, Sendable, Equatable, CustomStringConvertible {
    case validation(String)

    /// The exception name the front end sends (`x-amzn-ErrorType` / `__type`).
    public var code: String { "ValidationException" }
    public var httpStatus: Int { 400 }

    public var message: String {
        switch self {
        case .validation(let m): return m
        }
    }

    public var description: String { "\(code): \(message)" }
}

/// Fixed messages of the real service.
public enum ServiceMessages {
    /// Body is not JSON, or not a JSON object.
    public static let malformedRequest = "Malformed input request, please reformat your input and try again."
    public static let invalidContentType = "The provided Content Type is invalid or not supported for this model"
    public static let invalidAccept = "The provided Accept Type is invalid or not supported for this model"
    public static let streamingUnsupported = "The model is unsupported for streaming."
    public static let converseUnsupported =
        "This action doesn't support the model that you provided. Try again with a supported text or chat model."
    public static let inputTooLong = "Input is too long for requested model."
    public static let converseFirstMessageUser =
        "A conversation must start with a user message. Try again with a conversation that starts with a user message."
    public static let converseAlternate =
        "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."

    public static func converseMaxTokens(_ limit: Int) -> String {
        "The maximum tokens you requested exceeds the model limit of \(limit). Try again with a maximum tokens value that is lower than \(limit)."
    }

    public static func converseBlankText(_ path: String) -> String {
        "The text field in the ContentBlock object at \(path) is blank. Add text to the text field, and try again."
    }

    /// Titan's input-length refusal (trailing space as observed in a public report).
    public static func titanTooManyInputTokens(max: Int, count: Int) -> String {
        "400 Bad Request: Too many input tokens. Max input tokens: \(max), request input token count: \(count) "
    }

    /// Llama's context refusal.
    public static func llamaContext(_ limit: Int) -> String {
        "This model's maximum context length is \(limit) tokens. Please reduce the length of the prompt."
    }

    public static func malformed(_ errors: [String]) -> String {
        "Malformed input request: \(errors.joined()), please reformat your input and try again."
    }
}

/// Collects schema violations and renders them in the service's format.
struct SchemaErrors {
    private(set) var items: [String] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func add(_ pointer: String, _ problem: String) { items.append("\(pointer): \(problem)") }

    func error() -> ModelInvocationError { .validation(ServiceMessages.malformed(items)) }

    func throwIfAny() throws(ModelInvocationError) {
        if !items.isEmpty { throw error() }
    }
}

/// JSON pointer as the validator prints it: "#", "#/messages/0/content".
/// Check functions take their pointer as an autoclosure: its text is built only when an error names it.
struct Pointer {
    let text: String
    static let root = Pointer(text: "#")
    func appending(_ key: String) -> Pointer { Pointer(text: text + "/" + key) }
    func appending(_ index: Int) -> Pointer { Pointer(text: text + "/" + String(index)) }
}

/// Schema-style checks shared by the families.
enum Check {
    /// Validator type names (Java class simple names).
    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "Null"
        case .bool: return "Boolean"
        case .integer: return "Integer"
        case .number: return "BigDecimal"
        case .string: return "String"
        case .array: return "JSONArray"
        case .object: return "JSONObject"
        }
    }

    /// How the validator prints a value inside a message.
    static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return JSONValue.format(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        default: return v.serializedString
        }
    }

    /// "required key [k] not found" for each missing key, in `required` order.
    static func required(_ keys: [String], in obj: JSONObject, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) {
        for k in keys where obj[k] == nil { errors.add(p().text, "required key [\(k)] not found") }
    }

    /// "extraneous key [k] is not permitted" for each key outside `allowed`, in body order.
    /// (`allowed` is a short list: a linear scan beats hashing with Swift's seeded Hasher.)
    static func extraneous(allowed: [String], in obj: JSONObject, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) {
        for m in obj.members where !allowed.contains(m.key) { errors.add(p().text, "extraneous key [\(m.key)] is not permitted") }
    }

    @discardableResult
    static func string(_ v: JSONValue, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> String? {
        if case .string(let s) = v { return s }
        errors.add(p().text, "expected type: String, found: \(typeName(v))")
        return nil
    }

    @discardableResult
    static func boolean(_ v: JSONValue, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> Bool? {
        if case .bool(let b) = v { return b }
        errors.add(p().text, "expected type: Boolean, found: \(typeName(v))")
        return nil
    }

    static func object(_ v: JSONValue, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> JSONObject? {
        if case .object(let o) = v { return o }
        errors.add(p().text, "expected type: JSONObject, found: \(typeName(v))")
        return nil
    }

    static func array(_ v: JSONValue, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> [JSONValue]? {
        if case .array(let a) = v { return a }
        errors.add(p().text, "expected type: JSONArray, found: \(typeName(v))")
        return nil
    }

    /// Integer within optional bounds. Returns the value only when every check passed.
    static func integer(_ v: JSONValue, min lo: Int? = nil, max hi: Int? = nil, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> Int? {
        guard case .integer(let i) = v else {
            errors.add(p().text, "expected type: Integer, found: \(typeName(v))")
            return nil
        }
        if let lo, i < lo { errors.add(p().text, "\(i) is not greater or equal to \(lo)"); return nil }
        if let hi, i > hi { errors.add(p().text, "\(i) is not less or equal to \(hi)"); return nil }
        return i
    }

    /// Number (integer or decimal) within optional bounds.
    static func number(_ v: JSONValue, min lo: Double? = nil, max hi: Double? = nil, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> Double? {
        guard let d = v.doubleValue else {
            errors.add(p().text, "expected type: Number, found: \(typeName(v))")
            return nil
        }
        if let lo, d < lo { errors.add(p().text, "\(render(v)) is not greater or equal to \(bound(lo))"); return nil }
        if let hi, d > hi { errors.add(p().text, "\(render(v)) is not less or equal to \(bound(hi))"); return nil }
        return d
    }

    static func bound(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : JSONValue.format(d) }

    /// Array of strings (e.g. stop sequences) with an optional item limit.
    static func stringArray(_ v: JSONValue, maxItems: Int? = nil, at p: @autoclosure () -> Pointer, _ errors: inout SchemaErrors) -> [String]? {
        guard let items = array(v, at: p(), &errors) else { return nil }
        if let maxItems, items.count > maxItems {
            errors.add(p().text, "expected maximum item count: \(maxItems), found: \(items.count)")
            return nil
        }
        var out: [String] = []
        var ok = true
        for (i, item) in items.enumerated() {
            if let s = string(item, at: p().appending(i), &errors) { out.append(s) } else { ok = false }
        }
        return ok ? out : nil
    }
}

/// Parses a request body into a JSON object or throws the service's generic refusal.
func parseBodyObject(_ body: [UInt8]) throws(ModelInvocationError) -> JSONObject {
    let value: JSONValue
    do {
        value = try JSONValue.parse(body)
    } catch {
        throw .validation(ServiceMessages.malformedRequest)
    }
    guard case .object(let obj) = value else { throw .validation(ServiceMessages.malformedRequest) }
    return obj
}

/// Content-Type and Accept as the runtime checks them: JSON (parameters such as charset
/// allowed) or absent; Accept may also be a wildcard.
func checkMediaTypes(contentType: String?, accept: String?) throws(ModelInvocationError) {
    func base(_ s: String) -> String {
        String(s.split(separator: ";", maxSplits: 1).first ?? "").trimmingSpaces().lowercased()
    }
    // The usual headers are exactly "application/json"; skip the parsing for them.
    if let ct = contentType, !ct.isEmpty, ct != "application/json", base(ct) != "application/json" {
        throw .validation(ServiceMessages.invalidContentType)
    }
    if let a = accept, !a.isEmpty, a != "application/json" {
        let ok = a.split(separator: ",").contains { ["application/json", "*/*", "application/*"].contains(base(String($0))) }
        if !ok { throw .validation(ServiceMessages.invalidAccept) }
    }
}

extension String {
    func trimmingSpaces() -> String {
        if let fast = UTF8Text.withBytes(self, { UTF8Text.trimmedASCII($0, 0..<$0.count, of: self) }) { return fast }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
