// The first error met by work spread over several threads, kept under a lock.
import Foundation

/// The first error of work done on several threads.
package final class FirstError: @unchecked Sendable {
    private var error: Error?
    private let lock = NSLock()

    package init() {}

    package func record(_ error: Error) { lock.withLock { if self.error == nil { self.error = error } } }
    package var first: Error? { lock.withLock { error } }
}
