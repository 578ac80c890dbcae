import Capture
@testable import Daemon
import Foundation
import Screening
import Testing
import TestSupport

/// Photos as inputs (`canthus screen`): a vendor's temperature table screens as the FLIR JPEG it
/// was exported from, and a malformed still is one line naming the file and what is wrong.
@Suite struct StillsTests {
    /// People as `screen` reports them, without the source's name or the distance (a table
    /// does not know the lens): type, track, reasons, and the reading.
    func people(_ path: String, _ config: CanthusConfig) throws -> [(String, Int, [String], Double?)] {
        try screenFile(path: path, config: config, importOptions: ImportOptions(), imagePath: nil) { _ in }.events.compactMap { e in
            switch e.body {
            case .decision(let d): return ("decision", d.track, d.reasons, d.canthusC)
            case .rejected(let t, let r, _): return ("rejected", t, r, nil)
            default: return nil
            }
        }
    }

    /// The laboratory group photo's own temperatures written as a vendor's table in °F (UTF-8
    /// BOM, tab-separated, a header line, column and row numbers), in °C (semicolons, decimal
    /// commas, UTF-16 with BOM) and plain: the same people with the same readings as the JPEG.
    @Test(.needsRefData) func vendorTablesScreenLikeTheirFLIRJPEG() throws {
        guard let jpeg = RefData.path("irimage_paper/Infrared_image_of_people_in_the_laboratory.jpg") else {
            Issue.record(Comment(rawValue: RefData.absentMessage)); return
        }
        var config = CanthusConfig()
        // The faces here are 12–18 px at about 4 m and read 32–33 °C (below `cold_canthus_c`):
        // measured anyway, so that readings can be compared.
        config.screening.minFaceWidthPx = 10
        config.screening.coldCanthusC = 30
        let c = try ThermalConversion(path: jpeg)
        let dir = Project.temporaryDirectory()
        func rows(_ cell: (Double) -> String, _ sep: String) -> [String] {
            (0..<c.height).map { y in (0..<c.width).map { x in cell(c.celsius[y * c.width + x]) }.joined(separator: sep) }
        }
        let fPath = dir + "/lab-f.csv"
        var f = "Frame 1\tTemperature (°F)\n\t" + (0..<c.width).map(String.init).joined(separator: "\t") + "\n"
        f += rows({ String(format: "%.3f", $0 * 9 / 5 + 32) }, "\t").enumerated().map { "\($0.offset)\t\($0.element)" }.joined(separator: "\n") + "\n"
        try (Data([0xEF, 0xBB, 0xBF]) + Data(f.utf8)).write(to: URL(fileURLWithPath: fPath))
        let cPath = dir + "/lab-c.csv"
        let cText = "Temperatur [°C]\n" + rows({ String(format: "%.3f", $0).replacingOccurrences(of: ".", with: ",") }, ";").joined(separator: "\r\n")
        try (Data([0xFF, 0xFE]) + cText.data(using: .utf16LittleEndian)!).write(to: URL(fileURLWithPath: cPath))
        let plainPath = dir + "/lab.csv"
        try rows({ String(format: "%.3f", $0) }, ",").joined(separator: "\n").write(toFile: plainPath, atomically: true, encoding: .utf8)

        let reference = try people(jpeg, config)
        // Three faces measured, one in profile: readings to compare.
        #expect(reference.filter { $0.0 == "decision" }.count >= 3, "\(reference)")
        for table in [fPath, cPath, plainPath] {
            let got = try people(table, config)
            #expect(got.count == reference.count, "\(table): \(got) vs \(reference)")
            for (a, b) in zip(got, reference) {
                #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2, "\(table): \(a) vs \(b)")
                if let x = a.3, let y = b.3 { #expect(abs(x - y) <= 0.02, "\(table): track \(a.1) reads \(x) vs \(y)") }
            }
        }
        // A table knows no lens: no distance; the JPEG's camera says its field of view.
        let jpegEvents = try screenFile(path: jpeg, config: config, importOptions: ImportOptions(), imagePath: nil) { _ in }.events
        #expect(jpegEvents.contains { if case .decision(let d) = $0.body { d.distanceM != nil } else { false } })
    }

    @Test func malformedStillsFailWithOneLineNamingTheFile() throws {
        let dir = Project.temporaryDirectory()
        let good = (0..<10).map { _ in Array(repeating: "21.5", count: 12).joined(separator: ",") }
        var cases: [(String, Data, String)] = [
            ("ragged.csv", Data((good + ["21.5,21.5"]).joined(separator: "\n").utf8), "has 2 values, the first row 12"),
            ("words.csv", Data((good.prefix(4) + ["21.5,abc" + String(repeating: ",21.5", count: 10)] + good.prefix(4)).joined(separator: "\n").utf8),
             "line 5, column 2: 'abc' is not a number"),
            ("tiny.csv", Data("21.5,21.6\n21.7,21.8\n".utf8), "2×2 values is not an image"),
            ("hot.csv", Data((good.prefix(9) + ["9999" + String(repeating: ",21.5", count: 11)]).joined(separator: "\n").utf8),
             "9999 °C is no temperature"),
        ]
        if let jpeg = RefData.path("irimage_paper/BillHotFlashThermography.jpg") {
            let d = try Data(contentsOf: URL(fileURLWithPath: jpeg))
            cases.append(("cut.jpg", d.prefix(d.count / 3), "cut.jpg: "))
        }
        for (name, bytes, message) in cases {
            let path = dir + "/" + name
            try bytes.write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(["screen", path])
            #expect(r.status != 0, "\(name) was screened")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && r.stderr.contains(path) && r.stderr.contains(message), "\(name): \(r.stderr)")
        }
    }
}
