/// Anything that yields thermal frames: a camera, a recording, an imported file.
///
/// `next(into:)` fills the caller's frame in place and returns false at the end of a finite
/// source. Live sources block up to their own bounded timeout.
public protocol FrameSource: AnyObject {
    /// File name or device, as events name their `source`.
    var name: String { get }
    var header: RecordingHeader { get }
    /// Problems met so far that did not stop the source (damaged records, dropped frames).
    var problems: [RecordingError] { get }
    func next(into frame: inout Frame) throws -> Bool
}
