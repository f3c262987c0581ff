import Foundation
import Synchronization
import HTTPWire
import TLSServer

/// A small HTTPS server for the tests: one dedicated Thread (not the cooperative pool) polls the listener and every
/// connection, the way a node's I/O thread would. `respond` maps each parsed request to a list of byte blobs to send
/// (a whole response, or a chunked head followed by chunks).
final class TestHTTPSServer: Sendable {
    let port: UInt16
    let caPEM: String
    private let stopFlag = Atomic<Bool>(false)
    private let events = Mutex<[String]>([])
    private let finished = Mutex<Bool>(false)

    init(region: String = "us-east-1", respond: @escaping @Sendable (HTTPRequest, _ tlsVersion: String) -> [[UInt8]]) throws {
        let ca = try TLSCertificateAuthority()
        let names = TLSCertificateAuthority.bedrockServerNames(region: region)
        let identity = try ca.issueServerCertificate(dnsNames: names.dnsNames, ipAddresses: names.ipAddresses)
        let context = try TLSServerContext(identity: identity)
        let listener = try LoopbackListener()
        port = listener.port
        caPEM = try ca.certificatePEM
        // The thread owns the listener and the connections; nothing else touches them.
        nonisolated(unsafe) let ownedListener = listener
        let thread = Thread { [self] in
            self.loop(listener: ownedListener, context: context, respond: respond)
        }
        thread.name = "https-test-server"
        thread.start()
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        for _ in 0..<400 where !finished.withLock({ $0 }) { usleep(5_000) }
    }

    var log: [String] { events.withLock { $0 } }

    private func note(_ s: String) { events.withLock { $0.append(s) } }

    private final class Conn {
        let tls: TLSConnection
        var parser = HTTPRequestParser()
        var closeAfterFlush = false
        init(_ tls: TLSConnection) { self.tls = tls }
    }

    private func loop(listener: LoopbackListener, context: TLSServerContext, respond: (HTTPRequest, String) -> [[UInt8]]) {
        var conns: [Conn] = []
        while !stopFlag.load(ordering: .relaxed) {
            var fds = [pollfd(fd: listener.fd, events: Int16(POLLIN), revents: 0)]
            fds += conns.map { pollfd(fd: $0.tls.fd, events: $0.tls.pollEvents, revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 20)
            if fds[0].revents != 0 {
                while let fd = listener.accept() {
                    if let tls = try? TLSConnection(context: context, fd: fd) { conns.append(Conn(tls)) } else { close(fd) }
                }
            }
            var keep: [Conn] = []
            for (i, c) in conns.enumerated() {
                // Connections accepted just now were not in this poll set; they are polled next round.
                if i + 1 >= fds.count || fds[i + 1].revents == 0 { keep.append(c); continue }
                if service(c, respond: respond) { keep.append(c) } else { c.tls.close() }
            }
            conns = keep
        }
        for c in conns { c.tls.close() }
        finished.withLock { $0 = true }
    }

    /// Drives one ready connection; false when it should be closed.
    private func service(_ c: Conn, respond: (HTTPRequest, String) -> [[UInt8]]) -> Bool {
        if !c.tls.isHandshakeComplete {
            switch c.tls.handshake() {
            case .done: note("handshake \(c.tls.protocolVersion ?? "?") sni=\(c.tls.serverName ?? "-") alpn=\(c.tls.alpnProtocol ?? "-")")
            case .wantRead, .wantWrite: return true
            case .closed: note("closed during handshake"); return false
            case .failed(let e): note("handshake failed: \(e)"); return false
            }
        }
        reading: while true {
            switch c.tls.read() {
            case .data(let bytes):
                c.parser.append(bytes)
                do {
                    while let request = try c.parser.next() {
                        for blob in respond(request, c.tls.protocolVersion ?? "?") { c.tls.send(blob) }
                        if !request.keepAlive { c.closeAfterFlush = true }
                    }
                } catch {
                    note("parse error: \(error)")
                    c.tls.send(HTTPResponseWriter.parseErrorResponse(error))
                    c.closeAfterFlush = true
                    break reading
                }
            case .wantRead, .wantWrite: break reading
            case .closed: return false
            case .failed(let e): note("read failed: \(e)"); return false
            }
        }
        switch c.tls.flush() {
        case .done: return !c.closeAfterFlush
        case .wantRead, .wantWrite: return true
        case .closed: return false
        case .failed(let e): note("write failed: \(e)"); return false
        }
    }
}

/// Runs a command (under coreutils `timeout`) and returns its exit status and combined output. stdin and the output
/// go through temporary files, not pipes: a pipe read in Foundation can trap on EINTR while children exit.
func runCommand(_ args: [String], stdin: String = "", environment: [String: String] = [:], timeoutSeconds: Int = 20) throws -> (status: Int32, output: String) {
    let inPath = try writeTemp(stdin, name: "stdin")
    let outPath = try writeTemp("", name: "output")
    guard let input = FileHandle(forReadingAtPath: inPath), let output = FileHandle(forWritingAtPath: outPath) else {
        throw CocoaError(.fileNoSuchFile)
    }
    defer { try? input.close(); try? output.close() }
    let p = Process()
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = [String(timeoutSeconds)] + args
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    p.waitUntilExit()
    let data = try Data(contentsOf: URL(fileURLWithPath: outPath))
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func writeTemp(_ text: String, name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}
