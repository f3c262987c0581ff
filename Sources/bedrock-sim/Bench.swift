import ArgumentParser
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark the full request path against a raw libzmq baseline of the same shape.")
    func run() throws { throw ExitCode(1) }
}
