import Foundation
import Testing

/// The README's Swift examples cannot drift from the API: each one that starts with `import` must
/// appear, character for character, in a source file of Tests/ConsumerPackage, which `make test`
/// builds as a dependent package and runs (Tools/check_consumer_build.sh --check). The one other
/// Swift block (Package.swift lines) is the consumer package's own manifest in spirit and is not
/// a program.
@Suite("README snippets")
struct ReadmeSnippetTests {
    @Test("every README program is compiled and run by the consumer package")
    func snippetsAreInTheConsumerPackage() throws {
        let readme = try String(contentsOf: Paths.root.appendingPathComponent("README.md"), encoding: .utf8)
        var snippets: [String] = []
        var current: String?
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```swift" {
                current = ""
            } else if current != nil, line == "```" {
                if let text = current, text.hasPrefix("import ") { snippets.append(text) }
                current = nil
            } else if current != nil {
                current! += line + "\n"
            }
        }
        #expect(snippets.count >= 3, "the README's programs were not found")
        let sources = Paths.root.appendingPathComponent("Tests/ConsumerPackage/Sources/fercore-consumer")
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        let texts = try files.map { try String(contentsOf: sources.appendingPathComponent($0), encoding: .utf8) }
        for snippet in snippets {
            let firstLines = snippet.split(separator: "\n").prefix(4).joined(separator: " / ")
            #expect(
                texts.contains { $0.contains(snippet) },
                "README snippet not in Tests/ConsumerPackage (copy it there verbatim): \(firstLines)")
        }
    }
}
