import Testing
import GuardrailsData
@testable import Guardrails

@Suite("Guardrails data location (resource bundle found without Bundle.module)")
struct DataLocationTests {
    @Test("the test binary finds SwiftPM's GuardrailsData bundle next to it")
    func bundleNextToExecutable() throws {
        #expect(GuardrailDataLocation.bundleName == guardrailsDataBundleName)
        let dir = try GuardrailDataLocation.directory.get()
        #expect(dir.hasSuffix("/" + guardrailsDataBundleName + "/Data"))
        #expect(GuardrailData.dataFile("stopwords.txt")?.isEmpty == false)
        #expect(GuardrailData.dataFile("no-such-file.txt") == nil)
    }

    @Test("an override that holds no data is an error naming the paths tried, not a silent fallback")
    func badOverride() {
        let r = GuardrailDataLocation.resolve(override: "/nonexistent/grdata", executable: "/usr/bin/true")
        guard case .failure(let e) = r else { Issue.record("expected a failure, got \(r)"); return }
        #expect(e.tried == ["/nonexistent/grdata", "/nonexistent/grdata/Data"])
        #expect(e.description.contains("'/nonexistent/grdata'"))
        #expect(e.description.contains(GuardrailDataLocation.environmentVariable))
    }

    @Test("an override naming the data directory or the bundle directory both work")
    func goodOverride() throws {
        let dir = try GuardrailDataLocation.directory.get()
        #expect(try GuardrailDataLocation.resolve(override: dir, executable: nil).get() == dir)
        let bundle = String(dir.dropLast("/Data".count))
        #expect(try GuardrailDataLocation.resolve(override: bundle, executable: nil).get() == bundle + "/Data")
    }

    @Test("without an override: the bundle next to the executable first, then the source tree")
    func candidates() {
        let c = GuardrailDataLocation.candidates(override: nil, executable: "/opt/sim/bin/runtime-frontend")
        #expect(c.first == "/opt/sim/bin/bedrock-sim_GuardrailsData.resources/Data")
        #expect(c.count == 2 && c[1].hasSuffix("/Sources/GuardrailsData/Data"))
    }
}
