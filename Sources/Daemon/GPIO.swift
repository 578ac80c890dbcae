import CGPIO
import Foundation
import Frames

/// A GPIO chip through libgpiod and the kernel's GPIO character device: output lines (the gate's
/// lamps, a relay, a turnstile's lock) and an input line with edge events (a button). Errors name
/// the chip and the line.
final class GPIOChip: @unchecked Sendable {
    let name: String
    private let chip: OpaquePointer
    let lineCount: Int

    /// `descr`: the chip's name (gpiochip0), path (/dev/gpiochip0), label or number.
    init(_ descr: String) throws {
        guard let c = gpiod_chip_open_lookup(descr) else {
            throw GPIOError("GPIO chip '\(descr)': \(errno == 0 ? "no such chip" : errnoDescription(errno)) (gpiodetect lists the chips)")
        }
        chip = c
        name = String(cString: gpiod_chip_name(c))
        lineCount = Int(gpiod_chip_num_lines(c))
    }

    deinit { gpiod_chip_close(chip) }

    private func line(_ offset: Int) throws -> OpaquePointer {
        guard offset >= 0, offset < lineCount, let l = gpiod_chip_get_line(chip, UInt32(offset)) else {
            throw GPIOError("GPIO chip \(name) has no line \(offset) (it has \(lineCount): 0…\(lineCount - 1))")
        }
        return l
    }

    /// libgpiod keeps the consumer's name only for the call: the C string lives through it.
    private func request(_ l: OpaquePointer, type: Int32, activeLow: Bool, consumer: String, value: Int32) -> Int32 {
        consumer.withCString { name in
            var config = gpiod_line_request_config(consumer: name, request_type: type, flags: activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0)
            return gpiod_line_request(l, &config, value)
        }
    }

    /// Takes line `offset` as an output at `value` (1: active; `activeLow` inverts the level).
    func output(_ offset: Int, value: Bool, activeLow: Bool, consumer: String) throws -> GPIOLine {
        let l = try line(offset)
        guard request(l, type: Int32(GPIOD_LINE_REQUEST_DIRECTION_OUTPUT), activeLow: activeLow, consumer: consumer, value: value ? 1 : 0) == 0 else {
            throw GPIOError("GPIO chip \(name) line \(offset): cannot take it as an output: \(errnoDescription(errno))")
        }
        return GPIOLine(chip: self, line: l, offset: offset)
    }

    /// Takes line `offset` as an input reporting both edges.
    func input(_ offset: Int, activeLow: Bool, consumer: String) throws -> GPIOLine {
        let l = try line(offset)
        guard request(l, type: Int32(GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES), activeLow: activeLow, consumer: consumer, value: 0) == 0 else {
            throw GPIOError("GPIO chip \(name) line \(offset): cannot take it as an input: \(errnoDescription(errno))")
        }
        return GPIOLine(chip: self, line: l, offset: offset)
    }
}

/// One requested line; released with it.
final class GPIOLine: @unchecked Sendable {
    let chip: GPIOChip   // kept open while the line is held
    private let line: OpaquePointer
    let offset: Int

    init(chip: GPIOChip, line: OpaquePointer, offset: Int) {
        self.chip = chip
        self.line = line
        self.offset = offset
    }

    deinit { gpiod_line_release(line) }

    func set(_ on: Bool) throws {
        guard gpiod_line_set_value(line, on ? 1 : 0) == 0 else {
            throw GPIOError("GPIO chip \(chip.name) line \(offset): cannot set it: \(errnoDescription(errno))")
        }
    }

    enum Edge { case rising, falling }

    /// The next edge within `timeoutS`, nil when none came.
    func waitEdge(timeoutS: Double) throws -> Edge? {
        var timeout = timespec(tv_sec: Int(timeoutS), tv_nsec: Int((timeoutS - Double(Int(timeoutS))) * 1e9))
        let rc = gpiod_line_event_wait(line, &timeout)
        if rc == 0 { return nil }
        guard rc == 1 else { throw GPIOError("GPIO chip \(chip.name) line \(offset): cannot wait for it: \(errnoDescription(errno))") }
        var event = gpiod_line_event()
        guard gpiod_line_event_read(line, &event) == 0 else {
            throw GPIOError("GPIO chip \(chip.name) line \(offset): cannot read its event: \(errnoDescription(errno))")
        }
        return event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling
    }
}

struct GPIOError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
