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
            case .real(let d): return ResultTable.fixed3(d)
            case .null: return ""
            }
        }
        var json: String {
            switch self {
            case .null: return "null"
            case .int(let i): return String(i)
            case .real(let d): return d.isFinite ? ResultTable.fixed3(d) : "null"
            case .text(let s): return JSONLineWriter.quote(s)
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
            var out = Self.head(format, columns: columns, bom: bom)
            for (i, row) in rows.enumerated() { out += Self.line(format, columns: columns, row, first: i == 0) }
            return out + Self.tail(format)
        }
    }

    /// What comes before the rows (CSV's header, JSON's bracket) …
    static func head(_ format: Format, columns: [String], bom: Bool) -> String {
        switch format {
        case .csv: return (bom ? "\u{FEFF}" : "") + columns.map(csvField).joined(separator: ",") + "\r\n"
        case .json: return "["
        default: return ""
        }
    }

    /// … one row …
    static func line(_ format: Format, columns: [String], _ row: [Cell], first: Bool) -> String {
        switch format {
        case .csv: return row.map { csvField($0.plain) }.joined(separator: ",") + "\r\n"
        case .json: return (first ? "" : ",\n ") + object(columns, row)
        default: return object(columns, row) + "\n"
        }
    }

    /// … and after them.
    static func tail(_ format: Format) -> String { format == .json ? "]\n" : "" }

    static func csvField(_ s: String) -> String {
        s.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func object(_ columns: [String], _ row: [Cell]) -> String {
        var out = "{"
        for (i, c) in row.enumerated() {
            if i > 0 { out += "," }
            out += "\"" + columns[i] + "\":" + c.json
        }
        return out + "}"
    }

    static func appendCSV(_ v: DatabaseValue, to out: inout [UInt8]) {
        switch v.storage {
        case .null: break
        case .int64(let n): out.append(contentsOf: String(n).utf8)
        case .double(let d): appendFixed3(d, to: &out)
        case .string(let s): out.append(contentsOf: csvField(s).utf8)
        case .blob: out.append(contentsOf: "(blob)".utf8)
        }
    }

    static func appendJSON(_ v: DatabaseValue, to out: inout [UInt8]) {
        switch v.storage {
        case .null: out.append(contentsOf: "null".utf8)
        case .int64(let n): out.append(contentsOf: String(n).utf8)
        case .double(let d): if d.isFinite { appendFixed3(d, to: &out) } else { out.append(contentsOf: "null".utf8) }
        case .string(let s): out.append(contentsOf: JSONLineWriter.quote(s).utf8)
        case .blob: out.append(contentsOf: "null".utf8)
        }
    }

    /// `fixed3` into a byte buffer, digit by digit.
    static func appendFixed3(_ d: Double, to out: inout [UInt8]) {
        let scaled = (d * 1000).rounded()
        guard d.isFinite, abs(scaled) < 9e15 else { out.append(contentsOf: String(format: "%.3f", d).utf8); return }
        var n = Int64(scaled)
        if n < 0 { out.append(UInt8(ascii: "-")); n = -n }
        let start = out.count
        var whole = n / 1000
        repeat { out.append(UInt8(48 + whole % 10)); whole /= 10 } while whole > 0
        out[start...].reverse()
        let f = Int(n % 1000)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(48 + f / 100)); out.append(UInt8(48 + f / 10 % 10)); out.append(UInt8(48 + f % 10))
    }

    /// Three decimals. The store keeps temperatures and distances to three decimals already, so
    /// rounding the scaled value gives what `%.3f` gives, without its cost (a million rows).
    static func fixed3(_ d: Double) -> String {
        let scaled = (d * 1000).rounded()
        guard d.isFinite, abs(scaled) < 9e15 else { return String(format: "%.3f", d) }
        var n = Int64(scaled)
        let negative = n < 0
        if negative { n = -n }
        let fraction = n % 1000
        return (negative ? "-" : "") + String(n / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + String(fraction)
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
        public init(sinceMs: Int64? = nil, untilMs: Int64? = nil, level: String? = nil, gate: String? = nil, lane: String? = nil, limit: Int? = nil) {
            (self.sinceMs, self.untilMs, self.level, self.gate, self.lane, self.limit) = (sinceMs, untilMs, level, gate, lane, limit)
        }

        /// `WHERE …` over `column`, its values written in as SQL literals (so the same text runs
        /// in the sqlite3 shell: `canthus stats --print-sql`).
        func clause(time column: String, levels: Bool) -> String {
            func text(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
            var parts: [String] = []
            if let sinceMs { parts.append("\(column) >= \(sinceMs)") }
            if let untilMs { parts.append("\(column) < \(untilMs)") }
            if levels, let level { parts.append("level = \(text(level))") }
            if let gate { parts.append("gate = \(text(gate))") }
            if let lane { parts.append("lane = \(text(lane))") }
            return parts.isEmpty ? "" : "WHERE " + parts.joined(separator: " AND ")
        }
    }

    /// The decisions (who was screened, at what reading, when), newest first.
    public static let decisionColumns = ["id", "time_utc", "time_local", "lane", "gate", "track", "level", "body_c", "canthus_c",
                                         "threshold_c", "mode", "frames", "distance_m", "reasons", "source", "frame"]

    public static func decisions(_ db: DatabasePool, _ f: Filter) throws -> ResultTable {
        try table(db, sql: decisionsSQL(f), columns: decisionColumns)
    }

    public static func decisionsSQL(_ f: Filter) -> String {
        let whereSQL = f.clause(time: "wall_ms", levels: true)
        return """
            SELECT id, wall_utc, strftime('%Y-%m-%d %H:%M:%S', wall_ms / 1000, 'unixepoch', 'localtime'), lane, gate, track, level,
                   body_c, canthus_c, threshold_c, mode, frames, distance_m,
                   (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(decisions.reasons)), source, frame
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
        let dWhere = unfiltered.clause(time: "wall_ms", levels: false)
        let cWhere = unfiltered.clause(time: "minute_ms", levels: false)
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

    static func table(_ db: DatabasePool, sql: String, columns: [String]) throws -> ResultTable {
        var rows: [[ResultTable.Cell]] = []
        try each(db, sql: sql) { rows.append($0) }
        return ResultTable(columns: columns, rows: rows)
    }

    static func stream(_ db: DatabasePool, sql: String, columns: [String], format: ResultTable.Format, bom: Bool, write: (String) -> Void) throws {
        // Bytes, not strings: a million rows in a few seconds.
        var chunk = Array(ResultTable.head(format, columns: columns, bom: bom).utf8)
        chunk.reserveCapacity(1 << 21)
        let keys = columns.map { Array(("\"" + $0 + "\":").utf8) }
        var first = true
        func flush() { write(String(decoding: chunk, as: UTF8.self)); chunk.removeAll(keepingCapacity: true) }
        try db.read { db in
            let cursor = try Row.fetchCursor(db, sql: sql)
            while let row = try cursor.next() {
                switch format {
                case .csv:
                    for i in 0..<row.count {
                        if i > 0 { chunk.append(UInt8(ascii: ",")) }
                        ResultTable.appendCSV(row[i] as DatabaseValue, to: &chunk)
                    }
                    chunk.append(13); chunk.append(10)
                default:
                    if format == .json && !first { chunk.append(contentsOf: Array(",\n ".utf8)) }
                    chunk.append(UInt8(ascii: "{"))
                    for i in 0..<row.count {
                        if i > 0 { chunk.append(UInt8(ascii: ",")) }
                        chunk.append(contentsOf: keys[i])
                        ResultTable.appendJSON(row[i] as DatabaseValue, to: &chunk)
                    }
                    chunk.append(UInt8(ascii: "}"))
                    if format == .ndjson { chunk.append(10) }
                }
                first = false
                if chunk.count > 1 << 20 { flush() }
            }
        }
        chunk.append(contentsOf: Array(ResultTable.tail(format).utf8))
        flush()
    }

    /// Each row of `sql` as cells, in one read transaction (a consistent snapshot while the
    /// daemon writes).
    static func each(_ db: DatabasePool, sql: String, _ body: ([ResultTable.Cell]) -> Void) throws {
        try db.read { db in
            let cursor = try Row.fetchCursor(db, sql: sql)
            while let row = try cursor.next() {
                body((0..<row.count).map { i in
                    switch row[i] as DatabaseValue? {
                    case .none: return .null
                    case .some(let v):
                        switch v.storage {
                        case .null: return .null
                        case .int64(let n): return .int(n)
                        case .double(let d): return .real(d)
                        case .string(let s): return .text(s)
                        case .blob: return .text("(blob)")
                        }
                    }
                })
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

    /// Writes the decisions matching `f` in `format` (csv, json, ndjson) as they are read, in
    /// chunks: an export of a million rows never holds them all.
    public func exportDecisions(_ f: RecordQueries.Filter, format: ResultTable.Format, bom: Bool, write: (String) -> Void) throws {
        do {
            try RecordQueries.stream(db, sql: RecordQueries.decisionsSQL(f), columns: RecordQueries.decisionColumns, format: format, bom: bom, write: write)
        } catch let e as DatabaseError { throw RecordsError(path: path, message: RecordStore.describe(e)) }
    }
}
