// vae-generate: PNG sample sheets of a trained model, plots of CSV files and latent codes, a
// pipeline's runs table and report page. The command (subcommands, options, checks, the drawing)
// lives in the VAEGenerateCommand library, where the tests parse it in process.
import VAEGenerateCommand

@main
enum Generate {
    static func main() { GenerateCommand.main() }
}
