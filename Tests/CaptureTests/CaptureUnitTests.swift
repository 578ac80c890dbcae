@testable import Capture
import Foundation
import Testing

@Suite struct LeptonTelemetryTests {
    /// Row A words as the Lepton 3.5 datasheet lays them out: 32-bit values least significant
    /// word first; status bits 4–5 the FFC state.
    func row(timeOnMs: UInt32, status: UInt32, frame: UInt32, lastFFCMs: UInt32) -> [UInt16] {
        var w = [UInt16](repeating: 0, count: 80)
        func put(_ i: Int, _ v: UInt32) { w[i] = UInt16(v & 0xffff); w[i + 1] = UInt16(v >> 16) }
        put(1, timeOnMs); put(3, status); put(20, frame); put(30, lastFFCMs)
        return w
    }

    @Test func decodesCountersAndShutterState() {
        let ok = row(timeOnMs: 257_022_687, status: 3 << 4, frame: 123_456, lastFFCMs: 256_647_448)
        let t = LeptonTelemetry { ok[$0] }
        #expect(t.timeOnMs == 257_022_687 && t.frameCounter == 123_456 && t.lastFFCMs == 256_647_448)
        #expect(t.ffcState == 3 && !t.shutter)
        for state: UInt32 in [1, 2] {
            let r = row(timeOnMs: 1, status: state << 4 | 0x8, frame: 1, lastFFCMs: 0)
            #expect(LeptonTelemetry { r[$0] }.shutter, "FFC state \(state) is a shutter frame")
        }
    }
}

@Suite struct FrameLayoutTests {
    @Test func imageSizesPerLayout() {
        #expect(FrameLayout.lepton122.imageSize(width: 160, height: 122) == (160, 120))
        #expect(FrameLayout.infirayYUYV.imageSize(width: 256, height: 384) == (256, 192))
        #expect(FrameLayout.y16.imageSize(width: 640, height: 512) == (640, 512))
        #expect(PixelFormat.fourccString(PixelFormat.y16.fourcc) == "Y16 ")
        #expect(PixelFormat.fourccString(PixelFormat.mjpeg.fourcc) == "MJPG")
    }

    @Test func errorKindsDriveRecovery() {
        #expect(V4L2Error(device: "/dev/video0", call: "DQBUF", code: ENODEV).kind == .deviceGone)
        #expect(V4L2Error(device: "/dev/video0", call: "DQBUF", code: EIO).kind == .streamingError)
        #expect(V4L2Error(device: "/dev/video0", call: "S_FMT", code: EINVAL).kind == .formatRejected)
        #expect(V4L2Error(device: "/dev/video0", call: "DQBUF", code: ENODEV).description
                == "capture /dev/video0: DQBUF: ENODEV (No such device)")
    }
}
