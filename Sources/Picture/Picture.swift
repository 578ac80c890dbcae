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
