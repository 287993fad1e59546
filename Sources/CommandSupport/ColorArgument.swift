// A color on the command line (`--background`): `R,G,B` or one gray value, as `RGBColor` reads it.
import ArgumentParser
import VAEImages

extension RGBColor: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    /// A gray default shows as its one value, any other as `R,G,B`.
    public var defaultValueDescription: String { red == green && green == blue ? "\(red)" : description }
}
