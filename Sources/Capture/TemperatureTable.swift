import Foundation
import Radiometry

/// A per-pixel temperature table as camera vendors' desktop software exports it (FLIR Tools,
/// Testo IRSoft, InfiRay and Hikmicro analysers): one line per image row of °C or °F, separated
/// by commas, semicolons (then the decimal mark may be a comma) or tabs; any header lines
/// before the numbers, a first row of column numbers and a first column of row numbers are
/// skipped; UTF-8 (with or without BOM) or UTF-16 (with BOM, or told by its zero bytes).
///
/// The unit is °F when the header says so (°F, ºF, Fahrenheit, degF), °C when it says °C or
/// Celsius; a header that says neither gets °F only when the table's median is above 45 — no
/// room holding people reads 45 °C, and a room reads 60–80 °F. Temperatures become counts of
/// 0.01 K (`RadiometricModel.leptonTLinearHigh`), so a table screens like any camera frame.
public enum TemperatureTable {
    public static let maxSide = 4096

    public static func read(path: String) throws -> (RecordingHeader, Frame) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RecordingError(path: path, offset: 0, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        func fail(_ why: String) -> RecordingError { RecordingError(path: path, offset: 0, kind: .corrupt("temperature table: " + why)) }
        guard let text = decode([UInt8](data)) else { throw fail("not text in UTF-8 or UTF-16") }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            .map { String($0) }
        // The separator: the first of tab, semicolon, comma found on a line that starts with a number.
        let firstData = lines.first { l in l.trimmingCharacters(in: .whitespaces).first.map { $0.isNumber || $0 == "-" } ?? false } ?? ""
        let separator: Character = firstData.contains("\t") ? "\t" : firstData.contains(";") ? ";" : ","
        let decimalComma = separator != ","
        func number(_ cell: Substring) -> Double? {
            var s = cell.trimmingCharacters(in: .whitespaces)
            if s.hasPrefix("\"") && s.hasSuffix("\"") && s.count >= 2 { s = String(s.dropFirst().dropLast()) }
            if decimalComma { s = s.replacingOccurrences(of: ",", with: ".") }
            return Double(s)
        }
        var header: [String] = []
        var rows: [[Double]] = []
        var rowLines: [Int] = []
        for (i, line) in lines.enumerated() {
            let cells = line.split(separator: separator, omittingEmptySubsequences: false)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                if !rows.isEmpty { break }   // a blank line ends the table
                continue
            }
            let values = cells.map(number)
            let numeric = values.filter { $0 != nil }.count
            if rows.isEmpty && numeric * 2 < cells.count {   // mostly words: a header line
                header.append(line)
                continue
            }
            if let bad = values.firstIndex(where: { $0 == nil }), !(bad == 0 && cells[0].trimmingCharacters(in: .whitespaces).isEmpty) {
                throw fail("line \(i + 1), column \(bad + 1): '\(cells[bad].trimmingCharacters(in: .whitespaces))' is not a number")
            }
            rows.append(values.map { $0 ?? .nan })
            rowLines.append(i + 1)
        }
        // Text without a single row of numbers is no table (nor anything else canthus reads).
        guard !rows.isEmpty else { throw RecordingError(path: path, offset: 0, kind: .notARecording) }
        // A first row of column numbers (0, 1, 2… or 1, 2, 3…, perhaps after an empty corner).
        func isIndex(_ v: [Double]) -> Bool {
            let v = v.first?.isNaN == true ? Array(v.dropFirst()) : v
            guard v.count >= 3, let first = v.first, first == 0 || first == 1 else { return false }
            return v.enumerated().allSatisfy { $0.element == first + Double($0.offset) }
        }
        if rows.count > 1 && isIndex(rows[0]) && rows[0].count >= rows[1].count - 1 { rows.removeFirst(); rowLines.removeFirst() }
        // A first column of row numbers.
        if rows.count >= 3 && isIndex(rows.map { $0[0] }) && rows.allSatisfy({ $0.count >= 2 }) {
            rows = rows.map { Array($0.dropFirst()) }
        }
        let width = rows[0].count, height = rows.count
        if let ragged = rows.firstIndex(where: { $0.count != width }) {
            throw fail("line \(rowLines[ragged]) has \(rows[ragged].count) values, the first row \(width): rows must be the same length")
        }
        if let nan = rows.firstIndex(where: { $0.contains(where: \.isNaN) }) {
            throw fail("line \(rowLines[nan]) has an empty cell")
        }
        guard width >= 8, height >= 8, width <= maxSide, height <= maxSide else {
            throw fail("\(width)×\(height) values is not an image canthus can screen (8…\(maxSide) a side)")
        }
        let all = rows.flatMap { $0 }
        let said = header.joined(separator: " ").lowercased()
        let fahrenheit: Bool
        if said.contains("°f") || said.contains("ºf") || said.contains("fahrenheit") || said.contains("degf") { fahrenheit = true }
        else if said.contains("°c") || said.contains("ºc") || said.contains("celsius") || said.contains("degc") { fahrenheit = false }
        else { fahrenheit = all.sorted()[all.count / 2] > 45 }
        let model = RadiometricModel.leptonTLinearHigh
        var pixels = [UInt16](repeating: 0, count: width * height)
        for (i, v) in all.enumerated() {
            let c = fahrenheit ? (v - 32) * 5 / 9 : v
            guard (-60...600).contains(c) else {
                throw fail(String(format: "line %d: %g %@ is no temperature a thermal camera reports", rowLines[i / width], v, fahrenheit ? "°F" : "°C"))
            }
            pixels[i] = UInt16((model.count(celsius: c)).rounded())
        }
        let headerOut = RecordingHeader(
            camera: CameraDescription(model: "temperature-table", serial: "", width: width, height: height, fps: 1, hfovDeg: 0),
            radiometry: model, reference: nil, origin: fahrenheit ? "temperature-table-f" : "temperature-table-c")
        return (headerOut, Frame(width: width, height: height, pixels: pixels))
    }

    /// UTF-8 (BOM or not), UTF-16 with a BOM, or UTF-16 without one told by its zero bytes.
    static func decode(_ b: [UInt8]) -> String? {
        if b.starts(with: [0xEF, 0xBB, 0xBF]) { return String(bytes: b.dropFirst(3), encoding: .utf8) }
        if b.starts(with: [0xFF, 0xFE]) { return String(bytes: b.dropFirst(2), encoding: .utf16LittleEndian) }
        if b.starts(with: [0xFE, 0xFF]) { return String(bytes: b.dropFirst(2), encoding: .utf16BigEndian) }
        let probe = b.prefix(64)
        if probe.count >= 4 {
            let oddZeros = stride(from: 1, to: probe.count, by: 2).filter { probe[$0] == 0 }.count
            let evenZeros = stride(from: 0, to: probe.count, by: 2).filter { probe[$0] == 0 }.count
            if oddZeros * 2 > probe.count / 2 { return String(bytes: b, encoding: .utf16LittleEndian) }
            if evenZeros * 2 > probe.count / 2 { return String(bytes: b, encoding: .utf16BigEndian) }
        }
        return String(bytes: b, encoding: .utf8) ?? String(bytes: b, encoding: .isoLatin1)
    }

    /// Whether `head` (a file's first bytes) looks like such a table: a BOM, or text.
    static func looksLikeText(_ head: [UInt8]) -> Bool {
        if head.starts(with: [0xEF, 0xBB, 0xBF]) || head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) { return true }
        guard !head.isEmpty else { return false }
        let zeros = head.filter { $0 == 0 }.count
        let text = head.filter { $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) || $0 >= 0xC2 }.count
        return text + zeros == head.count && zeros * 2 <= head.count
    }
}
