import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import Records
import Screening

/// The webhook sink (docs/alarms.md): POSTs each decision it asked for, as the event stream has
/// it, to `url`, with the event id as `Idempotency-Key`. Its events wait in the records store's
/// outbox (written with their rows, `RecordStore.enqueue`), so a receiver that is down or a
/// daemon restart loses nothing; they leave in the order they were written, one at a time, each
/// once the receiver answers 2xx. A 4xx other than 408 and 429 refuses the event for good (it is
/// kept `rejected`, counted and logged; the next goes); anything else — no connection, a
/// timeout, a 5xx — is tried again after 1, 2, 4 … s, at most `retry_max_s` apart.
enum Webhook {
    /// What can be checked before the daemon starts.
    static func check(_ c: SinkConfig) throws {
        guard let text = c.url else { throw ConfigError(field: "url", message: "is needed: where to POST (http:// or https://)") }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw ConfigError(field: "url", message: "'\(text)' is not an http:// or https:// URL with a host")
        }
        if c.token != nil && c.tokenFile != nil { throw ConfigError(field: "token_file", message: "give either token or token_file, not both") }
        if let file = c.tokenFile {
            _ = try token(file: file)
        }
        let tokenChars = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if c.tokenHeader.isEmpty || c.tokenHeader.unicodeScalars.contains(where: { !tokenChars.contains($0) }) {
            throw ConfigError(field: "token_header", message: "'\(c.tokenHeader)' is not an HTTP header name")
        }
        if let ca = c.caFile {
            if scheme != "https" { throw ConfigError(field: "ca_file", message: "is for https:// URLs; '\(text)' is not one") }
            _ = try trustRoots(ca)
        }
        if !(c.timeoutS > 0) { throw ConfigError(field: "timeout_s", message: "\(c.timeoutS) is not a number of seconds (> 0)") }
        if !(c.retryMaxS >= 1) { throw ConfigError(field: "retry_max_s", message: "\(c.retryMaxS) is not a number of seconds (≥ 1)") }
    }

    static func token(file: String) throws -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigError(field: "token_file", message: "\(file) cannot be read")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if token.isEmpty || token.contains("\n") { throw ConfigError(field: "token_file", message: "\(file) does not hold one line, the token") }
        return token
    }

    static func trustRoots(_ file: String) throws -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: file) else { throw ConfigError(field: "ca_file", message: "\(file) cannot be read") }
        let certificates = (try? NIOSSLCertificate.fromPEMFile(file)) ?? []
        if certificates.isEmpty { throw ConfigError(field: "ca_file", message: "\(file) holds no PEM certificate") }
        return certificates
    }

    /// The routes of the configured webhooks (the records store writes their outbox rows).
    static func routes(_ config: AlarmsConfig) -> [OutboxRoute] {
        config.sinks.enumerated().filter { $0.element.type == .webhook }.map { i, c in
            OutboxRoute(sink: c.displayName(i), levels: Set(c.levels), lanes: c.lanes.map(Set.init))
        }
    }
}

/// One webhook sink's sender: a thread of its own reading the outbox in order. Failures are
/// reported as other sinks' are (`alarm NAME`: degraded, `alarm_sink_failing`, said once per
/// streak); counters `delivered`, `retried`, `rejected` and the gauge `pending`.
final class WebhookSender: @unchecked Sendable {
    let config: SinkConfig
    let name: String
    private let url: String
    private let storePath: String
    private let health: HealthModel
    private let log: Logger
    private let client: HTTPClient
    private let headers: [(String, String)]
    private let condition = NSCondition()
    private var stopping = false
    private var woken = false
    /// The store is there and set up: it was at start, or the records writer has written.
    private var storeReady: Bool
    private let finished = DispatchSemaphore(value: 0)
    /// Under `condition` too.
    private var failing = false
    private var component: String { "alarm \(name)" }

