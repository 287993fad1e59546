// vae-fuzz: runs the structure-aware fuzz targets of VAEFuzz (see README.md, "Fuzzing").
//
// Built as usual (`swift build`), it is the short pass `make test` runs:
//
//     vae-fuzz TARGET|all [--seconds N] [--seed S] [DIR...]
//
// replays every file in each DIR/TARGET (the corpus and the regressions), then feeds the target
// inputs drawn from the seed for N seconds. Built for libFuzzer (`make fuzz`: -sanitize=fuzzer and
// -D LIBFUZZER), `vae-fuzz TARGET [libFuzzer options] [CORPUS...]` hands the target to libFuzzer's
// coverage-guided search. Either way a reader that misbehaves ends the run with exit status 1 (or a
// crash), and the input is saved as fuzz-failure-TARGET-* (libFuzzer: crash-*) to be added to
// Tests/Fuzz/regressions/TARGET/, which the unit tests replay forever.
import Foundation
import VAECore
import VAEFuzz
import VAEModel

#if LIBFUZZER
/// libFuzzer's entry point when the program has its own main (libclang_rt.fuzzer_no_main).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The target libFuzzer drives, named by VAE_FUZZ_TARGET (set from the first argument). libFuzzer's
/// archive brings a main of its own, which needs `LLVMFuzzerTestOneInput` to link (SwiftPM renames
/// this program's main); this program's main is the one that runs.
nonisolated(unsafe) var libFuzzerTarget: FuzzTarget?
nonisolated(unsafe) var libFuzzerScratch = ""

/// libFuzzer's callback: runs the target on one input; a misbehaving reader aborts, and libFuzzer
/// saves the input as crash-*.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if libFuzzerTarget == nil {
        let name = ProcessInfo.processInfo.environment["VAE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget.named(name), let scratch = try? fuzzScratchDirectory(name) else {
            FileHandle.standardError.write(Data("vae-fuzz: set VAE_FUZZ_TARGET to one of \(FuzzTarget.all.map(\.name))\n".utf8))
            exit(64)
        }
        (libFuzzerTarget, libFuzzerScratch) = (target, scratch)
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do { try libFuzzerTarget!.run(bytes, scratch: libFuzzerScratch) } catch {
        FileHandle.standardError.write(Data("vae-fuzz \(libFuzzerTarget!.name): \(error)\n".utf8))
        abort()
    }
    return 0
}
#endif

@main
struct FuzzCommand {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        #if LIBFUZZER
        // The target is the first argument; libFuzzer's child processes (-merge, -fork) are
        // started without it, so it also goes to them in VAE_FUZZ_TARGET.
        if let name = arguments.first, FuzzTarget.named(name) != nil {
            arguments.removeFirst()
            setenv("VAE_FUZZ_TARGET", name, 1)
        }
        guard let name = ProcessInfo.processInfo.environment["VAE_FUZZ_TARGET"], let target = FuzzTarget.named(name) else { usage() }
        libFuzzerTarget = target
        libFuzzerScratch = try fuzzScratchDirectory(target.name)
        var argv: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + arguments).map { strdup($0) } + [nil]
        var argc = Int32(argv.count - 1)
        let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var base = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &base) { data, size in fuzzOneInput(data, size) }
        }
        exit(status)
        #else
        guard let name = arguments.first else { usage() }
        arguments.removeFirst()
        guard let targets = name == "all" ? FuzzTarget.all : FuzzTarget.named(name).map({ [$0] }) else { usage() }
        var seconds = 2.0, seed: UInt64 = 1, directories: [String] = []
        while let argument = arguments.first {
            arguments.removeFirst()
            switch argument {
            case "--seconds":
                guard let value = Double(arguments.first ?? "") else { usage() }
                seconds = value
                arguments.removeFirst()
            case "--seed":
                guard let value = UInt64(arguments.first ?? "") else { usage() }
                seed = value
                arguments.removeFirst()
            default: directories.append(argument)
            }
        }
        var failed = false
        for target in targets {
            let (count, failure) = try run(target, seconds: seconds / Double(targets.count), seed: seed, directories: directories)
            print("vae-fuzz \(target.name): \(count) inputs, \(failure == nil ? "no failure" : "FAILED")")
            if let failure {
                failed = true
                let file = "fuzz-failure-\(target.name)-\(SHA256.hex(failure.input).prefix(12))"
                try AtomicFile.write(failure.input, to: file, sync: false)
                FileHandle.standardError.write(Data("vae-fuzz \(target.name): \(failure.error) (input saved as \(file))\n".utf8))
            }
        }
        exit(failed ? 1 : 0)
        #endif
    }

    static func usage() -> Never {
        let names = FuzzTarget.all.map(\.name).joined(separator: "|")
        FileHandle.standardError.write(Data("usage: vae-fuzz \(names)|all [--seconds N] [--seed S] [CORPUS-ROOT...]\n".utf8))
        exit(64)
    }

    /// Replays the files under DIR/TARGET for each directory, then random inputs until `seconds`
    /// have passed; stops at the first failure.
    static func run(_ target: FuzzTarget, seconds: Double, seed: UInt64, directories: [String])
        throws -> (count: Int, failure: (input: [UInt8], error: Error)?)
    {
        let scratch = try fuzzScratchDirectory(target.name)
        var count = 0
        for directory in directories {
            let folder = FileIO.join(directory, target.name)
            for file in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() {
                let input = try FileIO.read(FileIO.join(folder, file), allowEmpty: true)
                count += 1
                do { try target.run(input, scratch: scratch) } catch { return (count, (input, error)) }
            }
        }
        var inputs = FuzzInputs(seed: seed)
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            let input = inputs.next()
            count += 1
            do { try target.run(input, scratch: scratch) } catch { return (count, (input, error)) }
        } while Date() < deadline
        return (count, nil)
    }
}
