@_exported import Frames
import Foundation

/// Options for importing files that do not carry everything a recording header does.
public struct ImportOptions: Sendable, Equatable {
    public var rotation: Rotation?
    public var reference: ReferenceSource?
    /// Forget any reference the file declares.
    public var noReference = false

    public init(rotation: Rotation? = nil, reference: ReferenceSource? = nil, noReference: Bool = false) {
        self.rotation = rotation
        self.reference = reference
        self.noReference = noReference
    }

    /// What the Cacophony fever-screening kiosks need (design brief): the camera is mounted
    /// rotated (turn 90° clockwise to see it upright), and the heated reference disc, found
    /// automatically, is held at `setPointC` — each kiosk has its own, so it is always given.
    public static func feverscreenKiosk(setPointC: Double) -> ImportOptions {
        ImportOptions(rotation: .cw90, reference: ReferenceSource(radiusPx: 6, setTemperatureC: setPointC))
    }

    public func apply(to header: inout RecordingHeader) {
        if let rotation { header.camera.rotationDeg = rotation }
        if noReference { header.reference = nil }
        if let reference { header.reference = reference }
    }
}

/// Opens a recording or an importable file by its contents (not its name).
public func openSource(path: String, options: ImportOptions = ImportOptions()) throws -> FrameSource {
    let source: FrameSource
    let name = (path as NSString).lastPathComponent
    switch try sniffFormat(path: path) {
    case .recording: source = try RecordingReader(path: path)
    case .cptv: source = try CPTVReader(path: path)
    case .flirJPEG:
        let (header, frame) = try FLIRImage(path: path).recording(origin: "flir-jpeg")
        source = StillSource(name: name, header: header, frame: frame)
    case .tiff:
        let (header, frame) = try RadiometricTIFF.read(path: path)
        source = StillSource(name: name, header: header, frame: frame)
    case .infirayDump:
        let (header, frame) = try InfiRayFrame.readDump(path: path)
        source = StillSource(name: name, header: header, frame: frame)
    case .temperatureTable:
        let (header, frame) = try TemperatureTable.read(path: path)
        source = StillSource(name: name, header: header, frame: frame)
    }
    if let adjustable = source as? HeaderAdjustable { adjustable.adjustHeader { options.apply(to: &$0) } }
    return source
}

protocol HeaderAdjustable: AnyObject {
    func adjustHeader(_ change: (inout RecordingHeader) -> Void)
}

enum FileFormat { case recording, cptv, flirJPEG, tiff, infirayDump, temperatureTable }

func sniffFormat(path: String) throws -> FileFormat {
    guard let handle = FileHandle(forReadingAtPath: path) else {
        throw RecordingError(path: path, offset: 0, kind: .io("cannot open (missing or unreadable)"))
    }
    defer { try? handle.close() }
    let head = [UInt8]((try? handle.read(upToCount: 8)) ?? Data())
    if head.starts(with: RecordingFormat.magic) { return .recording }
    if head.starts(with: [0x1f, 0x8b]) || head.starts(with: Array("CPTV".utf8)) { return .cptv }
    if head.starts(with: [0xFF, 0xD8]) { return .flirJPEG }
    if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
    if InfiRayFrame.isDumpHeader(head) { return .infirayDump }
    if TemperatureTable.looksLikeText(head) { return .temperatureTable }
    throw RecordingError(path: path, offset: 0, kind: .notARecording)
}

