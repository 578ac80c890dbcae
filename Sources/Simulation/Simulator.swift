import Capture
import Foundation
import Radiometry
import Screening

/// Renders a scenario into a recording (canthus format) and its truth.
///
/// Each frame is a temperature field (°C): background at ambient with a gradient and a fixed
/// non-uniformity pattern; the reference disc; hot objects; people (clothing, then heads with a
/// skin gradient and two inner-canthus spots, glasses, masks, hats). The camera then reads
/// gain·T + offset + drift(t) + noise and quantises through its radiometric model. Shutter (FFC)
/// freezes repeat the last frame with the shutter flag; dropped frames skip a sequence number.
/// Everything random comes from one seeded SplitMix64, so a seed gives the same bytes.
public struct Simulator {
    public let scenario: Scenario
    public let seed: UInt64
    public let camera: SimCamera

    /// Face size of an adult, metres.
    static let faceWidthM = 0.15
    static let faceHeightRatio = 1.3

    struct Person {
        var spec: PersonSpec
        var id: Int
        var canthusC: Double
        var oralC: Double
        var faceW: Double
        var faceH: Double
        var speedPx: Double
        var x0: Double
        var y: Double

        func x(at t: Double) -> Double { x0 + (spec.direction == .right ? 1 : -1) * speedPx * (t - spec.enterS) }
    }

    public init(scenario: Scenario, seed: UInt64) throws {
        self.scenario = scenario
        self.seed = seed
        camera = try SimCamera.named(scenario.camera)
    }

