import Foundation
import Capture
import CCapture

/// An RGB colour.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}

/// An 8-bit RGB picture being drawn: what every picture canthus writes is made of one.
public struct Picture: Sendable {
    public let width: Int, height: Int
    /// Row-major R, G, B bytes.
    public private(set) var bytes: [UInt8]

    public init(width: Int, height: Int, background: RGB = RGB(24, 24, 24)) {
        self.width = width
        self.height = height
        bytes = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, width: width, height: height, background)
    }

    public subscript(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(bytes[i], bytes[i + 1], bytes[i + 2])
    }

    /// Sets one pixel; outside the picture nothing happens.
    public mutating func set(_ x: Int, _ y: Int, _ c: RGB) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        bytes[i] = c.r; bytes[i + 1] = c.g; bytes[i + 2] = c.b
    }

    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, _ c: RGB) {
        for yy in max(0, y)..<max(max(0, y), min(height, y + h)) {
            for xx in max(0, x)..<max(max(0, x), min(width, x + w)) { set(xx, yy, c) }
        }
    }

    /// The outline of a rectangle, `thickness` pixels wide inside its bounds.
    public mutating func outline(x: Int, y: Int, width w: Int, height h: Int, thickness: Int = 1, _ c: RGB) {
        fill(x: x, y: y, width: w, height: thickness, c)
        fill(x: x, y: y + h - thickness, width: w, height: thickness, c)
        fill(x: x, y: y, width: thickness, height: h, c)
        fill(x: x + w - thickness, y: y, width: thickness, height: h, c)
    }

    /// Draws `text` in `BitmapFont` with its top-left corner at (x, y), each font pixel
    /// `scale`×`scale`; with `background`, on a box of that colour one pixel larger all round.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ c: RGB, background: RGB? = nil) {
        if let background {
            fill(x: x - scale, y: y - scale, width: BitmapFont.width(text, scale: scale) + scale,
                 height: (BitmapFont.glyphHeight + 2) * scale, background)
        }
        for (k, ch) in text.enumerated() {
            let gx = x + k * BitmapFont.advance * scale
            for (r, bits) in BitmapFont.rows(ch).enumerated() {
                for col in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(col)) != 0 {
                    fill(x: gx + col * scale, y: y + r * scale, width: scale, height: scale, c)
                }
            }
        }
    }

    /// The picture as a baseline JPEG (libjpeg through the shim).
    public func jpeg(quality: Int = 85) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3 + 4096)
        let n = bytes.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { cc_jpeg_encode(px.baseAddress, Int32(width), Int32(height), 3, 0, Int32(quality), $0.baseAddress, $0.count) }
        }
        guard n > 0 else { throw PictureError(description: "cannot encode JPEG: \(String(cString: cc_jpeg_last_error()))") }
        out.removeLast(out.count - n)
        return out
    }

    /// A JPEG decoded to RGB.
    public init(jpeg: [UInt8]) throws {
        var info = cc_jpeg_info()
        guard cc_jpeg_info_read(jpeg, jpeg.count, 1, 0, &info) == 0, info.width > 0, info.height > 0 else {
            throw PictureError(description: "not a JPEG picture: \(String(cString: cc_jpeg_last_error()))")
        }
        width = Int(info.width)
        height = Int(info.height)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let rc = rgb.withUnsafeMutableBufferPointer { cc_jpeg_decode(jpeg, jpeg.count, 1, 0, $0.baseAddress, $0.count, &info) }
        guard rc == 0 else { throw PictureError(description: "damaged JPEG picture: \(String(cString: cc_jpeg_last_error()))") }
        bytes = rgb
    }

    /// A PNG file read as RGB (what the tests read back of the pictures canthus writes).
    public init(pngFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw PictureError(description: "\(path): cannot read") }
        let png = [UInt8](data)
        var w: Int32 = 0, h: Int32 = 0
        var rgb = [UInt8]()
        var rc = cc_png_read_rgb(png, png.count, nil, 0, &w, &h)
        if rc == CC_ESPACE {   // now sized
            rgb = [UInt8](repeating: 0, count: Int(w) * Int(h) * 3)
            rc = rgb.withUnsafeMutableBufferPointer { cc_png_read_rgb(png, png.count, $0.baseAddress, $0.count, &w, &h) }
        }
        guard rc == 0 else { throw PictureError(description: "\(path): not a PNG picture: \(String(cString: cc_image_last_error()))") }
        width = Int(w)
        height = Int(h)
        bytes = rgb
    }

    /// Draws `other` with its top left corner at (`x`, `y`), each pixel `scale`×`scale`.
    public mutating func draw(_ other: Picture, x: Int, y: Int, scale: Int = 1) {
        for oy in 0..<other.height {
            for ox in 0..<other.width { fill(x: x + ox * scale, y: y + oy * scale, width: scale, height: scale, other[ox, oy]) }
        }
    }

    /// A line `thickness` pixels wide from (x0, y0) to (x1, y1).
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, thickness: Int = 1, _ c: RGB) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        let r = thickness / 2
        for i in 0...steps {
            let x = x0 + (x1 - x0) * i / steps, y = y0 + (y1 - y0) * i / steps
            for dy in -r...(thickness - 1 - r) { for dx in -r...(thickness - 1 - r) { set(x + dx, y + dy, c) } }
        }
    }

    /// Writes the picture as an 8-bit RGB PNG (libpng). The error names the file and the cause.
    public func writePNG(path: String) throws {
        let rc = bytes.withUnsafeBufferPointer { cc_png_write_rgb(path, $0.baseAddress, Int32(width), Int32(height)) }
        guard rc == 0 else {
            let why = rc < 0 && rc > -1000 ? errnoDescription(-rc) : String(cString: cc_image_last_error())
            throw PictureError(description: "\(path): cannot write PNG: \(why)")
        }
    }
}

public struct PictureError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
