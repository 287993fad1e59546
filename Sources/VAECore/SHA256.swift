// SHA-256 (FIPS 180-4), used to record the identity of input files and of a shard manifest,
// computed by OpenSSL's libcrypto through its message-digest (EVP) interface.
import CCrypto

/// An incremental SHA-256 hasher.
///
/// A value type: a copy hashes on independently of the original (the libcrypto context is copied
/// before a shared one is changed).
public struct SHA256 {
    private var context: Context

    public init() {
        context = Context()
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context.pointer, base, bytes.count) == 1 else {
            preconditionFailure("libcrypto failed to hash \(bytes.count) bytes")
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest as 32 bytes; the hasher is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        if !isKnownUniquelyReferenced(&context) { context = context.copy() }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context.pointer, &digest, &length) == 1, length == 32 else {
            preconditionFailure("libcrypto failed to finish a SHA-256 digest")
        }
        return Array(digest.prefix(32))
    }

    /// The lowercase hex digest of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hexString(hasher.finalize())
    }

    public static func hexString(_ digest: [UInt8]) -> String { Hex.bytes(digest) }

    /// One libcrypto digest context, freed in one place (`deinit`). Failures here are broken
    /// invariants (out of memory, a libcrypto without SHA-256), not bad input.
    private final class Context {
        let pointer: OpaquePointer

        init() {
            guard let pointer = EVP_MD_CTX_new() else { preconditionFailure("libcrypto: out of memory") }
            self.pointer = pointer
            guard EVP_DigestInit_ex(pointer, EVP_sha256(), nil) == 1 else {
                preconditionFailure("libcrypto cannot start SHA-256")
            }
        }

        private init(copying other: OpaquePointer) {
            guard let pointer = EVP_MD_CTX_new(), EVP_MD_CTX_copy_ex(pointer, other) == 1 else {
                preconditionFailure("libcrypto cannot copy a digest context")
            }
            self.pointer = pointer
        }

        func copy() -> Context { Context(copying: pointer) }

        deinit { EVP_MD_CTX_free(pointer) }
    }
}
