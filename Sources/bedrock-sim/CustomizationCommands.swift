// CLI for the customization stand-ins (README: "Fine-tuning, provisioned throughput, customer KMS and S3"):
//   bedrock-sim kms OPERATION [JSON]           awsJson1.1 call to the client's account kms node (TrentService.OPERATION)
//   bedrock-sim s3 mb|rb|ls|put|get|head|rm|put-policy|get-policy ...
//   bedrock-sim customize create|get|list|stop|get-model|list-models|delete-model ...   (through the front end)
//   bedrock-sim provision create|get|list|update|delete ...                              (through the front end)
//   bedrock-sim restart NODE                   start a dead node again (kill -9 recovery)
// Every call goes from a bedrock-client node (--from), SigV4-signed as a principal of the run (--as: NAME, user/NAME,
// ROLE/SESSION, an ARN or an access key id; default: the client account's first principal).
import ArgumentParser
import Foundation
import NodeRuntime
import OperatorKit
import RoleKit

struct CallerOptions: ParsableArguments {
    @Option(help: "The bedrock-client node to call from (default: the first one).") var from: String?
    @Option(name: .customLong("as"), help: "Principal to sign as: NAME, user/NAME, ROLE/SESSION, an ARN or an access key id (default: the client account's first principal).") var principal: String?
    @Flag(help: "Print the raw JSON reply.") var json = false
}

struct AWSCallContext {
    let run: RunDirectory
    let manifest: RunManifest
    let client: String
    let account: String
    /// What the client signs as (its signer resolves it); nil: the account's first principal.
    let principal: String?

    init(_ options: RunOptions, _ caller: CallerOptions) throws {
        run = options.run
        manifest = try run.loadManifest()
        guard run.liveSupervisorPid != nil else { throw CLIError("the run in \(run.path) is not live; start it with `bedrock-sim up`") }
        let name = caller.from ?? manifest.nodes.first { $0.role == "bedrock-client" }?.name ?? ""
        guard let node = manifest.node(named: name), node.role == "bedrock-client" else {
            throw CLIError("no bedrock-client node named '\(name)'")
        }
        client = name
        account = node.accountId
        if let p = caller.principal, p.hasPrefix("user/") { principal = "arn:aws:iam::\(node.accountId):\(p)" }
        else { principal = caller.principal }
    }

    func request(_ command: [String: Any], timeoutMs: Int = 20_000) throws -> [String: Any] {
        let reply: [String: Any]
        do { reply = try run.operatorClient().request(client, json: command, timeoutMs: timeoutMs + 5000) } catch { throw CLIError("\(error)") }
        if let err = reply["error"] as? String, reply["httpStatus"] == nil { throw CLIError(err) }
        return reply
    }

    /// A kms or s3 call.
    func aws(service: String, method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) throws -> [String: Any] {
        try request(["command": "aws", "service": service, "method": method, "path": path, "query": query, "headers": headers,
                     "bodyBase64": Data(body).base64EncodedString(), "principal": principal ?? ""])
    }

    /// A Bedrock control-plane call through the endpoint and front end.
    func bedrock(method: String, path: String, body: String = "") throws -> [String: Any] {
        try request(["command": "invoke", "method": method, "path": path, "body": body, "deadlineMs": 20_000,
                     "headers": [String: String](), "options": principal.map { ["principal": $0] } ?? [String: String]()])
    }

    /// GET `path`; with `wait`, again every 200 ms while the resource's `status` is one of `pending` (at most
    /// `timeout` seconds), for `get --wait` of jobs and provisioned throughput.
    func get(_ path: String, wait: Bool, whileStatusIn pending: Set<String>, timeout: TimeInterval) throws -> [String: Any] {
        var reply = try bedrock(method: "GET", path: path)
        let deadline = Date().addingTimeInterval(timeout)
        while wait, Date() < deadline, let b = reply["body"] as? String,
              let s = (try? JSONSerialization.jsonObject(with: Data(b.utf8)) as? [String: Any])?["status"] as? String,
              pending.contains(s) {
            usleep(200_000)
            reply = try bedrock(method: "GET", path: path)
        }
        return reply
    }
}

