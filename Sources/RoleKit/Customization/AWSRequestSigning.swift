// SigV4 on the customer's direct calls to its own KMS and S3 (client -> kms, client -> s3). These calls do not pass
// the Bedrock front end, so the kms and s3 nodes authenticate them themselves, as the real services do: the client
// signs with the run's credentials (service `kms`, or `s3` with S3's path rule and X-Amz-Content-Sha256), and the
// node verifies with SigV4Verifier over RUN_DIR/keys/credentials.json and maps the access key to its principal in
// RUN_DIR/iam.json. A signature of another account's principal is refused even when valid: a client node acts only
// for principals of its own account.
import Envelope
import FoundationEssentials
import IAMPolicy
import NodeRuntime
import SigV4

extension ClientAuthorization {
    /// Signs a call to the account's `kms` or `s3` node as `principal` (name, ROLE/SESSION, ARN or access key id;
    /// nil: the account's first principal). Returns the signer's ARN, or why the call cannot be signed.
    public func signAWS(_ request: inout HTTPRequest, service: String, principal: String?) -> Result<String, BedrockError> {
        guard let signer = signer(for: principal.map { ["principal": $0] } ?? [:]) else {
            return .failure(BedrockError("UnrecognizedClientException", 403,
                                         "no access key for principal '\(principal ?? "(default)")' in this run's credentials (account \(account))"))
        }
        (request.path, request.query) = request.pathAndQuery
        let options = service == "s3" ? SigV4Signer.Options(addContentSHA256Header: true, pathStyle: .s3) : SigV4Signer.Options()
        let unsigned = SigV4Request(method: request.method, path: request.path, query: request.query,
                                    headers: request.headers.map { SigV4Header($0.name, $0.value) }, body: request.body)
        let signed = SigV4Signer.sign(unsigned, credentials: signer.credentials, region: region, service: service, date: Date(), options: options)
        request.headers = signed.headers.map { HTTPHeader($0.name, $0.value) }
        return .success(signer.principal.arn)
    }
}

/// Verifies SigV4 on requests a kms or s3 node receives from the customer's clients.
public final class AWSRequestAuthenticator: Sendable {
    public let service: String
    let verifier: SigV4Verifier
    let directory: IAMDirectory

    public init(service: String, runDirectory: String, region: String, directory: IAMDirectory) throws {
        self.service = service
        self.directory = directory
        let store = try CredentialStore.load(runDirectory: runDirectory)
        var secrets: [String: SigV4Secret] = [:]
        for (id, c) in store.keys {
            secrets[id] = SigV4Secret(secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, isExpired: c.expired)
        }
        let lookup = secrets
        verifier = SigV4Verifier(service: service, regions: [region], allowedClockSkewSeconds: 300,
                                 pathStyle: service == "s3" ? .s3 : .standard, allowUnsignedPayload: service == "s3",
                                 lookup: { lookup[$0] })
    }

    /// The signing principal, or the service's authentication error.
    public func authenticate(_ request: HTTPRequest) -> Result<ResolvedPrincipal, CallerRefused> {
        let (path, query) = request.pathAndQuery
        let r = SigV4Request(method: request.method, path: path, query: query, headers: request.headers.map { SigV4Header($0.name, $0.value) },
                             body: request.body)
        switch verifier.verify(r, now: Date()) {
        case .rejected(let f):
            return .failure(CallerRefused("SigV4 \(f.reason.rawValue): \(f.message)", errorType: f.errorType, httpStatus: f.httpStatus))
        case .authenticated(let a):
            guard let p = directory.byAccessKey[a.accessKeyId] else {
                return .failure(CallerRefused("access key \(a.accessKeyId) has a secret but no principal", errorType: "UnrecognizedClientException",
                                              httpStatus: 403))
            }
            return .success(p)
        }
    }
}
