import Testing
import Foundation
@testable import Topology
@Test func zzprobe() throws {
    let text = try String(contentsOfFile: defaultTopologyPath(), encoding: .utf8)
    let clock = ContinuousClock()
    let n = 200
    let t = clock.measure { for _ in 0..<n { _ = Topology.validate(yaml: text, file: "d", knownModelIds: knownModelIds) } }
    let l = clock.measure { for _ in 0..<n { _ = try? Topology.validate(yaml: text, file: "d", knownModelIds: knownModelIds).get().links() } }
    print("PROBE validate default.yaml: \(t / n) per run; validate+links: \(l / n)")
}
