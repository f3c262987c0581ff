// swift-tools-version:6.0
// The Bedrock security-architecture simulator.
//
// Layering (see docs/architecture.md):
//   C modules      CZeroMQ (libzmq), COpenSSL (libcrypto), CLibSSL (libssl), CSystemShims (prctl, signalfd, eventfd)
//   pure engines   SimCrypto, Envelope, SigV4, IAMPolicy, Guardrails, ModelStandIns, EventStream, HTTPWire, Topology
//   TLS            TLSServer (libssl through CLibSSL): per-run CA, server certificate, non-blocking TLS over a socket fd
//   runtime        ZMQ (thin binding, the only importer of CZeroMQ), NodeRuntime (I/O thread, journal, lifecycle)
//   roles          one thin executable per role; bedrock-sim is the orchestrator CLI
// Each C module is imported by exactly one Swift target.
import PackageDescription

let package = Package(
    name: "bedrock-sim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bedrock-sim", targets: ["bedrock-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    ],
    targets: [
        // C modules.
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "CSystemShims", cSettings: [.define("_GNU_SOURCE")]),
        // libssl + libcrypto for the SDK's HTTPS listener; imported by TLSServer only.
        .systemLibrary(name: "CLibSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Pure engines: no sockets, no processes, testable in-process.
        .target(name: "SimCrypto", dependencies: ["COpenSSL"]),
        .target(name: "ASCIIText"),
        .target(name: "Envelope", dependencies: ["SimCrypto", "ASCIIText"]),
        .target(name: "SigV4", dependencies: ["SimCrypto", "ASCIIText"]),
        .target(name: "JSONText", dependencies: ["ASCIIText"]),
        .target(name: "IAMPolicy", dependencies: ["JSONText", "ASCIIText"]),
        // Guardrails reads its lexicons from GuardrailsData's resource bundle with FoundationEssentials: a target with
        // resources gets SwiftPM's Bundle.module accessor, which imports full Foundation (not wanted in node processes).
        .target(name: "Guardrails"),
        .target(name: "GuardrailsData", resources: [.copy("Data")]),
        .target(name: "ModelStandIns", dependencies: ["ASCIIText"]),
        .target(name: "Topology", dependencies: ["IAMPolicy", "Guardrails", "JSONText", .product(name: "Yams", package: "Yams")]),
        // SDK wire compatibility (issue 6): event-stream framing, HTTP/1.1 parsing, TLS. No ZeroMQ.
        .target(name: "EventStream", dependencies: ["JSONText"]),
        .target(name: "HTTPWire", dependencies: ["JSONText"]),
        .target(name: "TLSServer", dependencies: ["CLibSSL"]),

        // Runtime.
        .target(name: "ZMQ", dependencies: ["CZeroMQ"]),
        .target(name: "NodeRuntime", dependencies: ["ZMQ", "Envelope", "SimCrypto", "CSystemShims", "JSONText", "ASCIIText"]),
        // The operator's side (bedrock-sim, tests): supervisor and control-socket client. Uses full Foundation,
        // which node processes never load.
        .target(name: "OperatorKit", dependencies: ["NodeRuntime", "ZMQ", "Envelope"]),
        .target(name: "RoleKit", dependencies: ["NodeRuntime", "Envelope", "SimCrypto", "ModelStandIns", "SigV4", "IAMPolicy", "EventStream", "ASCIIText", "JSONText"]),
        // The SDK endpoint in each client node (issue 6): HTTPS on loopback for unchanged AWS SDKs.
        .target(name: "SDKEndpoint", dependencies: ["RoleKit", "NodeRuntime", "Envelope", "HTTPWire", "EventStream", "TLSServer"]),
        // Guardrails on the front end's request path. Separate so that only the front end links Guardrails.
        .target(name: "FrontendGuardrails", dependencies: ["RoleKit", "NodeRuntime", "Envelope", "SimCrypto", "ModelStandIns", "Guardrails"]),

        // Roles: thin executables.
        .executableTarget(name: "bedrock-client", dependencies: ["RoleKit", "SDKEndpoint"]),
        .executableTarget(name: "privatelink-endpoint", dependencies: ["RoleKit"]),
        .executableTarget(name: "runtime-frontend", dependencies: ["RoleKit", "FrontendGuardrails"]),
        .executableTarget(name: "escrow-host", dependencies: ["RoleKit"]),
        .executableTarget(name: "model-provider-node", dependencies: ["RoleKit"]),
        .executableTarget(name: "trace-collector", dependencies: ["RoleKit"]),
        .executableTarget(name: "zmq-chain-baseline", dependencies: ["ZMQ"]),
        .executableTarget(name: "kms-node", dependencies: ["RoleKit"]),
        .executableTarget(name: "s3-node", dependencies: ["RoleKit"]),
        .executableTarget(name: "finetune-worker", dependencies: ["RoleKit"]),
        .executableTarget(name: "provisioned-host", dependencies: ["RoleKit"]),
        .executableTarget(
            name: "bedrock-sim",
            dependencies: [
                "RoleKit", "FrontendGuardrails", "OperatorKit", "Topology", "IAMPolicy", "Guardrails", "GuardrailsData", "TLSServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),

        // Tests.
        .testTarget(name: "SimCryptoTests", dependencies: ["SimCrypto"]),
        .testTarget(name: "EnvelopeTests", dependencies: ["Envelope", "SimCrypto", "ASCIIText"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"], resources: [.copy("Vectors")]),
        .testTarget(name: "IAMPolicyTests", dependencies: ["IAMPolicy"]),
        .testTarget(name: "GuardrailsTests", dependencies: ["Guardrails", "GuardrailsData"]),
        .testTarget(name: "ModelStandInsTests", dependencies: ["ModelStandIns"]),
        .testTarget(name: "TopologyTests", dependencies: ["Topology", "IAMPolicy", "Guardrails"]),
        .testTarget(name: "ZMQTests", dependencies: ["ZMQ"]),
        .testTarget(name: "EventStreamTests", dependencies: ["EventStream"], resources: [.copy("Vectors")]),
        .testTarget(name: "HTTPWireTests", dependencies: ["HTTPWire"]),
        .testTarget(name: "TLSServerTests", dependencies: ["TLSServer", "HTTPWire", "EventStream"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Topology", "NodeRuntime", "OperatorKit", "Envelope", "ZMQ", "RoleKit", "FrontendGuardrails", "Guardrails", "JSONText"],
                    exclude: ["Fixtures"]),  // topologies the tests read by path
    ]
)

// Release builds (the benchmark's) leave out the run-time exclusivity checks (swift_beginAccess on every access to a
// class's stored property, a global or an escaping closure's capture): each node is one thread's state machine, the
// compile-time checks stay, and the debug builds that `swift test` runs keep the run-time ones, so a violation still
// fails the suite. Measured: 3.5 % of the instructions per call of all processes (Scripts/instr-count.sh).
for target in package.targets where target.type == .regular || target.type == .executable {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    ]
}
