// Fabricated train artifacts for the runs table and the report: the files vae-train and the
// pipeline write (config.json, summary.json, provenance.json), as text in their real layout.
import Foundation
import VAECore

enum RunFixtures {
    /// config.json as vae-train writes it, with the options that vary here.
    /// `extra`: more settings fields, e.g. `"objective":"iwae",` (with their trailing comma).
    static func config(lr: Double, seed: Int, hidden: Int = 32, samples: Int = 1, extra: String = "") -> String {
        """
        {"data":{"directory":"/x/ingest-1","identity":"52a5fb4a50aa382fbd09348d","image_channels":1,"image_height":12,\
        "image_width":12,"test_count":128,"train_count":512},"model":{"architecture":{"mlp":{}},"hidden_sizes":[\(hidden)],\
        "image_channels":1,"image_height":12,"image_width":12,"input_size":144,"latent_size":2,"likelihood":{"bernoulli":{}}},\
        "settings":{"batch_size":32,"beta":1,"binarize":"none","checkpoint_every":5,"epochs":3,"hidden_sizes":[\(hidden)],\
        "iwae_examples":0,"iwae_samples":0,"keep_checkpoints":3,"kl_warmup_epochs":0,"latent_size":2,"learning_rate":\(lr),\
        "likelihood":{"bernoulli":{}},"mc_samples":\(samples),\(extra)"seed":\(seed),"shuffle_window":4},"threads":2,\
        "tool":{"name":"vae-train","version":"0.2.0"}}
        """
    }

    /// summary.json with the test negative ELBO `elbo` (KL 3.5), or without test figures (null, as
    /// vae-train writes them for a run without test examples) when nil. With `activeUnits` (of a
    /// latent size of 2), the collapse figures too: over the test split with the PSNRs `psnr` and
    /// 10.25 dB for the mean image, or, when `elbo` is nil, over the train split with null PSNRs.
    static func summary(_ elbo: Double?, iwae: Double? = nil, activeUnits: Int? = nil, psnr: Double = 18.5) -> String {
        let collapse = activeUnits.map { units in
            ",\"active_units\":\(units),\"active_units_split\":\"\(elbo == nil ? "train" : "test")\",\"latent_size\":2,"
                + "\"test_psnr_db\":\(elbo == nil ? "null" : "\(psnr)"),\"mean_image_psnr_db\":\(elbo == nil ? "null" : "10.25")"
        } ?? ""
        return """
        {"epoch_seconds":[0.5,0.25,0.75],"epochs":3,"examples_per_second":1000,"median_epoch_seconds":0.5,\
        "phase_seconds":{"checkpoints":0,"compute":1,"data":0,"evaluation":0},"steps":48,"test_kl":\(elbo == nil ? "null" : "3.5"),\
        "test_neg_elbo":\(elbo.map { "\($0)" } ?? "null"),"test_recon":\(elbo.map { "\($0 - 3.5)" } ?? "null"),"train_loss":70\
        \(iwae.map { ",\"iwae_nll\":\($0),\"iwae_k\":50,\"iwae_n\":10" } ?? "")\(collapse)}
        """
    }

    static func provenance(_ id: String, ended: String, stage: String = "train") -> String {
        """
        {"stage":"\(stage)","artifact":"/x/\(stage)-\(id)","id":"\(id)","command":["vae-train"],"parameters":"--lr 1",\
        "tool_version":"0.2.0","git_commit":null,"input_artifact":"/x/ingest-1","input_id":"1","input_checksum":null,\
        "resumed":false,"started":"2026-01-01T00:00:00Z","ended":"\(ended)"}
        """
    }

    static func write(_ files: [String: String], in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in files { try AtomicFile.write(text, to: FileIO.join(directory, name)) }
    }
}
