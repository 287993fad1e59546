// The two checks every parse test makes, in process, as swift-argument-parser's own tests make
// them (`AssertParseCommand`, `AssertErrorMessage`): what a command line parses to, and the exact
// message a refused one gives. Parsing here is what the tool does before any work: options read,
// then every `validate()` run.
import ArgumentParser
import XCTest

/// Parses `arguments` as the tool whose root command is `root` would, and returns the command they
/// name (the root itself, or the subcommand they start with), which must be a `C`.
func parseCommand<C: ParsableCommand>(_ root: any ParsableCommand.Type, _ arguments: [String], as _: C.Type,
                                      file: StaticString = #filePath, line: UInt = #line) throws -> C {
    let command = try root.parseAsRoot(arguments)
    return try XCTUnwrap(command as? C, "\(arguments) parsed as \(type(of: command))", file: file, line: line)
}

/// The message the tool whose root command is `root` prints for `arguments`, after "Error: " and
/// before the usage; a failure if they parse.
func parseError(_ root: any ParsableCommand.Type, _ arguments: [String],
                file: StaticString = #filePath, line: UInt = #line) -> String {
    var message = ""
    XCTAssertThrowsError(try root.parseAsRoot(arguments), "\(arguments) parsed", file: file, line: line) {
        message = root.message(for: $0)
    }
    return message
}