/// Positional argument `i` of a CLI action, or `missing` as the error.
func actionArgument(_ args: [String], _ i: Int, missing: @autoclosure () -> String) throws -> String {
    guard i < args.count else { throw CLIError(missing()) }
    return args[i]
}

/// Prints a reply; throws exit 4 when it is an error.
func printReply(_ reply: [String: Any], json: Bool, okStatuses: ClosedRange<Int> = 200...299) throws {
    let status = reply["httpStatus"] as? Int ?? 0
    if json {
        print(String(decoding: try JSONSerialization.data(withJSONObject: reply.filter { $0.key != "bodyBase64" }, options: [.sortedKeys]), as: UTF8.self))
    } else {
        let body = reply["body"] as? String ?? ""
        if !body.isEmpty { print(prettyJSON(body)) }
        if !okStatuses.contains(status) { printErr("HTTP \(status) \(reply["status"] as? String ?? reply["error"] as? String ?? "") \(reply["message"] as? String ?? "") (request \(reply["requestId"] as? String ?? ""))") }
    }
    if !okStatuses.contains(status) { throw ExitCode(4) }
}

struct KMSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kms", abstract: "Call the account's KMS stand-in (awsJson1.1, TrentService.OPERATION).",
        discussion: "Example: bedrock-sim kms CreateKey '{\"Description\":\"model key\"}'; bedrock-sim kms DisableKey '{\"KeyId\":\"alias/model\"}'.")
    @OptionGroup var options: RunOptions
    @OptionGroup var caller: CallerOptions
    @Argument(help: "Operation, e.g. CreateKey, DescribeKey, CreateAlias, ListGrants, RevokeGrant, DisableKey, Encrypt.") var operation: String
    @Argument(help: "The JSON request body (or @FILE).") var body: String = "{}"
    func run() throws {
        try runCLI {
            let ctx = try AWSCallContext(options, caller)
            var text = body
            if body.hasPrefix("@") { text = try String(contentsOfFile: String(body.dropFirst()), encoding: .utf8) }
            try printReply(try ctx.aws(service: "kms", method: "POST", path: "/", headers: ["X-Amz-Target": "TrentService.\(operation)"], body: Array(text.utf8)), json: caller.json)
        }
    }
}

