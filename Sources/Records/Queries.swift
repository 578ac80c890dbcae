import Foundation
import GRDB
import Screening

/// Times people type (`--since`, `--until`): ISO 8601 (`2026-11-30`, `2026-11-30T08:00`,
/// `2026-11-30 08:00:00`, with `Z` or `+08:00` for a zone), `now`, `today`, `yesterday`, or an age
/// (`90m`, `24h`, `7d`). Without a zone, local time.
public enum TimeSpec {
    public static func parse(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) throws -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        func ms(_ d: Date) -> Int64 { Int64((d.timeIntervalSince1970 * 1000).rounded(.down)) }
        switch t {
        case "now": return ms(now)
        case "today": return ms(calendar.startOfDay(for: now))
        case "yesterday": return ms(calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: now))!)
        default: break
        }
        if let unit = t.last, "smhdw".contains(unit), let n = Double(t.dropLast()), n >= 0 {
            let seconds: Double = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800][String(unit)]!
            return ms(now) - Int64(n * seconds * 1000)
        }
        let formats = ["yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX",
                       "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm",
                       "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"]
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = timeZone
        for format in formats {
            f.dateFormat = format
            if let d = f.date(from: text.trimmingCharacters(in: .whitespaces)) { return ms(d) }
        }
        throw RecordsError(path: "time", message: "'\(text)' is not a time (ISO 8601 like 2026-11-30 or 2026-11-30T08:00, or today, yesterday, now, 90m, 24h, 7d)")
    }
}

