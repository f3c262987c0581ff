// Model invocation logging configuration (bedrock control plane): PutModelInvocationLoggingConfiguration (PUT),
// GetModelInvocationLoggingConfiguration (GET) and DeleteModelInvocationLoggingConfiguration (DELETE), all on
// /logging/modelinvocations, one configuration per account and Region, persisted in RUN_DIR/logging/ACCOUNT.json so it
// survives a restart of the front end. Only the configuration is kept; no logs are delivered.
import Envelope
import FoundationEssentials
import NodeRuntime

public final class LoggingConfigurationStore {
    let directory: String
    public init(runDirectory: String) { directory = runDirectory + "/logging" }

    func path(_ account: String) -> String { directory + "/\(account).json" }

    func load(_ account: String) -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: path(account)) else { return nil }
        return try? JSONValue.parse(Array(data))
    }

    func save(_ account: String, _ config: JSONValue?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let config {
            try Data(config.serialized()).write(to: URL(fileURLWithPath: path(account)), options: .atomic)
        } else if FileManager.default.fileExists(atPath: path(account)) {
            try FileManager.default.removeItem(atPath: path(account))
        }
    }

    public var operations: [LocalOperation] {
        [LoggingOperation(name: "PutModelInvocationLoggingConfiguration", method: "PUT", store: self),
         LoggingOperation(name: "GetModelInvocationLoggingConfiguration", method: "GET", store: self),
         LoggingOperation(name: "DeleteModelInvocationLoggingConfiguration", method: "DELETE", store: self)]
    }

    /// Every violation of the LoggingConfig shape, in the service's "N validation errors detected" style.
    static func validate(_ body: JSONValue?) -> [String] {
        guard case .object(let o)? = body else { return ["Value null at 'loggingConfig' failed to satisfy constraint: Member must not be null"] }
        guard case .object(let c)? = o["loggingConfig"] else {
            return ["Value null at 'loggingConfig' failed to satisfy constraint: Member must not be null"]
        }
        var errors: [String] = []
        if let cw = c["cloudWatchConfig"] {
            for f in ["logGroupName", "roleArn"] where cw[f]?.stringValue?.isEmpty ?? true {
                errors.append("Value null at 'loggingConfig.cloudWatchConfig.\(f)' failed to satisfy constraint: Member must not be null")
            }
            if let arn = cw["roleArn"]?.stringValue, !arn.isEmpty, !arn.hasPrefix("arn:aws:iam::") {
                errors.append("Value '\(arn)' at 'loggingConfig.cloudWatchConfig.roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
            }
        }
        if let s3 = c["s3Config"], s3["bucketName"]?.stringValue?.isEmpty ?? true {
            errors.append("Value null at 'loggingConfig.s3Config.bucketName' failed to satisfy constraint: Member must not be null")
        }
        for f in ["textDataDeliveryEnabled", "imageDataDeliveryEnabled", "embeddingDataDeliveryEnabled", "videoDataDeliveryEnabled", "audioDataDeliveryEnabled"] {
            if let v = c[f], v.boolValue == nil { errors.append("Value at 'loggingConfig.\(f)' failed to satisfy constraint: Member must be a boolean") }
        }
        return errors
    }
}

struct LoggingOperation: LocalOperation {
    let name: String
    let method: String
    let store: LoggingConfigurationStore

    func match(method: String, path: String) -> [String: String]? {
        PathTemplate(self.method, "/logging/modelinvocations").match(method: method, path: path)
    }
    func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    func annotate(_ call: inout FrontendCall) {
        call.attributes["eventCategory"] = "Management"
        call.attributes["readOnly"] = method == "GET" ? "true" : "false"
    }

    func handle(_ call: FrontendCall, node: Node) -> HTTPResponse {
        let account = call.callerAccount
        switch method {
        case "PUT":
            let body = try? JSONValue.parse(call.request.body)
            let errors = LoggingConfigurationStore.validate(body)
            guard errors.isEmpty else {
                return BedrockError.validation("\(errors.count) validation error\(errors.count == 1 ? "" : "s") detected: \(errors.joined(separator: "; "))")
                    .httpResponse(requestId: call.requestId)
            }
            do { try store.save(account, body?["loggingConfig"]) } catch {
                return BedrockError.internalFailure("The logging configuration could not be stored.").httpResponse(requestId: call.requestId)
            }
            return jsonResponse(Array("{}".utf8))
        case "DELETE":
            do { try store.save(account, nil) } catch {
                return BedrockError.internalFailure("The logging configuration could not be deleted.").httpResponse(requestId: call.requestId)
            }
            return jsonResponse(Array("{}".utf8))
        default:
            guard let config = store.load(account) else { return jsonResponse(Array("{}".utf8)) }
            return jsonResponse(JSONValue.object(["loggingConfig": config]).serialized())
        }
    }
}
