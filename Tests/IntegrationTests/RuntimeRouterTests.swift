// Routing of bedrock-runtime paths (in process; no nodes).
import Envelope
import RoleKit
import Testing

@Suite("Runtime router")
struct RuntimeRouterTests {
    static func route(_ method: String, _ path: String) -> Result<RoutedRequest, BedrockError> {
        RuntimeRouter.route(HTTPRequest(method: method, path: path))
    }

    @Test func everyOperationAndAPercentEncodedModelId() throws {
        let cases: [(String, RuntimeOperation)] = [("invoke", .invokeModel), ("invoke-with-response-stream", .invokeModelWithResponseStream),
                                                   ("converse", .converse), ("converse-stream", .converseStream), ("count-tokens", .countTokens)]
        for (action, op) in cases {
            let r = try Self.route("POST", "/model/anthropic.claude-3-haiku-20240307-v1%3A0/\(action)").get()
            #expect(r.operation == op && r.modelId == "anthropic.claude-3-haiku-20240307-v1:0")
        }
        // Nothing escaped (taken as it is), and an escaped slash inside the id.
        #expect(try Self.route("POST", "/model/amazon.titan-text-express-v1/invoke").get().modelId == "amazon.titan-text-express-v1")
        #expect(try Self.route("POST", "/model/a%2Fb%20c/converse").get().modelId == "a/b c")
    }

    @Test func anythingElseIsRefusedWithTheServiceErrors() {
        for (method, path) in [("GET", "/model/m/invoke"), ("POST", "/model/m/explode"), ("POST", "/model/m/invoke/extra"),
                               ("POST", "/models/m/invoke"), ("POST", "model/m/invoke"), ("POST", "/model/m"), ("POST", "/model/"),
                               ("POST", "/model/m/"), ("POST", "/model/m/invok"), ("POST", "/mode")] {
            guard case .failure(let e) = Self.route(method, path) else { Issue.record("\(method) \(path) routed"); continue }
            #expect(e.errorType == "UnknownOperationException", "\(method) \(path): \(e.errorType)")
        }
        for path in ["/model//invoke", "/model/%ZZ/invoke", "/model/%FF/invoke"] {
            guard case .failure(let e) = Self.route("POST", path) else { Issue.record("\(path) routed"); continue }
            #expect(e.errorType == "ValidationException", "\(path): \(e.errorType)")
        }
    }
}
