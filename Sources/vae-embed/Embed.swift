// vae-embed: the latent code of every example of a shard artifact under a trained model, as CSV.
// The command (options, checks, the run) lives in the VAEEmbedCommand library, where the tests
// parse it in process.
import VAEEmbedCommand

@main
enum Embed {
    static func main() { EmbedCommand.main() }
}