    init(config: SinkConfig, name: String, storePath: String, health: HealthModel) throws {
        self.config = config
        self.name = name
        self.storePath = storePath
        self.health = health
        url = config.url ?? ""
        log = Logger(label: "canthus.alarm.\(name)")
        var tls = TLSConfiguration.makeClientConfiguration()   // the system's CA store
        if let ca = config.caFile { tls.trustRoots = .certificates(try Webhook.trustRoots(ca)) }
        let seconds = TimeAmount.milliseconds(Int64(config.timeoutS * 1000))
        client = HTTPClient(eventLoopGroupProvider: .singleton,
                            configuration: HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow,
                                                                    timeout: .init(connect: seconds, read: seconds)))
        var headers = [("Content-Type", "application/json"), ("User-Agent", "canthus/\(CanthusVersion.string)")]
        if let token = try config.token ?? config.tokenFile.map(Webhook.token(file:)) {
            headers.append((config.tokenHeader, config.tokenHeader.lowercased() == "authorization" ? "Bearer \(token)" : token))
        }
        self.headers = headers
        storeReady = FileManager.default.fileExists(atPath: storePath)
        health.report(component, .ok)
    }

    func start() {
        let t = Thread { [self] in
            run()
            condition.lock(); finishedRunning = true; condition.broadcast(); condition.unlock()
            finished.signal()
        }
        t.name = "canthus-\(name)"
        t.start()
    }

    /// The records writer has committed: there may be more to send.
    func wake() {
        condition.lock()
        woken = true
        storeReady = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sends what waits for at most 5 s more (as the other sinks finish their queues), then
    /// stops; an event whose answer had not come stays in the outbox and goes at the next start
    /// (the receiver may then see it twice: the `Idempotency-Key` tells).
    func close() {
        let deadline = Date() + 5
        condition.lock()
        // A fresh look at the outbox first (the records writer's last batch has just woken it),
        // then until nothing waits or sending fails; the thread broadcasts each change.
        let seen = rounds
        while rounds <= seen + 1 && !finishedRunning && condition.wait(until: deadline) {}
        while pending > 0 && !failing && !finishedRunning && condition.wait(until: deadline) {}
        stopping = true
        condition.broadcast()
        condition.unlock()
        if finished.wait(timeout: .now() + 1) == .timedOut {
            // An answer still awaited: given up.
            client.shutdown { _ in }
            _ = finished.wait(timeout: .now() + 5)
        }
        try? client.syncShutdown()
    }

    /// Under `condition`, each change broadcast (`close` waits on them): events waiting at the
    /// last look, looks taken, the thread's end.
    private var pending = 0
    private var rounds = 0
    private var finishedRunning = false

    private func run() {
        var store: RecordStore?
        var failures = 0
        while true {
            condition.lock()
            if stopping { condition.unlock(); return }
            let ready = storeReady
            woken = false
            rounds += 1
            condition.broadcast()
            condition.unlock()
            do {
                guard ready else { pause(1); continue }
                if store == nil { store = try RecordStore(path: storePath) }
                let waiting = try store!.pendingOutbox(sink: name)
                setPending(waiting)
                guard let item = try store!.nextOutbox(sink: name) else { pause(1); continue }
                let outcome = post(item)
                try store!.settleOutbox(seq: item.seq, outcome)
                switch outcome {
                case .delivered:
                    failures = 0
                    health.count(component, "delivered")
                    setPending(waiting - 1)
                    works()
                case .rejected(let status, let why):
                    failures = 0
                    health.count(component, "rejected")
                    setPending(waiting - 1)
                    // Not the sender's failure to retry: said for each event refused.
                    log.error("\(url) refused \(item.eventID) for good (HTTP \(status)): \(why)")
                    health.report(component, .degraded, reasons: [ReasonCode.alarmSinkFailing.rawValue], detail: "\(url) refused \(item.eventID): HTTP \(status)")
                    condition.lock(); failing = true; condition.broadcast(); condition.unlock()   // ok again at the next delivery
                case .failed(let why):
                    failures += 1
                    health.count(component, "retried")
                    fail("\(why); \(waiting) event\(waiting == 1 ? "" : "s") waiting")
                    pause(min(config.retryMaxS, pow(2, Double(min(failures, 30) - 1))))
                }
            } catch {
                // The store: held in the outbox, tried again.
                store = nil
                fail("\(error)")
                pause(2)
            }
        }
    }

    private func setPending(_ n: Int) {
        condition.lock(); pending = n; condition.broadcast(); condition.unlock()
        health.set(component, "pending", to: n)
    }

    private func works() {
        condition.lock()
        let was = failing
        failing = false
        condition.broadcast()
        condition.unlock()
        guard was else { return }
        health.report(component, .ok)
        log.notice("works again")
    }

    private func fail(_ why: String) {
        condition.lock()
        let was = failing
        failing = true
        condition.broadcast()
        condition.unlock()
        if !was { log.error("\(why)") }
        health.report(component, .degraded, reasons: [ReasonCode.alarmSinkFailing.rawValue], detail: why)
    }

    /// Waits `seconds`, or less when woken or stopped.
    private func pause(_ seconds: Double) {
        condition.lock()
        if !stopping && !woken { _ = condition.wait(until: Date() + seconds) }
        condition.unlock()
    }

    private func post(_ item: OutboxItem) -> RecordStore.OutboxOutcome {
        do {
            var request = try HTTPClient.Request(url: url, method: .POST)
            for (k, v) in headers { request.headers.add(name: k, value: v) }
            request.headers.add(name: "Idempotency-Key", value: item.eventID)
            request.body = .string(item.body)
            let response = try client.execute(request: request, deadline: .now() + .milliseconds(Int64(config.timeoutS * 1000))).wait()
            let status = Int(response.status.code)
            switch status {
            case 200..<300: return .delivered(status: status)
            case 400..<500 where status != 408 && status != 429:
                let text = response.body.map { String(buffer: $0) } ?? ""
                return .rejected(status: status, why: String(text.prefix(200)))
            default: return .failed(why: "\(url) answered HTTP \(status)")
            }
        } catch {
            let text = "\(error)"
            // The installed service is denied the network unless a drop-in allows it.
            let denied = ProcessInfo.processInfo.environment["INVOCATION_ID"] != nil
                && ["unreachable", "not permitted", "resolution", "name or service"].contains { text.lowercased().contains($0) }
            return .failed(why: "\(url): \(text)" + (denied ? " (the service is denied the network unless a drop-in allows it: docs/alarms.md, 'The service and the network')" : ""))
        }
    }
}