/// A result to print or export: named columns and typed cells.
public struct ResultTable: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case text(String), int(Int64), real(Double), null
        public var plain: String {
            switch self {
            case .text(let s): return s
            case .int(let i): return String(i)
            case .real(let d):
                var bytes: [UInt8] = []
                ResultTable.appendFixed(d, to: &bytes)
                return String(decoding: bytes, as: UTF8.self)
            case .null: return ""
            }
        }
    }
    public var columns: [String]
    public var rows: [[Cell]]

    public enum Format: String, CaseIterable, Sendable { case table, csv, json, ndjson }

    /// The table in `format`. CSV is RFC 4180 (quoted where needed, CRLF), optionally with a
    /// UTF-8 byte-order mark so spreadsheets read Chinese text right.
    public func render(_ format: Format, bom: Bool = false) -> String {
        switch format {
        case .table:
            let cells = [columns] + rows.map { $0.map(\.plain) }
            let widths = columns.indices.map { i in cells.map { $0[i].count }.max() ?? 0 }
            return cells.enumerated().map { (n, row) in
                let line = row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
                return n == 0 ? line + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : line
            }.joined(separator: "\n") + "\n"
        case .csv, .json, .ndjson:
            var encoder = Encoder(format, columns: columns, bom: bom)
            for row in rows { encoder.append(row) }
            return String(decoding: encoder.finish(), as: UTF8.self)
        }
    }

    /// The one writer of CSV, JSON and NDJSON rows, in bytes (a million rows in a few seconds):
    /// `render` and the streaming export both use it.
    struct Encoder {
        let format: Format
        let keys: [[UInt8]]
        private(set) var bytes: [UInt8]
        private var first = true

        init(_ format: Format, columns: [String], bom: Bool) {
            self.format = format
            keys = columns.map { Array(JSONLineWriter.quote($0).utf8) + [UInt8(ascii: ":")] }
            switch format {
            case .csv: bytes = Array(((bom ? "\u{FEFF}" : "") + columns.map(ResultTable.csvField).joined(separator: ",") + "\r\n").utf8)
            case .json: bytes = [UInt8(ascii: "[")]
            default: bytes = []
            }
        }

        mutating func append(_ row: [Cell]) {
            if format == .csv {
                for (i, c) in row.enumerated() {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    switch c {
                    case .null: break
                    case .int(let n): bytes.append(contentsOf: String(n).utf8)
                    case .real(let d): ResultTable.appendFixed(d, to: &bytes)
                    case .text(let s): bytes.append(contentsOf: ResultTable.csvField(s).utf8)
                    }
                }
                bytes.append(contentsOf: [13, 10])
            } else {
                if format == .json && !first { bytes.append(contentsOf: Array(",\n ".utf8)) }
                bytes.append(UInt8(ascii: "{"))
                for (i, c) in row.enumerated() {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    bytes.append(contentsOf: keys[i])
                    switch c {
                    case .null: bytes.append(contentsOf: "null".utf8)
                    case .int(let n): bytes.append(contentsOf: String(n).utf8)
                    case .real(let d): if d.isFinite { ResultTable.appendFixed(d, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
                    case .text(let s): bytes.append(contentsOf: JSONLineWriter.quote(s).utf8)
                    }
                }
                bytes.append(UInt8(ascii: "}"))
                if format == .ndjson { bytes.append(10) }
            }
            first = false
        }

        /// Hands over what is written so far (a chunk of a stream).
        mutating func take() -> [UInt8] {
            defer { bytes.removeAll(keepingCapacity: true) }
            return bytes
        }

        mutating func finish() -> [UInt8] {
            if format == .json { bytes.append(contentsOf: Array("]\n".utf8)) }
            return take()
        }
    }

    static func csvField(_ s: String) -> String {
        s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// `places` (1 to 3) decimals, digit by digit: the store keeps its values to three decimals
    /// already, so rounding the scaled value gives what `%.3f` gives, without its cost.
    static func appendFixed(_ d: Double, places: Int = 3, to out: inout [UInt8]) {
        let unit: Int64 = places == 1 ? 10 : places == 2 ? 100 : 1000
        let scaled = (d * Double(unit)).rounded()
        guard d.isFinite, abs(scaled) < 9e15 else { out.append(contentsOf: String(format: "%.\(places)f", d).utf8); return }
        var n = Int64(scaled)
        if n < 0 { out.append(UInt8(ascii: "-")); n = -n }
        appendInt(n / unit, to: &out)
        out.append(UInt8(ascii: "."))
        var digit = unit / 10
        let f = n % unit
        while digit > 0 { out.append(UInt8(48 + f / digit % 10)); digit /= 10 }
    }

    /// A non-negative integer's decimal digits.
    static func appendInt(_ n: Int64, to out: inout [UInt8]) {
        var divisor: Int64 = 1
        while divisor <= n / 10 { divisor *= 10 }
        var rest = n
        while divisor > 0 { out.append(UInt8(48 + rest / divisor)); rest %= divisor; divisor /= 10 }
    }
}

/// The query commands' questions of the store (`canthus events`, `stats`, `export`), in SQL
/// the `sqlite3` shell runs too. Times are wall-clock; intervals in the local time zone.
public enum RecordQueries {
    public struct Filter: Sendable {
        public var sinceMs: Int64?
        public var untilMs: Int64?
        public var level: String?
        public var gate: String?
        public var lane: String?
        public var limit: Int?
        /// Tracks only: one track (`canthus tracks --track`).
        public var track: String?
        public init(sinceMs: Int64? = nil, untilMs: Int64? = nil, level: String? = nil, gate: String? = nil, lane: String? = nil, limit: Int? = nil) {
            (self.sinceMs, self.untilMs, self.level, self.gate, self.lane, self.limit) = (sinceMs, untilMs, level, gate, lane, limit)
        }

        /// `WHERE …` over `column`, its values written in as SQL literals (so the same text runs
        /// in the sqlite3 shell: `canthus stats --print-sql`).
        func clause(time column: String, level levelColumn: String?) -> String {
            func text(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
            var parts: [String] = []
            if let sinceMs { parts.append("\(column) >= \(sinceMs)") }
            if let untilMs { parts.append("\(column) < \(untilMs)") }
            if let levelColumn, let level { parts.append("\(levelColumn) = \(text(level))") }
            if let track {
                // A track's id, the id of the decision about it, or its number.
                parts.append(Int(track).map { "track = \($0)" } ?? "(id = \(text(track)) OR event_id = \(text(track)))")
            }
            if let gate { parts.append("gate = \(text(gate))") }
            if let lane { parts.append("lane = \(text(lane))") }
            return parts.isEmpty ? "" : "WHERE " + parts.joined(separator: " AND ")
        }
    }

    /// The decisions (who was screened, at what reading, when), newest first.
    public static let decisionColumns = ["id", "time_utc", "time_local", "lane", "gate", "track", "level", "body_c", "canthus_c",
                                         "threshold_c", "mode", "frames", "distance_m", "reasons", "source", "frame", "reference_c",
                                         "snapshot"]

    public static func decisions(_ db: DatabasePool, _ f: Filter) throws -> ResultTable {
        try table(db, sql: decisionsSQL(f), columns: decisionColumns)
    }

    public static func decisionsSQL(_ f: Filter) -> String {
        let whereSQL = f.clause(time: "wall_ms", level: "level")
        return """
            SELECT id, wall_utc, strftime('%Y-%m-%d %H:%M:%S', wall_ms / 1000, 'unixepoch', 'localtime'), lane, gate, track, level,
                   body_c, canthus_c, threshold_c, mode, frames, distance_m,
                   (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(decisions.reasons)), source, frame, reference_c,
                   snapshot
            FROM decisions \(whereSQL) ORDER BY wall_ms DESC, id \(f.limit.map { "LIMIT \($0)" } ?? "")
            """
    }

    /// People counted in and out, screened, rejected (and why), pre-alarms, alarms, mean and
    /// maximum body temperature — per hour or day (local time) and gate.
    public static let statsColumns = ["interval", "gate", "counted_in", "counted_out", "counted_pass", "screened", "rejected",
                                      "rejected_by_reason", "prealarms", "alarms", "mean_body_c", "max_body_c"]

    public enum Interval: String, CaseIterable, Sendable { case hour, day }

    public static func stats(_ db: DatabasePool, by interval: Interval, _ f: Filter) throws -> ResultTable {
        try table(db, sql: statsSQL(by: interval, f), columns: statsColumns)
    }

    public static func statsSQL(by interval: Interval, _ f: Filter) -> String {
        let pattern = interval == .hour ? "%Y-%m-%d %H:00" : "%Y-%m-%d"
        func bucket(_ column: String) -> String { "strftime('\(pattern)', \(column) / 1000, 'unixepoch', 'localtime')" }
        var unfiltered = f
        unfiltered.level = nil
        let dWhere = unfiltered.clause(time: "wall_ms", level: nil)
        let cWhere = unfiltered.clause(time: "minute_ms", level: nil)
        return """
            WITH d AS (SELECT \(bucket("wall_ms")) AS interval, gate, count(*) AS screened, sum(level = 'prealarm') AS prealarms,
                              sum(level = 'alarm') AS alarms, avg(body_c) AS mean_body_c, max(body_c) AS max_body_c
                       FROM decisions \(dWhere) GROUP BY 1, 2),
                 c AS (SELECT \(bucket("minute_ms")) AS interval, gate, sum(people * (direction = 'in')) AS counted_in,
                              sum(people * (direction = 'out')) AS counted_out, sum(people * (direction = 'pass')) AS counted_pass
                       FROM headcounts \(cWhere) GROUP BY 1, 2),
                 r AS (SELECT \(bucket("wall_ms")) AS interval, gate, count(*) AS rejected FROM rejections \(dWhere) GROUP BY 1, 2),
                 rr AS (SELECT interval, gate, group_concat(reason || ' ' || n, ', ') AS by_reason
                        FROM (SELECT \(bucket("wall_ms")) AS interval, gate, j.value AS reason, count(*) AS n
                              FROM rejections, json_each(rejections.reasons) AS j \(dWhere) GROUP BY 1, 2, 3 ORDER BY n DESC, reason)
                        GROUP BY 1, 2),
                 k AS (SELECT interval, gate FROM d UNION SELECT interval, gate FROM c UNION SELECT interval, gate FROM r)
            SELECT k.interval, k.gate, coalesce(c.counted_in, 0), coalesce(c.counted_out, 0), coalesce(c.counted_pass, 0),
                   coalesce(d.screened, 0), coalesce(r.rejected, 0), coalesce(rr.by_reason, ''), coalesce(d.prealarms, 0),
                   coalesce(d.alarms, 0), d.mean_body_c, d.max_body_c
            FROM k LEFT JOIN d USING (interval, gate) LEFT JOIN c USING (interval, gate) LEFT JOIN r USING (interval, gate)
                   LEFT JOIN rr USING (interval, gate)
            ORDER BY 1, 2
            """
    }

    /// Each person's track: when it ended, its outcome (a level, `rejected`, `continued`) and
    /// the body temperature decided, how long and how many points; `points` (with
    /// `withPoints`) is `[[time_s, x, y, width, height], …]` in upright pixels.
    public static func trackColumns(withPoints: Bool) -> [String] {
        ["id", "end_utc", "end_local", "lane", "gate", "track", "outcome", "body_c", "duration_s", "point_count", "event_id", "view_id"]
            + (withPoints ? ["points"] : [])
    }

    public static func tracksSQL(_ f: Filter, withPoints: Bool) -> String {
        """
        SELECT id, wall_utc, strftime('%Y-%m-%d %H:%M:%S', wall_ms / 1000, 'unixepoch', 'localtime'), lane, gate, track, outcome,
               (SELECT body_c FROM decisions WHERE decisions.id = tracks.event_id), round(last_time_s - first_time_s, 3), point_count,
               event_id, view_id\(withPoints ? ", points" : "")
        FROM tracks \(f.clause(time: "wall_ms", level: "outcome")) ORDER BY wall_ms DESC, id \(f.limit.map { "LIMIT \($0)" } ?? "")
        """
    }

    static func table(_ db: DatabasePool, sql: String, columns: [String]) throws -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        try each(db, sql: sql) { rows.append($0) }
        return ResultTable(columns: columns, rows: rows)
    }

    /// `sql`'s rows in `format`, written a megabyte at a time as they are read: an export of a
    /// million rows never holds them all.
    static func stream(_ db: DatabasePool, sql: String, columns: [String], format: ResultTable.Format, bom: Bool, write: (String) -> Void) throws {
        var encoder = ResultTable.Encoder(format, columns: columns, bom: bom)
        try each(db, sql: sql) { row in
            encoder.append(row)
            if encoder.bytes.count > 1 << 20 { write(String(decoding: encoder.take(), as: UTF8.self)) }
        }
        write(String(decoding: encoder.finish(), as: UTF8.self))
    }

    /// Each row of `sql` as cells, in one read transaction (a consistent snapshot while the
    /// daemon writes).
    static func each(_ db: DatabasePool, sql: String, _ body: ([ResultTable.Cell]) -> Void) throws {
        try db.read { db in
            let cursor = try Row.fetchCursor(db, sql: sql)
            var cells: [ResultTable.Cell] = []   // one buffer for every row
            while let row = try cursor.next() {
                cells.removeAll(keepingCapacity: true)
                for i in 0..<row.count {
                    switch (row[i] as DatabaseValue).storage {
                    case .null: cells.append(.null)
                    case .int64(let n): cells.append(.int(n))
                    case .double(let d): cells.append(.real(d))
                    case .string(let s): cells.append(.text(s))
                    case .blob: cells.append(.text("(blob)"))
                    }
                }
                body(cells)
            }
        }
    }
}

/// A store opened read-only for the query commands (the daemon may be writing it meanwhile).
public final class RecordReader: @unchecked Sendable {
    public let path: String
    let db: DatabasePool

    public init(path: String) throws {
        self.path = path
        db = try RecordStore.openForReading(path: path)
    }

    public func decisions(_ f: RecordQueries.Filter) throws -> ResultTable {
        do { return try RecordQueries.decisions(db, f) } catch let e as DatabaseError { throw RecordsError(path: path, message: RecordStore.describe(e)) }
    }

    public func stats(by interval: RecordQueries.Interval, _ f: RecordQueries.Filter) throws -> ResultTable {
        do { return try RecordQueries.stats(db, by: interval, f) } catch let e as DatabaseError { throw RecordsError(path: path, message: RecordStore.describe(e)) }
    }

    public func tracks(_ f: RecordQueries.Filter, withPoints: Bool) throws -> ResultTable {
        do {
            return try RecordQueries.table(db, sql: RecordQueries.tracksSQL(f, withPoints: withPoints),
                                           columns: RecordQueries.trackColumns(withPoints: withPoints))
        } catch let e as DatabaseError { throw RecordsError(path: path, message: RecordStore.describe(e)) }
    }

    /// One person's path, for a picture of the tracks.
    public struct Path: Sendable {
        public var id: String, lane: String, track: Int, outcome: String?
        public var points: [(x: Double, y: Double)]
        public var viewID: String?
    }

    /// The tracks matching `f`, oldest first, with their points.
    public func paths(_ f: RecordQueries.Filter) throws -> [Path] {
        let table = try tracks(f, withPoints: true)
        let c = Dictionary(uniqueKeysWithValues: table.columns.enumerated().map { ($1, $0) })
        return try table.rows.reversed().map { row in
            func text(_ name: String) -> String? { if case .text(let s) = row[c[name]!] { return s }; return nil }
            guard case .int(let track) = row[c["track"]!], let json = text("points"),
                  let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[Double]] else {
                throw RecordsError(path: path, message: "track \(text("id") ?? "?") has unreadable points")
            }
            return Path(id: text("id") ?? "", lane: text("lane") ?? "", track: Int(track), outcome: text("outcome"),
                        points: list.filter { $0.count >= 3 }.map { ($0[1], $0[2]) }, viewID: text("view_id"))
        }
    }

    /// A view of the scene kept with tracks: its size and JPEG.
    public func view(_ id: String) throws -> (width: Int, height: Int, jpeg: [UInt8])? {
        do {
            return try db.read { db in
                try Row.fetchOne(db, sql: "SELECT width, height, jpeg FROM views WHERE id = ?", arguments: [id]).map {
                    (($0["width"] as Int), ($0["height"] as Int), [UInt8]($0["jpeg"] as Data))
                }
            }
        } catch let e as DatabaseError { throw RecordsError(path: path, message: RecordStore.describe(e)) }
    }

    /// Writes the decisions matching `f` in `format` (csv, json, ndjson) as they are read, in
    /// chunks: an export of a million rows never holds them all.
    public func exportDecisions(_ f: RecordQueries.Filter, format: ResultTable.Format, bom: Bool, write: (String) -> Void) throws {
        do {
            try RecordQueries.stream(db, sql: RecordQueries.decisionsSQL(f), columns: RecordQueries.decisionColumns, format: format, bom: bom, write: write)
        } catch let e as DatabaseError { throw RecordsError(path: path, message: RecordStore.describe(e)) }
    }
}
