import Capture
@testable import Daemon
import Foundation
import Screening
import Testing
import TestSupport

@Suite struct FanOutTests {
    func event(_ i: Int) -> Event { Event(source: "s", frame: i, timeS: Double(i), body: .count(track: i, direction: .pass)) }

    /// A consumer that is stuck costs the publisher nothing: it never waits; what does not fit
    /// the stuck consumer's queue is dropped and counted exactly, the other consumer gets all,
    /// in order, and closing delivers what was queued.
    @Test func aStuckConsumerNeverHoldsThePublisherAndItsDropsAreExact() throws {
        let health = HealthModel()
        let fan = EventFanOut(health: health)
        let gate = DispatchSemaphore(value: 0), took = DispatchSemaphore(value: 0)
        let stuckSeen = Locked<[Int]>([]), fastSeen = Locked<[Int]>([])
        fan.add("stuck", capacity: 8) { e in took.signal(); gate.wait(); stuckSeen.mutate { $0.append(e.frame) } }
        fan.add("fast", capacity: 1024) { e in fastSeen.mutate { $0.append(e.frame) } }
        // The first event is in the stuck consumer's hands before the rest arrive.
        fan.publish(event(0))
        took.wait()
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 1..<500 { fan.publish(event(i)) }
        let publishMs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        #expect(publishMs < 500, "publishing 500 events took \(publishMs) ms")
        // The stuck consumer holds one event in hand and 8 queued: 491 dropped.
        Thread.sleep(forTimeInterval: 0.2)
        for _ in 0..<600 { gate.signal() }
        fan.close()
        let stuck = fan.consumers[0], fast = fan.consumers[1]
        #expect(stuck.dropped + stuck.delivered == 500)
        #expect(stuck.delivered == 9 && stuck.dropped == 491, "delivered \(stuck.delivered), dropped \(stuck.dropped)")
        #expect(fast.dropped == 0 && fastSeen.value == Array(0..<500))
        #expect(stuckSeen.value == stuckSeen.value.sorted())
        #expect(health.snapshot.first { $0.name == "stuck" }?.counters["dropped"] == 491)
    }

    /// The frame loop with a consumer blocked for the whole replay: every frame is screened, in
    /// the time the replay takes alone; the consumer gets the events it had room for afterwards.
    @Test func aConsumerBlockedForTheWholeReplayCostsNoFrame() throws {
        let fan = EventFanOut(health: HealthModel())
        let gate = DispatchSemaphore(value: 0)
        fan.add("blocked", capacity: 4) { _ in gate.wait() }
        var frames = 0, published = 0
        let summaries = try replay(paths: [Project.path("Fixtures/demo.canthus")], config: CanthusConfig(), importOptions: ImportOptions(),
                                   observe: { _, _, _ in frames += 1 }, emit: { fan.publish($0); published += 1 })
        #expect(frames == summaries[0].frames && frames > 100)
        for _ in 0..<published { gate.signal() }
        fan.close()
        #expect(fan.consumers[0].delivered + fan.consumers[0].dropped == published)
        #expect(fan.consumers[0].dropped > 0)
    }
}

@Suite struct LoggingTests {
    /// The same message from the same subsystem within the window is written once; the next
    /// after the window says how many were held back.
    @Test func repeatsAreHeldBackAndCounted() {
        let clock = Locked(0.0)
        let limiter = RepeatLimiter(now: { clock.value })
        #expect(limiter.admit("camera\u{0}gone") == 0)
        for _ in 0..<5 { #expect(limiter.admit("camera\u{0}gone") == nil) }
        #expect(limiter.admit("camera\u{0}other") == 0, "another message is not held back")
        clock.mutate { $0 = 11 }
        #expect(limiter.admit("camera\u{0}gone") == 5)
        #expect(limiter.admit("camera\u{0}gone") == nil)
    }
}

@Suite struct HealthTests {
    /// A calibration past `calibration_max_age_days` is `calibration_expired`; within it, ok.
    @Test func anOldCalibrationIsExpired() throws {
        var config = CanthusConfig()
        config.calibrationCreatedUTC = "2026-01-01T00:00:00Z"
        config.calibrationMaxAgeDays = 90
        let now = try #require(ISO8601DateFormatter().date(from: "2026-06-01T00:00:00Z"))
        let health = HealthModel()
        config.reportCalibration(to: health, now: now)
        let c = try #require(health.snapshot.first { $0.name == "calibration" })
        #expect(c.state == .degraded && c.reasons == ["calibration_expired"] && c.detail.contains("151 days ago"), "\(c)")
        #expect(health.overall == .degraded)
        config.calibrationMaxAgeDays = 365
        config.reportCalibration(to: health, now: now)
        #expect(health.snapshot.first { $0.name == "calibration" }?.state == .ok)
    }
}

@Suite struct WorkQueueTests {
    /// Closing with a bound: the item in hand is finished, what still waits after the bound is
    /// dropped and counted; a queue that keeps the latest replaces what waits instead of dropping.
    @Test func aBoundedCloseDropsTheBacklogAndCountsIt() {
        let health = HealthModel()
        let handled = Locked<[Int]>([])
        let q = WorkQueue<Int>(name: "slow", capacity: 16, health: health) { batch in
            Thread.sleep(forTimeInterval: 0.3)
            handled.mutate { $0 += batch }
        }
        for i in 0..<10 { q.offer(i) }
        let start = Date()
        q.close(within: 0.5)
        let took = Date().timeIntervalSince(start)
        #expect(took < 1.2, "close took \(took) s")
        let done = handled.value.count
        #expect(done >= 1 && done <= 4 && q.dropped == 10 - done, "handled \(done), dropped \(q.dropped)")
        #expect(health.snapshot.first { $0.name == "slow" }?.counters["dropped_at_shutdown"] == 10 - done)

        let latest = Locked<[Int]>([])
        let gate = DispatchSemaphore(value: 0)
        let speech = WorkQueue<Int>(name: "speech", capacity: 1, replacesLatest: true, health: health) { batch in
            gate.wait()
            latest.mutate { $0 += batch }
        }
        speech.offer(1)
        Thread.sleep(forTimeInterval: 0.1)   // 1 is in hand
        for i in 2...5 { speech.offer(i) }
        gate.signal(); gate.signal()
        speech.close()
        #expect(latest.value == [1, 5] && speech.replaced == 3 && speech.dropped == 0, "\(latest.value)")
    }
}
