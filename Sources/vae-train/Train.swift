// vae-train: trains a VAE on the shards vae-ingest wrote and writes a run directory with
// checkpoints, metrics and the final model. The command (options, checks, the run) lives in the
// VAETrainCommand library, where the tests parse it in process.
import VAETrainCommand

@main
enum Train {
    static func main() { TrainCommand.main() }
}
