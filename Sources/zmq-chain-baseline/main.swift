// The raw libzmq baseline the benchmark compares the simulator with: the same shape as the request path
// (client -> RELAYS relays -> echo server and back, every link CURVE-encrypted, separate processes), doing nothing
// but moving bytes. A Swift port of ../shared/bench/zmq-chain-bench.c, built on the project's own ZMQ binding.
//
// usage: zmq-chain-baseline RELAYS CURVE PAYLOAD_BYTES WINDOW REQUESTS [BASE_PORT]
// prints: relays=.. curve=.. payload=.. window=.. requests=.. transport=tcp rps=.. p50_us=.. p99_us=..
import Foundation
import ZMQ

// Signals start unblocked, before any thread exists: the mask is inherited, and a process started from a thread that
// blocks SIGTERM (a test runner's, a dispatch worker's) would otherwise never let `terminate()` end its children.
var unblocked = sigset_t()
sigemptyset(&unblocked)
pthread_sigmask(SIG_SETMASK, &unblocked, nil)

func fail(_ s: String) -> Never { FileHandle.standardError.write(Data((s + "\n").utf8)); exit(2) }
func nowUs() -> Double { var ts = timespec(); clock_gettime(CLOCK_MONOTONIC, &ts); return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3 }

let args = CommandLine.arguments
let context = try! Context(ioThreads: 1)
/// Children exit when the benchmark process is gone (killed by a timeout, say): they must never outlive it.
let parentAtStart = getppid()
func parentGone() -> Bool { getppid() != parentAtStart }

func asServer(_ s: Socket, secret: String?) throws {
    guard let secret else { return }
    try s.setOption(47 /* ZMQ_CURVE_SERVER */, 1)
    try s.setOption(49 /* ZMQ_CURVE_SECRETKEY */, string: secret)
}
func asClient(_ s: Socket, serverPublic: String?) throws {
    guard let serverPublic else { return }
    let mine = try ZMQ.curveKeypair()
    try s.makeCurveClient(serverPublicKey: serverPublic, publicKey: mine.publicKey, secretKey: mine.secretKey)
}

// Child roles: `echo PORT [SECRET]` and `relay FRONT_PORT BACK_PORT [SECRET SERVER_PUBLIC]`.
if args.count >= 3, args[1] == "echo" {
    let s = try! Socket(context: context, type: .router)
    try! asServer(s, secret: args.count > 3 ? args[3] : nil)
    do { try s.bind("tcp://127.0.0.1:\(args[2])") } catch { fail("zmq-chain-baseline echo: \(error)") }
    // Each message straight back (routing id and payload), without copying, by blocking receive and send as the C
    // reference's echo; a wait that times out (a second idle) is when it checks that its parent still runs.
    try! s.setReceiveTimeout(milliseconds: 1000)
    while true {
        guard let moved = try? s.forwardNext(to: s) else { exit(0) }
        if !moved && parentGone() { exit(0) }
    }
}
if args.count >= 4, args[1] == "relay" {
    let front = try! Socket(context: context, type: .router)
    let back = try! Socket(context: context, type: .dealer)
    let curve = args.count > 5
    try! asServer(front, secret: curve ? args[4] : nil)
    try! asClient(back, serverPublic: curve ? args[5] : nil)
    do { try front.bind("tcp://127.0.0.1:\(args[2])") } catch { fail("zmq-chain-baseline relay: \(error)") }
    try! back.connect("tcp://127.0.0.1:\(args[3])")
    while true {
        guard let ready = try? Poller.poll([.socket(front), .socket(back)], timeoutMs: 1000) else { exit(0) }
        if !ready[0] && !ready[1] && parentGone() { exit(0) }
        // Messages move without copying, as zmq_proxy moves them in the C reference.
        if ready[0] { _ = try? front.forwardAll(to: back) }
        if ready[1] { _ = try? back.forwardAll(to: front) }
    }
}

guard args.count >= 6, let relays = Int(args[1]), let curveFlag = Int(args[2]), let payload = Int(args[3]),
      let window = Int(args[4]), let total = Int(args[5]), relays >= 0, relays <= 32, payload >= 4, window >= 1, total >= 1 else {
    fail("usage: zmq-chain-baseline RELAYS CURVE PAYLOAD_BYTES WINDOW REQUESTS [BASE_PORT]")
}
let basePort = args.count > 6 ? Int(args[6]) ?? 47100 : 47100
let curve = curveFlag != 0
let server = try! ZMQ.curveKeypair()
var children: [Process] = []
func spawn(_ a: [String], into children: inout [Process]) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? args[0])
    p.arguments = a
    do { try p.run() } catch { fail("cannot start \(a[0]): \(error)") }
    children.append(p)
}
spawn(["echo", String(basePort + relays)] + (curve ? [server.secretKey] : []), into: &children)
for r in stride(from: relays - 1, through: 0, by: -1) {
    spawn(["relay", String(basePort + r), String(basePort + r + 1)] + (curve ? [server.secretKey, server.publicKey] : []), into: &children)
}
usleep(300_000)
let c = try! Socket(context: context, type: .dealer)
try! asClient(c, serverPublic: curve ? server.publicKey : nil)
try! c.connect("tcp://127.0.0.1:\(basePort)")
var buf = [UInt8](repeating: 0x61, count: payload)
func put(_ i: Int32, _ buf: inout [UInt8]) { withUnsafeBytes(of: i) { for k in 0..<4 { buf[k] = $0[k] } } }
/// A reply that does not come within this long means the chain is broken (a child failed to bind, say): report
/// it and exit instead of waiting forever.
let replyTimeoutMs = 10_000
// A blocking receive, as the C reference's zmq_recv, bounded by ZMQ_RCVTIMEO.
try! c.setReceiveTimeout(milliseconds: Int32(replyTimeoutMs))
@MainActor func receiveOrFail(_ c: Socket, _ what: String) -> Message {
    if let m = try? c.receive(dontWait: false) { return m }
    for p in children { p.terminate() }
    fail("zmq-chain-baseline: no reply within \(replyTimeoutMs) ms (\(what)); the chain is broken")
}
put(-1, &buf)
try! c.send([buf], dontWait: false)
_ = receiveOrFail(c, "warm-up")
var sent = [Double](repeating: 0, count: total)
var latency: [Double] = []
latency.reserveCapacity(total)
var next = 0
let started = nowUs()
while latency.count < total {
    while next < total && next - latency.count < window {
        put(Int32(next), &buf); sent[next] = nowUs(); try! c.send([buf], dontWait: false); next += 1
    }
    let m = receiveOrFail(c, "after \(latency.count) replies")
    guard let f = m.frames.first, f.count >= 4 else { break }
    let id = f.withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
    latency.append(nowUs() - sent[Int(id)])
}
let elapsed = nowUs() - started
latency.sort()
print(String(format: "relays=%d curve=%d payload=%d window=%d requests=%d transport=tcp rps=%.0f p50_us=%.1f p99_us=%.1f",
             relays, curveFlag, payload, window, latency.count, Double(latency.count) / (elapsed / 1e6),
             latency[latency.count / 2], latency[min(latency.count - 1, Int(Double(latency.count) * 0.99))]))
for p in children { p.terminate() }
for p in children { p.waitUntilExit() }
exit(0)