struct S3Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3", abstract: "Call the account's S3 stand-in.",
        discussion: """
        mb BUCKET | rb BUCKET | ls BUCKET [PREFIX] | put BUCKET/KEY FILE | get BUCKET/KEY [OUTFILE] | head BUCKET/KEY | rm BUCKET/KEY | \
        put-policy BUCKET FILE | get-policy BUCKET | delete-policy BUCKET. With put, --sse-kms KEY encrypts under that KMS key.
        """)
    @OptionGroup var options: RunOptions
    @OptionGroup var caller: CallerOptions
    @Option(help: "put: SSE-KMS with this key (id, ARN or alias).") var sseKms: String?
    @Argument(help: "Action.") var action: String
    @Argument(help: "Arguments.") var args: [String] = []

    func run() throws {
        try runCLI {
            let ctx = try AWSCallContext(options, caller)
            func arg(_ i: Int, _ what: String) throws -> String {
                guard i < args.count else { throw CLIError("s3 \(action) needs \(what)") }
                return args[i]
            }
            func objectPath(_ s: String) -> String {
                let parts = s.split(separator: "/", maxSplits: 1)
                return "/" + parts[0] + (parts.count > 1 ? "/" + RuntimeRouter.percentEncodeSegment(String(parts[1])) : "")
            }
            let reply: [String: Any]
            switch action {
            case "mb": reply = try ctx.aws(service: "s3", method: "PUT", path: "/" + (try arg(0, "BUCKET")))
            case "rb": reply = try ctx.aws(service: "s3", method: "DELETE", path: "/" + (try arg(0, "BUCKET")))
            case "ls":
                if args.isEmpty { reply = try ctx.aws(service: "s3", method: "GET", path: "/") }
                else { reply = try ctx.aws(service: "s3", method: "GET", path: "/" + args[0], query: "list-type=2" + (args.count > 1 ? "&prefix=\(args[1])" : "")) }
            case "put":
                let file = try arg(1, "FILE")
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
                var headers: [String: String] = [:]
                if let k = sseKms { headers["x-amz-server-side-encryption"] = "aws:kms"; headers["x-amz-server-side-encryption-aws-kms-key-id"] = k }
                reply = try ctx.aws(service: "s3", method: "PUT", path: objectPath(try arg(0, "BUCKET/KEY")), headers: headers, body: Array(data))
            case "get":
                reply = try ctx.aws(service: "s3", method: "GET", path: objectPath(try arg(0, "BUCKET/KEY")))
                if args.count > 1, (reply["httpStatus"] as? Int) == 200, let b = reply["bodyBase64"] as? String, let d = Data(base64Encoded: b) {
                    try d.write(to: URL(fileURLWithPath: args[1]))
                    print("wrote \(d.count) bytes to \(args[1])")
                    return
                }
            case "head": reply = try ctx.aws(service: "s3", method: "HEAD", path: objectPath(try arg(0, "BUCKET/KEY")))
            case "rm": reply = try ctx.aws(service: "s3", method: "DELETE", path: objectPath(try arg(0, "BUCKET/KEY")))
            case "put-policy":
                let file = try arg(1, "FILE")
                guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
                reply = try ctx.aws(service: "s3", method: "PUT", path: "/" + (try arg(0, "BUCKET")), query: "policy", body: Array(data))
            case "get-policy": reply = try ctx.aws(service: "s3", method: "GET", path: "/" + (try arg(0, "BUCKET")), query: "policy")
            case "delete-policy": reply = try ctx.aws(service: "s3", method: "DELETE", path: "/" + (try arg(0, "BUCKET")), query: "policy")
            default: throw CLIError("unknown s3 action '\(action)' (mb, rb, ls, put, get, head, rm, put-policy, get-policy, delete-policy)")
            }
            if action == "head", !caller.json, let h = reply["headers"] as? [String: String] {
                for (k, v) in h.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
            }
            try printReply(reply, json: caller.json)
        }
    }
}

struct CustomizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customize", abstract: "Model customization through the Bedrock front end.",
        discussion: """
        create JSON|@FILE (CreateModelCustomizationJob body) | get JOB | list | stop JOB | get-model MODEL | list-models | delete-model MODEL. \
        `get JOB --wait` polls until the job leaves InProgress/Stopping.
        """)
    @OptionGroup var options: RunOptions
    @OptionGroup var caller: CallerOptions
    @Flag(help: "get: wait until the job ends.") var wait = false
    @Argument(help: "Action.") var action: String
    @Argument(help: "Arguments.") var args: [String] = []

    func run() throws {
        try runCLI {
            let ctx = try AWSCallContext(options, caller)
            func arg(_ i: Int) throws -> String { try actionArgument(args, i, missing: "customize \(action) needs an argument") }
            let enc = percentEncode
            switch action {
            case "create":
                var text = try arg(0)
                if text.hasPrefix("@") { text = try String(contentsOfFile: String(text.dropFirst()), encoding: .utf8) }
                try printReply(try ctx.bedrock(method: "POST", path: "/model-customization-jobs", body: text), json: caller.json)
            case "get":
                try printReply(try ctx.get("/model-customization-jobs/\(enc(try arg(0)))", wait: wait,
                                            whileStatusIn: ["InProgress", "Stopping"], timeout: 120), json: caller.json)
            case "list": try printReply(try ctx.bedrock(method: "GET", path: "/model-customization-jobs"), json: caller.json)
            case "stop": try printReply(try ctx.bedrock(method: "POST", path: "/model-customization-jobs/\(enc(try arg(0)))/stop"), json: caller.json)
            case "get-model": try printReply(try ctx.bedrock(method: "GET", path: "/custom-models/\(enc(try arg(0)))"), json: caller.json)
            case "list-models": try printReply(try ctx.bedrock(method: "GET", path: "/custom-models"), json: caller.json)
            case "delete-model": try printReply(try ctx.bedrock(method: "DELETE", path: "/custom-models/\(enc(try arg(0)))"), json: caller.json)
            default: throw CLIError("unknown customize action '\(action)'")
            }
        }
    }
}

