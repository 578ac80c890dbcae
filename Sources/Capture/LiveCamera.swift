import Frames

/// A live camera, V4L2 (`V4L2Source`) or USB (`FlirOneSource`): a capture thread of its own
/// started and stopped by the frame loop, waited on with a timeout (a camera may send nothing
/// for a while), and counted the same way (`CaptureStats`: lost and back, reconnects, stalls,
/// bad buffers) so the health model and status events read every kind alike.
public protocol LiveCamera: AnyObject, Sendable {
    var name: String { get }
    var header: RecordingHeader { get }
    var stats: CaptureStats { get }
    func start()
    func stop()
    /// The next frame into `frame`: true; false once stopped; nil when none came within `timeoutS`.
    func next(into frame: inout Frame, timeoutS: Double) -> Bool?
}

extension V4L2Source: LiveCamera {}
