/// The version of the pipeline's tools, recorded in every artifact they write.
public enum PipelineVersion {
    public static let current = "0.2.0"
}