    /// Writes `recordingPath` and returns the truth (also written to `truthPath` when given).
    @discardableResult
    public func run(recordingPath: String, truthPath: String?) throws -> Truth {
        var rng = SplitMix64(seed: seed)
        var peopleRNG = rng.split()
        var noiseRNG = rng.split()
        var eventRNG = rng.split()
        let w = camera.width, h = camera.height, n = w * h
        let fps = camera.fps
        let frameCount = Int((scenario.durationS * fps).rounded())

        // People.
        var specs = scenario.people
        if let crowd = scenario.crowd {
            for i in 0..<crowd.count {
                var p = PersonSpec()
                p.enterS = crowd.startS + Double(i) * crowd.everyS
                let lane = i % crowd.lanes.count
                p.heightFraction = crowd.lanes[lane]
                p.direction = lane % 2 == 0 ? .right : .left
                if crowd.leftFraction != 0.5 { p.direction = peopleRNG.uniform() < crowd.leftFraction ? .left : .right }
                p.distanceM = peopleRNG.uniform(crowd.distanceM[0]...crowd.distanceM[1])
                p.speedMPS = peopleRNG.uniform(crowd.speedMPS[0]...crowd.speedMPS[1])
                p.febrile = peopleRNG.uniform() < crowd.feverFraction
                p.glasses = peopleRNG.uniform() < crowd.glassesFraction
                p.mask = peopleRNG.uniform() < crowd.maskFraction
                p.hat = peopleRNG.uniform() < crowd.hatFraction
                specs.append(p)
            }
        }
        var people: [Person] = []
        for (i, spec) in specs.enumerated() {
            var draw = Population.draw(febrile: spec.febrile, rng: &peopleRNG)
            if let c = spec.canthusC {
                draw.oralC += c - draw.canthusC
                draw.canthusC = c
            }
            let mpp = camera.metresPerPixel(atDistance: spec.distanceM)
            let faceW = Self.faceWidthM / mpp
            let faceH = faceW * Self.faceHeightRatio
            let x0 = spec.direction == .right ? -faceW : Double(w) + faceW
            people.append(Person(spec: spec, id: i + 1, canthusC: draw.canthusC, oralC: draw.oralC, faceW: faceW, faceH: faceH,
                                 speedPx: spec.speedMPS / mpp, x0: x0, y: spec.heightFraction * Double(h)))
        }
        // Draw far people first so nearer ones cover them.
        let drawOrder = people.indices.sorted { people[$0].spec.distanceM > people[$1].spec.distanceM || (people[$0].spec.distanceM == people[$1].spec.distanceM && $0 < $1) }

        // Static background: ambient, gradient, fixed-pattern non-uniformity.
        var background = [Float](repeating: 0, count: n)
        var nuc = [Float](repeating: 0, count: n)
        for y in 0..<h {
            for x in 0..<w {
                let g = scenario.gradientK * (Double(y) / Double(h) - 0.5) + 0.3 * scenario.gradientK * (Double(x) / Double(w) - 0.5)
                background[y * w + x] = Float(scenario.ambientC + g)
                nuc[y * w + x] = Float(scenario.nonuniformityK * noiseRNG.gaussian())
            }
        }
        // Noise: 65,536 standard normal values, indexed by random bits.
        var gauss = [Float](repeating: 0, count: 65_536)
        for i in 0..<gauss.count { gauss[i] = Float(noiseRNG.gaussian()) }
        let netd = Float(scenario.netdK ?? camera.netdK)
        let inverse = InverseTable(model: camera.model)

        let reference = scenario.reference
        let header = RecordingHeader(
            camera: CameraDescription(model: camera.name, serial: "SIM-\(seed)", width: w, height: h, fps: fps,
                                      hfovDeg: camera.hfovDeg),
            radiometry: camera.model,
            reference: reference.map {
                ReferenceSource(x: $0.declarePosition ? $0.xPx : nil, y: $0.declarePosition ? $0.yPx : nil,
                                radiusPx: $0.radiusPx, setTemperatureC: $0.setTemperatureC)
            },
            origin: "simulator", createdUTC: "2026-01-01T00:00:00Z")
        let writer = try RecordingWriter(path: recordingPath, header: header)

        var scene = [Float](repeating: 0, count: n)
        var frame = Frame(width: w, height: h)
        var truthFrames: [TruthFrame] = []
        var setpoints: [TruthSetpoint] = []
        var written = 0
        var afterDrop = false
        var shutterLeft = 0
        var nextShutter = scenario.shutterEveryS
        var inView = [Int](repeating: 0, count: people.count)        // frames wholly in view
        var firstFrame = [Int?](repeating: nil, count: people.count)
        var lastFrame = [Int?](repeating: nil, count: people.count)

        for i in 0..<frameCount {
            let t = Double(i) / fps
            let drift = scenario.driftK * t / scenario.durationS
            if eventRNG.uniform() < scenario.dropProbability && i > 0 {
                afterDrop = true
                continue
            }
            if let every = nextShutter, t >= every {
                shutterLeft = scenario.shutterFrames
                nextShutter = every + scenario.shutterEveryS!
            }
            let shutter = shutterLeft > 0 && written > 0
            var boxes: [TruthBox] = []
            if shutter {
                shutterLeft -= 1   // the camera repeats its last frame while the shutter is closed
            } else {
                scene.withUnsafeMutableBufferPointer { s in
                    background.withUnsafeBufferPointer { b in s.baseAddress!.update(from: b.baseAddress!, count: n) }
                }
                if let bb = scenario.blackbody {
                    let k = min(bb.setpointsC.count - 1, Int(t / bb.secondsEach))
                    let r = bb.region ?? [0, 0, Double(w), Double(h)]
                    let sinceStep = t - Double(k) * bb.secondsEach
                    let wander = bb.noiseK > 0 ? bb.noiseK * eventRNG.gaussian() : 0
                    fillRect(&scene, w: w, h: h, x0: r[0], y0: r[1], x1: r[0] + r[2], y1: r[1] + r[3],
                             value: Float(bb.setpointsC[k] + wander + bb.driftKPerS * sinceStep))
                    if setpoints.last?.setpointC == bb.setpointsC[k] { setpoints[setpoints.count - 1].lastFrame = written }
                    else { setpoints.append(TruthSetpoint(setpointC: bb.setpointsC[k], firstFrame: written, lastFrame: written, region: r)) }
                }
                if let ref = reference, !ref.covered.contains(where: { $0.contains(t) }) {
                    let r = ref.radiusPx
                    fillRect(&scene, w: w, h: h, x0: ref.xPx - 2.2 * r, y0: ref.yPx - 2.2 * r, x1: ref.xPx + 2.2 * r, y1: ref.yPx + 2.2 * r,
                             value: Float(scenario.ambientC + 1.0))
                    fillDisc(&scene, w: w, h: h, cx: ref.xPx, cy: ref.yPx, r: r, value: Float(ref.setTemperatureC))
                } else if let ref = reference {
                    // A hand or card in front of it: a lukewarm patch.
                    let r = ref.radiusPx
                    fillRect(&scene, w: w, h: h, x0: ref.xPx - 2.5 * r, y0: ref.yPx - 2.5 * r, x1: ref.xPx + 2.5 * r, y1: ref.yPx + 2.5 * r,
                             value: Float(scenario.ambientC + 2.0))
                }
                for o in scenario.hotObjects where t >= o.fromS && t < o.toS {
                    fillRect(&scene, w: w, h: h, x0: o.xPx, y0: o.yPx, x1: o.xPx + o.widthPx, y1: o.yPx + o.heightPx, value: Float(o.temperatureC))
                }
                for k in drawOrder where t >= people[k].spec.enterS {
                    drawBody(people[k], t: t, into: &scene, w: w, h: h)
                }
                for k in drawOrder where t >= people[k].spec.enterS {
                    drawHead(people[k], t: t, into: &scene, w: w, h: h)
                }
                // The camera reads the scene.
                let gain = Float(scenario.cameraGain), offset = Float(scenario.cameraOffsetK + drift)
                frame.pixels.withUnsafeMutableBufferPointer { px in
                    scene.withUnsafeBufferPointer { s in
                        nuc.withUnsafeBufferPointer { u in
                            gauss.withUnsafeBufferPointer { g in
                                inverse.counts.withUnsafeBufferPointer { table in
                                    var bits: UInt64 = 0
                                    for j in 0..<n {
                                        if j & 3 == 0 { bits = noiseRNG.next() }
                                        let noise = g[Int(bits & 0xffff)] * netd
                                        bits >>= 16
                                        px[j] = InverseTable.count(Double(gain * s[j] + offset + u[j] + noise), table: table)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for k in people.indices where t >= people[k].spec.enterS {
                let p = people[k]
                let cx = p.x(at: t)
                let box = TruthBox(person: p.id, x0: round2(cx - p.faceW / 2), y0: round2(p.y - p.faceH / 2),
                                   x1: round2(cx + p.faceW / 2), y1: round2(p.y + p.faceH / 2))
                guard box.x1 >= 0, box.x0 <= Double(w - 1), box.y1 >= 0, box.y0 <= Double(h - 1) else { continue }
                boxes.append(box)
                if firstFrame[k] == nil { firstFrame[k] = written }
                lastFrame[k] = written
                if box.x0 >= 0, box.y0 >= 0, box.x1 <= Double(w - 1), box.y1 <= Double(h - 1) { inView[k] += 1 }
            }
            frame.timestampNs = UInt64((t * 1e9).rounded())
            frame.sequence = UInt64(i)
            var flags: FrameFlags = []
            if shutter { flags.insert(.shutter) }
            if afterDrop { flags.insert(.afterDrop) }
            frame.flags = flags
            afterDrop = false
            try writer.append(frame)
            let refVisible = reference.map { ref in !ref.covered.contains { $0.contains(t) } } ?? false
            truthFrames.append(TruthFrame(frame: written, timeS: round3(t), driftK: round3(drift), shutter: shutter,
                                          referenceVisible: refVisible, boxes: boxes))
            written += 1
        }
        try writer.close()

        let rule = scenario.measurable
        let truthPeople: [TruthPerson] = people.indices.map { k in
            let p = people[k]
            var why: [String] = []
            if p.faceW < rule.minFaceWidthPx { why.append("too_far") }
            if p.speedPx / p.faceW > rule.maxSpeedFaceWidthsPerS { why.append("motion") }
            if inView[k] < rule.minFrames { why.append("edge") }
            var crossed = false
            var direction: String?
            if let line = scenario.countingLine, let f0 = firstFrame[k], let f1 = lastFrame[k] {
                let a = p.x(at: truthFrames[f0].timeS), b = p.x(at: truthFrames[f1].timeS)
                let (pa, pb, limit) = line.axis == .vertical ? (a, b, line.position * Double(w)) : (p.y, p.y, line.position * Double(h))
                if (pa < limit) != (pb < limit) {
                    crossed = true
                    direction = (pb > pa) == line.inTowardsPositive ? "in" : "out"
                }
            }
            return TruthPerson(id: p.id, canthusC: round3(p.canthusC), oralC: round3(p.oralC), febrile: p.spec.febrile,
                               measurable: why.isEmpty && firstFrame[k] != nil, notMeasurableBecause: firstFrame[k] == nil ? ["never_in_view"] : why,
                               crossedLine: crossed, direction: direction, glasses: p.spec.glasses, mask: p.spec.mask,
                               hat: p.spec.hat, distanceM: round3(p.spec.distanceM), speedMPS: round3(p.spec.speedMPS),
                               faceWidthPx: round2(p.faceW), firstFrame: firstFrame[k], lastFrame: lastFrame[k])
        }
        let truth = Truth(
            recording: (recordingPath as NSString).lastPathComponent, camera: camera.name, fps: fps, width: w, height: h,
            frameCount: written, seed: seed,
            reference: reference.map { TruthReference(xPx: $0.xPx, yPx: $0.yPx, radiusPx: $0.radiusPx, setTemperatureC: $0.setTemperatureC, covered: $0.covered) },
            driftK: scenario.driftK, cameraGain: scenario.cameraGain, cameraOffsetK: scenario.cameraOffsetK,
            countingLine: scenario.countingLine, people: truthPeople, frames: truthFrames,
            blackbody: scenario.blackbody == nil ? nil : setpoints)
        if let truthPath {
            try truth.encoded().write(to: URL(fileURLWithPath: truthPath), options: .atomic)
        }
        return truth
    }

    // MARK: drawing (pixel centres at integer coordinates)

    private func fillRect(_ s: inout [Float], w: Int, h: Int, x0: Double, y0: Double, x1: Double, y1: Double, value: Float) {
        let xa = max(0, Int(x0.rounded(.up))), xb = min(w - 1, Int(x1.rounded(.down)))
        let ya = max(0, Int(y0.rounded(.up))), yb = min(h - 1, Int(y1.rounded(.down)))
        guard xa <= xb, ya <= yb else { return }
        for y in ya...yb { for x in xa...xb { s[y * w + x] = value } }
    }

    private func fillDisc(_ s: inout [Float], w: Int, h: Int, cx: Double, cy: Double, r: Double, value: Float) {
        let ya = max(0, Int((cy - r).rounded(.up))), yb = min(h - 1, Int((cy + r).rounded(.down)))
        let xa = max(0, Int((cx - r).rounded(.up))), xb = min(w - 1, Int((cx + r).rounded(.down)))
        guard xa <= xb, ya <= yb else { return }
        for y in ya...yb {
            for x in xa...xb where (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy) <= r * r {
                s[y * w + x] = value
            }
        }
    }

    /// Clothed shoulders and torso below the head, a little above ambient.
    private func drawBody(_ p: Person, t: Double, into s: inout [Float], w: Int, h: Int) {
        let cx = p.x(at: t)
        let top = p.y + p.faceH / 2 + 0.12 * p.faceH
        fillRect(&s, w: w, h: h, x0: cx - 1.3 * p.faceW, y0: top, x1: cx + 1.3 * p.faceW, y1: Double(h), value: Float(scenario.ambientC + 1.2))
    }

    /// The head: an ellipse of skin warmest at the centre, the canthus spots at the eye line.
    /// Skin falls 2 K from the centre to the face's edge (canthus − 1 to canthus − 3): real faces
    /// span 3–5 K from the inner canthus to the cheeks and the edge, which curves away from the
    /// camera; with it a wearer's warmest visible skin stands 1.0 K out of the rest, as the real
    /// kiosk wearers' do (0.8–1.05 K; docs/simulator.md).
    private func drawHead(_ p: Person, t: Double, into s: inout [Float], w: Int, h: Int) {
        let cx = p.x(at: t), cy = p.y
        let a = p.faceW / 2, b = p.faceH / 2
        let top = cy - b
        let eyeY = top + 0.42 * p.faceH
        let spotR = max(1.3, 0.055 * p.faceW)
        let eyes = [cx - 0.1 * p.faceW, cx + 0.1 * p.faceW]
        let ambient = scenario.ambientC
        let ya = max(0, Int((cy - b).rounded(.up))), yb = min(h - 1, Int((cy + b).rounded(.down)))
        let xa = max(0, Int((cx - a).rounded(.up))), xb = min(w - 1, Int((cx + a).rounded(.down)))
        guard xa <= xb, ya <= yb else { return }
        for y in ya...yb {
            let fy = Double(y)
            for x in xa...xb {
                let fx = Double(x)
                let r2 = ((fx - cx) / a) * ((fx - cx) / a) + ((fy - cy) / b) * ((fy - cy) / b)
                guard r2 <= 1 else { continue }
                var v = p.canthusC - 1.0 - 2.0 * r2
                for ex in eyes {
                    let d = ((fx - ex) * (fx - ex) + (fy - eyeY) * (fy - eyeY)).squareRoot()
                    if d <= spotR { v = p.canthusC } else if d <= spotR + 1 { v = max(v, p.canthusC - (d - spotR) * 0.6) }
                }
                let rel = (fy - top) / p.faceH
                if p.spec.hat && rel < 0.22 { v = ambient + 2 }
                if p.spec.glasses && rel >= 0.32 && rel <= 0.52 && abs(fx - cx) <= 0.42 * p.faceW { v = ambient + 3 }
                if p.spec.mask && rel >= 0.62 { v = ambient + 5 }
                s[y * w + x] = Float(v)
            }
        }
    }
}

/// °C → count for the simulator: the model's inverse sampled every 0.01 K over −40…200 °C and
/// interpolated, rounded to the nearest count.
struct InverseTable {
    static let lowC = -40.0, stepC = 0.01
    let counts: [Double]

    init(model: RadiometricModel) {
        counts = (0...24_000).map { model.count(celsius: Self.lowC + Double($0) * Self.stepC) }
    }

    @inline(__always)
    static func count(_ celsius: Double, table counts: UnsafeBufferPointer<Double>) -> UInt16 {
        let u = (celsius - lowC) / stepC
        let i = max(0, min(counts.count - 2, Int(u)))
        let f = u - Double(i)
        let c = counts[i] + (counts[i + 1] - counts[i]) * f
        return UInt16(max(0, min(65_535, c.rounded())))
    }
}

func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
