// vae-ingest: image datasets (IDX files, folders of PNG and JPEG images) to compressed, checksummed
// shards. The command (subcommands, options, checks, the work) lives in the VAEIngestCommand
// library, where the tests parse it in process.
import VAEIngestCommand

@main
enum Ingest {
    static func main() { IngestCommand.main() }
}
