import Foundation
import Testing

/// `ferdemo serve` as a command: start-up on a free port, and the failures to listen said
/// with what to do (status 1), bad options as usage errors (status 2), missing weights as
/// status 7; SIGTERM ends it with status 0.
@Suite("ferdemo serve (the command)", .serialized)
struct ServeCommandTests {
    @Test func listensThenRefusesATakenPortAndStopsOnSIGTERM() throws {
        let (server, _, err) = try Demo.start(["serve", "--port", "0"])
        defer { if server.isRunning { server.terminate() } }
        var port: Int?
        #expect(
            Demo.waitFor(30) {
                let text = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
                guard let range = text.range(of: "listening on http://127.0.0.1:") else { return false }
                port = Int(text[range.upperBound...].prefix { $0.isNumber })
                return port != nil
            })
        let taken = try Demo.run(["serve", "--port", String(try #require(port))])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("is taken: stop the other server or choose another --port"), "\(taken.stderr)")
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationReason == .exit && server.terminationStatus == 0)
    }

    @Test func badOptionsAndMissingWeights() throws {
        let usage = try Demo.run(["serve", "--threads", "0"])
        #expect(usage.status == 2 && usage.stderr.contains("--threads 0 is out of range"))
        let host = try Demo.run(["serve", "--host", "999.1.1.1", "--port", "0"])
        #expect(host.status == 1 && host.stderr.contains("is not an address of this machine"), "\(host.stderr)")
        let weights = try Demo.run(["serve", "--weights", "/nonexistent", "--port", "0"])
        #expect(weights.status == 7 && weights.stderr.contains("Weights file not found"), "\(weights.stderr)")
    }
}