struct ProvisionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision", abstract: "Provisioned throughput through the Bedrock front end.",
        discussion: "create MODEL_ID NAME UNITS | get ID | list | update ID UNITS | delete ID. `get ID --wait` polls until it leaves Creating/Updating.")
    @OptionGroup var options: RunOptions
    @OptionGroup var caller: CallerOptions
    @Flag(help: "get: wait until it leaves Creating/Updating.") var wait = false
    @Argument(help: "Action.") var action: String
    @Argument(help: "Arguments.") var args: [String] = []

    func run() throws {
        try runCLI {
            let ctx = try AWSCallContext(options, caller)
            func arg(_ i: Int) throws -> String { try actionArgument(args, i, missing: "provision \(action) needs more arguments") }
            let enc = percentEncode
            switch action {
            case "create":
                let body = JSONValue.object(["modelId": .string(try arg(0)), "provisionedModelName": .string(try arg(1)),
                                             "modelUnits": .number(Double(Int(try arg(2)) ?? 0))]).serialized()
                try printReply(try ctx.bedrock(method: "POST", path: "/provisioned-model-throughput", body: String(decoding: body, as: UTF8.self)), json: caller.json)
            case "get":
                try printReply(try ctx.get("/provisioned-model-throughput/\(enc(try arg(0)))", wait: wait,
                                            whileStatusIn: ["Creating", "Updating"], timeout: 60), json: caller.json)
            case "list": try printReply(try ctx.bedrock(method: "GET", path: "/provisioned-model-throughputs"), json: caller.json)
            case "update":
                let body = JSONValue.object(["desiredModelUnits": .number(Double(Int(try arg(1)) ?? 0))]).serialized()
                try printReply(try ctx.bedrock(method: "PATCH", path: "/provisioned-model-throughput/\(enc(try arg(0)))", body: String(decoding: body, as: UTF8.self)), json: caller.json)
            case "delete": try printReply(try ctx.bedrock(method: "DELETE", path: "/provisioned-model-throughput/\(enc(try arg(0)))"), json: caller.json)
            default: throw CLIError("unknown provision action '\(action)'")
            }
        }
    }
}

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a dead node of the run again (e.g. after kill -9) and wait until it is healthy.")
    @OptionGroup var options: RunOptions
    @Argument(help: "Node name.") var node: String
    func run() throws {
        try runCLI {
            let run = options.run
            let manifest = try run.loadManifest()
            guard manifest.node(named: node) != nil else { throw CLIError("no node named '\(node)'") }
            let dir = run.path + "/supervisor-requests"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let req = try JSONSerialization.data(withJSONObject: ["command": "restart", "node": node])
            let tmp = dir + "/.\(UUID().uuidString)"
            try req.write(to: URL(fileURLWithPath: tmp))
            try FileManager.default.moveItem(atPath: tmp, toPath: dir + "/\(UUID().uuidString).json")
            let client = try run.operatorClient()
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let r = try? client.request(node, json: ["command": "ping"], timeoutMs: 300), r["ready"] as? Bool == true,
                   let pid = r["pid"] as? Int, RunStatus.load(runDirectory: run.path)?.nodes.first(where: { $0.name == node })?.pid == Int32(pid) {
                    print("\(node) is running again (pid \(pid))")
                    return
                }
                usleep(100_000)
            }
            throw CLIError("\(node) did not come back within 20 s; see \(run.logsPath)/\(node).log")
        }
    }
}
