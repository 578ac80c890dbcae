import Frames
import Radiometry

/// The whole screening pipeline for one source: frame → counts→°C → reference → blobs → faces →
/// tracks → decisions, counts and status events. Pure and deterministic: the same frames and
/// configuration give the same events. Buffers are sized for the source once and reused.
public final class Screener {
    public let sourceName: String
    public let header: RecordingHeader
    public private(set) var config: ScreeningConfig
    public let table: CountTable
    public private(set) var reference: ReferenceMonitor
    public private(set) var tracker: Tracker
    public private(set) var lastStatus: (state: ScreeningState, reasons: [String])?
    public private(set) var detections: [Detection] = []
    /// The current frame, upright, when the source needs rotating or a flat field (`screened`).
    public private(set) var upright: Frame
    public private(set) var referenceStatus: ReferenceStatus = .notConfigured
    public private(set) var lastFrame = -1
    public private(set) var lastTimeS = 0.0
    /// While a decision, rejection or count is being emitted: the person's track as it stands
    /// (its face box, its trajectory so far). What the store keeps beside the event; nil
    /// otherwise. (An `emit` callback may read it, and must not read `tracker`.)
    public private(set) var subject: Track?
    /// The people whose tracks ended in the last `process` or `finish` call, with their
    /// whole trajectories (objects, fragments and tracks too short to be anyone are not here);
    /// a track continuing a decided person has `continues` set. Emptied at the next call.
    public private(set) var endedTracks: [Track] = []
    private var labeler: BlobLabeler
    private var faces = FaceMeasurer()
    private var grouper: FaceGrouper
    /// The hot-core pass (`findCores`): its own labelling, an identity grouping, and which
    /// regions of the skin-level labelling were turned down as no single face.
    private var coreLabeler: BlobLabeler
    /// A core's box labelled again 1.5 K higher (`headBehind`; stills only).
    private var sideLabeler: BlobLabeler?
    private var identity: [Int32]
    private var turnedDown: [Bool]
    /// The smallest blob's side (px): a turned-down region is searched for cores when it is
    /// three of these each way.
    private let coreSide: Int
    private var policy: DecisionPolicy
    /// The camera's focal length, for each person's distance; nil when its field of view is unknown.
    public let geometry: CameraGeometry?
    private var firstTimestampNs: UInt64?
    private var frozen = FrozenFrameDetector()
    private var pauseReasons: [String] = []
    /// Pixel noise (temporal + fixed pattern), K: a running estimate from every frame.
    public private(set) var noiseK: Double?
    /// The surroundings' temperature (°C), which sets the skin→core offset
    /// (`DecisionConfig.skinToCoreOffset`): the frame's median (the background people stand
    /// against), averaged exponentially over `ambientTimeS` of frames whose readings are
    /// trusted. Nil until the first such frame.
    public private(set) var ambientC: Double?
    /// A room's temperature changes over minutes; a person filling much of the view for a
    /// few seconds barely moves this average.
    static let ambientTimeS = 10.0
    private var ambientUpdatedS = -Double.infinity
    /// Four interleaved 1024-bin histograms (bin × 4 + lane): consecutive samples, which mostly
    /// fall in the same few bins, go to different lanes and do not wait on each other's stores.
    private var differenceHistogram = [Int32](repeating: 0, count: 4 * 1024)

    /// Flat-field correction in counts, upright (from the calibration), added to every frame.
    private let flatCounts: [Int16]?

    public init(header: RecordingHeader, config: ScreeningConfig, calibration: LinearCalibration = .identity,
                flatField: FlatField? = nil, sourceName: String, table: CountTable? = nil) {
        self.sourceName = sourceName
        self.header = header
        self.config = config
        self.table = CountTable.reuse(table, model: header.radiometry, calibration: calibration)
        let rotation = header.camera.rotationDeg
        let size = rotation.size(width: header.camera.width, height: header.camera.height)
        upright = Frame(width: size.width, height: size.height)
        labeler = BlobLabeler(width: size.width, height: size.height)
        grouper = FaceGrouper(maxLabels: BlobLabeler.labelBound(width: size.width, height: size.height))
        coreLabeler = BlobLabeler(width: size.width, height: size.height)
        sideLabeler = config.singleFrame ? BlobLabeler(width: size.width, height: size.height) : nil
        let bound = BlobLabeler.labelBound(width: size.width, height: size.height)
        identity = (0...bound).map { Int32($0) }
        turnedDown = [Bool](repeating: false, count: bound + 1)
        coreSide = Int(Double(config.minBlobAreaPx).squareRoot().rounded(.up))
        reference = ReferenceMonitor(source: header.reference, rotation: rotation, sensorWidth: header.camera.width,
                                     sensorHeight: header.camera.height, config: config.reference)
        tracker = Tracker(config: config)
        policy = DecisionPolicy(config: config.decision)
        geometry = CameraGeometry(camera: header.camera)
        detections.reserveCapacity(64)
        endedTracks.reserveCapacity(16)
        medianScratch.reserveCapacity(Track.maxSamples)
        bestScratch.reserveCapacity(Track.maxSamples)
        if let f = flatField, f.width == header.camera.width, f.height == header.camera.height {
            let sensor = f.countOffsets(model: header.radiometry)
            var upright = [Int16](repeating: 0, count: sensor.count)
            for y in 0..<f.height {
                for x in 0..<f.width {
                    let p = rotation.map(x: x, y: y, width: f.width, height: f.height)
                    upright[p.y * size.width + p.x] = sensor[y * f.width + x]
                }
            }
            flatCounts = upright
        } else {
            flatCounts = nil
        }
    }

    /// Applies new decision settings (thresholds, offset, mode, hysteresis) from the next
    /// judgement on, without a dropped frame: a reload. Detection and tracking settings are
    /// fixed for a screener's life (a lane restarts to change them).
    public func reconfigure(decision: DecisionConfig) {
        config.decision = decision
        policy.reconfigure(decision)
    }

    private var stepUp: Bool { config.screeningProtocol == .stepUp }

    /// Whether frames are screened in place: upright already and without a flat field.
    private var screensInPlace: Bool { header.camera.rotationDeg == .none && flatCounts == nil }

    /// The frame as the screener saw it: `frame` itself when it needed neither rotation nor flat
    /// field (it is screened in place, without a copy), else `upright`.
    public func screened(_ frame: Frame) -> Frame { screensInPlace ? frame : upright }

    /// Processes frame number `index` of the source (in sensor orientation) and hands every
    /// event it causes to `emit`, in order.
    public func process(_ frame: Frame, index: Int, emit: (Event) -> Void) {
        endedTracks.removeAll(keepingCapacity: true)
        if screensInPlace {
            frame.pixels.withUnsafeBufferPointer { screen(frame, pixels: $0, index: index, emit: emit) }
            return
        }
        header.camera.rotationDeg.apply(frame, into: &upright)
        if let flatCounts {
            upright.pixels.withUnsafeMutableBufferPointer { px in
                flatCounts.withUnsafeBufferPointer { off in
                    for i in 0..<px.count { px[i] = UInt16(clamping: Int(px[i]) + Int(off[i])) }
                }
            }
        }
        upright.pixels.withUnsafeBufferPointer { screen(upright, pixels: $0, index: index, emit: emit) }
    }

    /// The pipeline on one upright frame (`view`, whose pixels are `px`).
    private func screen(_ view: Frame, pixels px: UnsafeBufferPointer<UInt16>, index: Int, emit: (Event) -> Void) {
        let base = firstTimestampNs ?? view.timestampNs
        firstTimestampNs = base
        let timeS = Double(Int64(bitPattern: view.timestampNs &- base)) / 1e9
        lastFrame = index
        lastTimeS = timeS

        var flags = view.flags
        if frozen.repeatsPrevious(view) && index > 0 { flags.insert(.frozen) }

        // Status: camera flags and the reference decide whether readings can be trusted.
        pauseReasons.removeAll(keepingCapacity: true)
        if flags.contains(.shutter) { pauseReasons.append(ReasonCode.shutter.rawValue) }
        if flags.contains(.frozen) { pauseReasons.append(ReasonCode.frozen.rawValue) }
        let status = reference.update(px, table: table, timeS: timeS, shutter: flags.contains(.shutter) || flags.contains(.frozen))
        referenceStatus = status
        var offset = 0.0
        switch status {
        case .notConfigured: break
        case .ok(let o): offset = o
        case .missing: pauseReasons.append(ReasonCode.referenceMissing.rawValue)
        case .unstable:
            pauseReasons.append(ReasonCode.referenceUnstable.rawValue)
            offset = reference.drift?.offsetK ?? 0
        case .warmingUp: pauseReasons.append(ReasonCode.warmingUp.rawValue)
        case .searching: pauseReasons.append(ReasonCode.referenceSearching.rawValue)
        }
        let state: ScreeningState = pauseReasons.isEmpty ? .screening : .paused
        if lastStatus == nil || lastStatus!.state != state || lastStatus!.reasons != pauseReasons {
            lastStatus = (state, pauseReasons)
            emit(Event(source: sourceName, frame: index, timeS: timeS, body: .status(state: state, reasons: pauseReasons)))
        }

        detect(px, offsetK: offset, frozen: flags.contains(.frozen), trusted: state == .screening, timeS: timeS)
        tracker.update(detections, timeS: timeS, frame: index)
        judge(offsetK: offset, paused: state == .paused, timeS: timeS, index: index, emit: emit)
        for gone in tracker.expire(timeS: timeS) { end(gone, index: index, timeS: timeS, emit: emit) }
    }

    /// Screens every remaining frame of `source`, in order, then ends the open tracks.
    public func screenAll(_ source: any FrameSource, emit: (Event) -> Void) throws {
        var frame = Frame.empty
        var index = lastFrame + 1
        while try source.next(into: &frame) {
            process(frame, index: index, emit: emit)
            index += 1
        }
        finish(emit: emit)
    }

    /// Ends every open track (the source ended) and emits what they owe.
    public func finish(emit: (Event) -> Void) {
        endedTracks.removeAll(keepingCapacity: true)
        for gone in tracker.expire(timeS: lastTimeS, all: true) { end(gone, index: max(0, lastFrame), timeS: lastTimeS, emit: emit) }
    }

    /// Warm blobs → face detections, excluding the reference, hot objects and specks.
    private func detect(_ px: UnsafeBufferPointer<UInt16>, offsetK: Double, frozen: Bool, trusted: Bool, timeS: Double) {
        detections.removeAll(keepingCapacity: true)
        if frozen { return }
        let w = upright.width, h = upright.height
        let median = frameMedian(px)
        reference.observeMount(px, table: table, backgroundC: Double(table[median]), timeS: timeS)
        let background = Double(table[median]) + offsetK
        if trusted {
            let weight = min(1, max(0, timeS - ambientUpdatedS) / Self.ambientTimeS)
            ambientC = ambientC.map { $0 + weight * (background - $0) } ?? background
            ambientUpdatedS = timeS
        }
        let thresholdC = max(config.skinMinC, background + config.skinMarginK) - offsetK
        let threshold = table.firstCount(atLeast: thresholdC)
        labeler.label(px, threshold: threshold, exclude: reference.exclusion)
        let hotCount = table.firstCount(atLeast: config.hotObjectC - offsetK)
        let noise = updateNoise(px, median: median, threshold: threshold)
        let band = config.canthusBandSigma * noise
        grouper.group(labeler, minPieceArea: max(1, config.minBlobAreaPx / 2))
        let body = table.firstCount(atLeast: background + config.bodyMarginK - offsetK)
        var anyTurnedDown = false
        let coreFloor = table.firstCount(atLeast: Double(table[threshold]) + 3.0)
        let faceSkinC = Double(table[coreFloor])
        for region in grouper.regions { turnedDown[Int(region.label)] = false }
        for blob in grouper.regions where blob.area >= config.minBlobAreaPx {
            if blob.maxCount >= hotCount { continue }
            if hangsBelowAHead(blob, pixels: px, hotCount: hotCount, body: body) { continue }
            let d = labeler.withRuns { runs in
                grouper.group.withUnsafeBufferPointer { group in
                    faces.measure(blob: blob, runs: runs, group: group, pixels: px, width: w, height: h, table: table,
                                  k: config.canthusPixels, band: band, mount: reference.mount)
                }
            }
            if isFace(d, pixels: px, body: body, faceSkinC: faceSkinC) {
                detections.append(d)
            } else if blob.width >= 3 * coreSide && blob.height >= 3 * coreSide && blob.maxCount >= coreFloor {
                // Worth a look for faces inside only if it is big enough to hold one with room
                // around it (three times the smallest blob's side each way) and holds skin as
                // warm as a face's (clothing alone reads a kelvin or two above the threshold,
                // a face 3–6).
                turnedDown[Int(blob.label)] = true
                anyTurnedDown = true
            }
        }
        if anyTurnedDown { findCores(px, threshold: threshold, hotCount: hotCount, body: body, band: band, faceSkinC: faceSkinC) }
        if config.singleFrame { dropPiecesOfFaces() }
    }

    /// In a still: a head too small to measure whose box overlaps the box of another face whose
    /// warm region (the head and what joins it: neck, shoulders, the core it was found in) is at
    /// least four times its size, or comes within half the smallest blob's side of it (a post or
    /// a lock of hair in front of a face cuts it), is a piece of that person (an ear, a cheek, a
    /// hand at the chin, the neck below a face found as a hot core), and is dropped — unless it
    /// is a head seen past that face's side (`headBehind`). (In a moving scene the tracker tells
    /// a piece from a person by which was seen first, `fragmentOf`; a still has no first.) Each
    /// is judged against every face found, not against what is left.
    private func dropPiecesOfFaces() {
        guard detections.count > 1 else { return }
        let gap = coreSide / 2 + 1
        let found = detections
        detections.removeAll { p in
            p.faceWidth < config.minFaceWidthPx && !p.partlyHidden && found.contains { f in
                f != p && f.region.width * f.region.height >= 4 * p.faceWidth * p.faceHeight
                    && p.minX <= f.maxX + gap && f.minX <= p.maxX + gap && p.minY <= f.maxY + gap && f.minY <= p.maxY + gap
            }
        }
    }

    /// The shape tests every face passes (`detect`, `findCores`). `faceSkinC`: skin as warm as a
    /// face's in this frame, °C before correction — 3 K above the skin threshold (clothing alone
    /// reads a kelvin or two above it, a face 3–6).
    private func isFace(_ d: Detection, pixels px: UnsafeBufferPointer<UInt16>, body: UInt16, faceSkinC: Double) -> Bool {
        let h = upright.height
        // A face is taller than wide; a wide, flat warm region (shoulders, an arm, a table
        // edge) is not one, unless the frame's bottom edge cuts it, or it is the band of
        // skin between a hat and a mask.
        if Double(d.faceHeight) < 0.75 * Double(d.faceWidth) && d.maxY < h - 1
            && !liesBetweenHatAndMask(d, pixels: px, body: body) { return false }
        // A head's top is its crown or forehead, a solid cap; a region whose top third is
        // mostly empty (the back and posts of a warm chair above its seat) is not a head. In a
        // moving scene a head tilted or turned for a frame is upright in the next; a still has
        // one frame, so there a top that is one piece of skin as warm as a face's is a head
        // (hair over a tilted crown; a chair's posts, or two heads side by side, are two pieces).
        if d.crownFill < 0.4 && !d.touchesEdge
            && !(config.singleFrame && d.canthusC >= faceSkinC && d.crownSplit == 0) { return false }
        // In a still, a piece the frame's edge cuts, narrower or shorter than the smallest
        // blob's side, cannot be told for a head (a moving scene shows it as it comes in).
        if config.singleFrame && d.touchesEdge && min(d.faceWidth, d.faceHeight) < coreSide { return false }
        // Too small to measure is still a person when it is a head on a body; a speck with
        // nothing warm beneath it (a hand on the counter, an ear, a lamp) is not, and neither
        // is a "head" smaller than a tiny blob (the tip of a larger warm region).
        if d.faceWidth < config.minFaceWidthPx
            && (d.faceWidth * d.faceHeight < config.minBlobAreaPx || !standsOnABody(d, pixels: px, body: body)) { return false }
        return true
    }

    /// Faces inside warm regions that were turned down as no single face — people sitting
    /// close, heads against warm clothing or a neighbour: skin is the warmest part of a clothed
    /// person, so a face stands out as a hot core a few kelvin above the clothing around it.
    /// The frame is labelled again at 1.5, 3 and 4.5 K above the skin threshold; a core whose
    /// hottest pixel lies in a turned-down region and in no face found so far, which the frame's
    /// edge does not cut, and which passes every face test, is a face.
    private func findCores(_ px: UnsafeBufferPointer<UInt16>, threshold: UInt16, hotCount: UInt16, body: UInt16, band: Double, faceSkinC: Double) {
        let w = upright.width, h = upright.height
        let base = Double(table[threshold])
        // Only the part of the frame the turned-down regions cover is labelled again.
        var window = (minX: w, minY: h, maxX: -1, maxY: -1)
        for r in grouper.regions where turnedDown[Int(r.label)] {
            window = (min(window.minX, r.minX), min(window.minY, r.minY), max(window.maxX, r.maxX), max(window.maxY, r.maxY))
        }
        for step in 1...3 {
            let level = table.firstCount(atLeast: base + 1.5 * Double(step))
            guard level < hotCount else { break }
            coreLabeler.label(px, threshold: level, exclude: reference.exclusion, window: window)
            for core in coreLabeler.blobs where core.area >= config.minBlobAreaPx && core.maxCount < hotCount {
                let region = grouper.group[Int(labeler.withRuns { $0.label(atX: core.maxX_, y: core.maxY_) })]
                guard region > 0, turnedDown[Int(region)] else { continue }
                if detections.contains(where: { core.maxX_ >= $0.minX && core.maxX_ <= $0.maxX && core.maxY_ >= $0.minY && core.maxY_ <= $0.maxY }) { continue }
                if detections.contains(where: { isNeck(core, below: $0) }) { continue }
                let d = measure(core, pixels: px, band: band)
                // A core the frame's edge cuts is a piece of someone leaving the view (a
                // shoulder, the back of a head), not a face to be found this way.
                guard !d.touchesEdge && isFace(d, pixels: px, body: body, faceSkinC: faceSkinC) else { continue }
                if let (front, behind) = headBehind(in: core, level: level, pixels: px, hotCount: hotCount, body: body,
                                                    band: band, faceSkinC: faceSkinC) {
                    detections.append(front)
                    detections.append(behind)
                } else {
                    detections.append(d)
                }
            }
        }
    }

    /// In a still, a core that holds two heads: a person sitting behind another shows a strip of
    /// their face beside the face in front, joined to it where both are warm. Labelled 1.5 K
    /// higher the two come apart at the saddle between them: a piece of the core beside every
    /// other piece (a column or more of the saddle between, its rows overlapping one of theirs)
    /// — where one face's own warm parts lie one above the other (eyes and forehead over the
    /// cool nose, the mouth and chin below). The core is cut at the saddle's middle column. What
    /// tells a head behind from the other things beside a face:
    /// - a face's two halves are alike: what shows of a head behind is a strip, at most half as
    ///   wide as the face in front;
    /// - an ear (its pinna reads 2–3 K below the inner canthus) or a hand at the cheek is cooler:
    ///   the strip's warmest pixel is within 1 K of the front face's canthus (a face's forehead
    ///   and cheeks read within a kelvin of it);
    /// - an ear is 6 of the 20 cm from crown to chin and begins at the brows: the core's part on
    ///   that side of the saddle is at least 0.4 of the front face's height and rises to within
    ///   0.15 of it of that face's top;
    /// - both sides pass the face tests.
    /// In a moving scene people behind others come into view whole as they move, and the
    /// tracker tells a piece from a person by which was seen first; there a close face's temple
    /// or hair edge, 1.5 K higher, comes apart from it for a frame now and then (5 frames of the
    /// dev set pass every test above), so this is for stills only.
    private func headBehind(in core: Blob, level: UInt16, pixels px: UnsafeBufferPointer<UInt16>,
                            hotCount: UInt16, body: UInt16, band: Double, faceSkinC: Double) -> (Detection, Detection)? {
        let higher = table.firstCount(atLeast: Double(table[level]) + 1.5)
        guard higher < hotCount, var sideLabeler else { return nil }
        self.sideLabeler = nil  // the only copy while it labels: its buffers are written in place
        defer { self.sideLabeler = sideLabeler }
        sideLabeler.label(px, threshold: higher, exclude: reference.exclusion, window: (core.minX, core.minY, core.maxX, core.maxY))
        let minPiece = max(1, config.minBlobAreaPx / 2)
        func isPiece(_ b: Blob) -> Bool { b.area >= minPiece && coreLabeler.withRuns { $0.label(atX: b.maxX_, y: b.maxY_) } == core.label }
        for p in sideLabeler.blobs where isPiece(p) {
            var othersMinX = Int.max, othersMaxX = -1, besideOne = false
            for o in sideLabeler.blobs where o.label != p.label && isPiece(o) {
                othersMinX = min(othersMinX, o.minX); othersMaxX = max(othersMaxX, o.maxX)
                if o.minY <= p.maxY && p.minY <= o.maxY { besideOne = true }
            }
            guard besideOne else { continue }
            let side: ClosedRange<Int>, front: ClosedRange<Int>
            if p.maxX + 1 < othersMinX {
                let cut = (p.maxX + othersMinX - 1) / 2
                side = core.minX...cut; front = (cut + 1)...core.maxX
            } else if p.minX - 1 > othersMaxX {
                let cut = (othersMaxX + p.minX + 1) / 2
                side = cut...core.maxX; front = core.minX...(cut - 1)
            } else { continue }
            guard let sideBlob = part(of: core, columns: side, pixels: px),
                  let frontBlob = part(of: core, columns: front, pixels: px) else { return nil }
            guard sideBlob.width * 2 <= frontBlob.width else { return nil }
            let frontFace = measure(frontBlob, pixels: px, band: band)
            guard Double(table[p.maxCount]) >= frontFace.canthusC - 1,
                  Double(sideBlob.height) >= 0.4 * Double(frontFace.faceHeight),
                  Double(sideBlob.minY - frontFace.minY) <= 0.15 * Double(frontFace.faceHeight) else { return nil }
            var sideFace = measure(sideBlob, pixels: px, band: band)
            sideFace.partlyHidden = true
            guard isFace(frontFace, pixels: px, body: body, faceSkinC: faceSkinC),
                  isFace(sideFace, pixels: px, body: body, faceSkinC: faceSkinC) else { return nil }
            return (frontFace, sideFace)
        }
        return nil
    }

    /// The pixels of `core` (in `coreLabeler`'s runs) in the columns `columns`, as a blob.
    private func part(of core: Blob, columns: ClosedRange<Int>, pixels px: UnsafeBufferPointer<UInt16>) -> Blob? {
        let w = upright.width
        var b = Blob(label: core.label, area: 0, minX: Int.max, minY: Int.max, maxX: -1, maxY: -1, sumX: 0, sumY: 0,
                     maxCount: 0, maxX_: 0, maxY_: 0)
        coreLabeler.withRuns { runs in
            identity.withUnsafeBufferPointer { group in
                for y in core.minY...core.maxY {
                    runs.forEachPart(ofRow: y, in: columns, group: group, region: core.label) { s, e in
                        for x in s...e {
                            b.area += 1; b.sumX += x; b.sumY += y
                            b.minX = min(b.minX, x); b.maxX = max(b.maxX, x); b.minY = min(b.minY, y); b.maxY = max(b.maxY, y)
                            if b.area == 1 || px[y * w + x] > b.maxCount { b.maxCount = px[y * w + x]; b.maxX_ = x; b.maxY_ = y }
                        }
                    }
                }
            }
        }
        return b.area > 0 ? b : nil
    }

    /// A core's part measured as a face (`coreLabeler`'s runs).
    private func measure(_ blob: Blob, pixels px: UnsafeBufferPointer<UInt16>, band: Double) -> Detection {
        coreLabeler.withRuns { runs in
            identity.withUnsafeBufferPointer { group in
                faces.measure(blob: blob, runs: runs, group: group, pixels: px, width: upright.width, height: upright.height,
                              table: table, k: config.canthusPixels, band: band, core: true, mount: reference.mount)
            }
        }
    }

    /// Whether `core` is the neck and chest below the face `face`: its top lies in the lower
    /// half of the face or within half a face height below it, it is centred under the face's
    /// middle half, and its warmest pixel is cooler than the face's canthus (the inner canthus
    /// is a person's warmest skin). A beard or a collar cuts the warm skin of an open neck from
    /// the face above it; labelled again above the skin threshold it is a core of its own.
    private func isNeck(_ core: Blob, below face: Detection) -> Bool {
        core.minY > face.minY + face.faceHeight / 2 && core.minY <= face.maxY + face.faceHeight / 2
            && abs((core.minX + core.maxX) - (face.minX + face.maxX)) * 2 <= face.faceWidth
            && Double(table[core.maxCount]) < face.canthusC
    }

    private var histogram = [Int32](repeating: 0, count: 4096)

    /// Whether `region` is a hand or arm: another warm region (the head) sits above it, no more
    /// than three of its heights higher, centred over its width, and a column of clothing at
    /// least `body` counts warm (the torso) joins the two in at least 70 % of the rows between.
    /// A region at least 0.8 of that head's width, at least as tall as wide and whose hottest
    /// pixel is as warm as the head's is not a hand (a hand is 8–9 cm across, a face 14–16, and
    /// the skin of a hand reads kelvins below the inner canthus): it is the face of someone
    /// standing in front, whose hair joins it to the head behind.
    private func hangsBelowAHead(_ region: Blob, pixels px: UnsafeBufferPointer<UInt16>, hotCount: UInt16, body: UInt16) -> Bool {
        let w = upright.width
        for head in grouper.regions where head.label != region.label && head.area >= config.minBlobAreaPx && head.maxCount < hotCount {
            let gap = region.minY - head.maxY - 1
            guard gap >= 1, gap <= 3 * head.height else { continue }
            if region.width * 5 >= head.width * 4 && region.height >= region.width && region.maxCount >= head.maxCount { continue }
            let cx = (head.minX + head.maxX) / 2
            guard cx >= region.minX, cx <= region.maxX else { continue }
            var warm = 0
            for y in (head.maxY + 1)..<region.minY where px[y * w + cx] >= body { warm += 1 }
            if warm * 10 >= gap * 7 { return true }
        }
        return false
    }

    /// Whether the wide region `band` is the skin a hat and a mask leave of a face (eyes, brows,
    /// the bridge of the nose): wide enough to measure, at least 0.35 of its width tall; above
    /// its middle, a cap warm to `body` counts (the hat) 1 to 0.8 widths tall, the room (or the
    /// frame's top) above that; below, at least 0.2 widths warm to `body` (the mask). An arm
    /// across a torso has the torso above it, far taller than a hat; shoulders have the head
    /// above them.
    private func liesBetweenHatAndMask(_ band: Detection, pixels px: UnsafeBufferPointer<UInt16>, body: UInt16) -> Bool {
        let w = upright.width, x = (band.minX + band.maxX) / 2
        guard band.faceWidth >= config.minFaceWidthPx, Double(band.faceHeight) >= 0.35 * Double(band.faceWidth) else { return false }
        var hat = 0, y = band.minY - 1
        while y >= 0 && px[y * w + x] >= body { hat += 1; y -= 1 }
        guard hat >= 1, Double(hat) <= 0.8 * Double(band.faceWidth) else { return false }
        let maskRows = Int((0.2 * Double(band.faceWidth)).rounded(.up))
        guard band.maxY + maskRows < upright.height else { return false }
        for y in (band.maxY + 1)...(band.maxY + maskRows) where px[y * w + x] < body { return false }
        return true
    }

    /// Whether a body holds `head` up: below it, under the middle third of its width, at least
    /// half of the next two head heights of rows are warm to `body` counts (clothing), and at
    /// least one head height of those rows is in view.
    private func standsOnABody(_ head: Detection, pixels px: UnsafeBufferPointer<UInt16>, body: UInt16) -> Bool {
        let w = upright.width
        let first = head.maxY + 1, last = min(upright.height - 1, head.maxY + 2 * head.faceHeight)
        guard last - first + 1 >= head.faceHeight else { return false }
        let third = head.faceWidth / 3
        let x0 = head.minX + third, x1 = max(x0, head.maxX - third)
        var warm = 0
        for y in first...last {
            for x in x0...x1 where px[y * w + x] >= body { warm += 1; break }
        }
        return warm * 2 >= last - first + 1
    }

    /// Robust pixel noise from horizontal neighbour differences in the background (pixels below
    /// `threshold`), every 4th pair of 32 rows: σ = median|Δ| / 0.6745 / √2, converted to
    /// kelvin by the table's slope at the median, then smoothed over frames (weight 0.1 per frame).
    private func updateNoise(_ px: UnsafeBufferPointer<UInt16>, median: UInt16, threshold: UInt16) -> Double {
        let w = upright.width, h = upright.height
        var total: Int32 = 0
        differenceHistogram.withUnsafeMutableBufferPointer { hist in
            for i in 0..<hist.count { hist[i] = 0 }
            for y in stride(from: 0, to: h, by: max(1, h / 32)) {
                let row = y * w
                for x in stride(from: 1, to: w, by: 4) {
                    let a = px[row + x - 1], b = px[row + x]
                    guard a < threshold, b < threshold else { continue }
                    hist[(min(1023, Int(a > b ? a - b : b - a)) << 2) | ((x >> 2) & 3)] += 1
                    total += 1
                }
            }
        }
        guard total > 100 else { return noiseK ?? 0.1 }
        var acc: Int32 = 0, mad = 0.0
        for d in 0..<1024 {
            acc += differenceHistogram[4 * d] + differenceHistogram[4 * d + 1] + differenceHistogram[4 * d + 2] + differenceHistogram[4 * d + 3]
            if acc * 2 >= total { mad = Double(d); break }
        }
        let m = Int(median)
        let slope = Double(table[UInt16(min(65_535, m + 50))] - table[UInt16(max(0, m - 50))]) / 100
        let estimate = max(mad, 0.5) / 0.6745 / 2.0.squareRoot() * slope
        noiseK = noiseK.map { $0 + 0.1 * (estimate - $0) } ?? estimate
        return noiseK!
    }

    /// Median count of the frame (every 8th pixel of 64 rows) from a 4096-bin histogram of
    /// count/16.
    private func frameMedian(_ px: UnsafeBufferPointer<UInt16>) -> UInt16 {
        histogram.withUnsafeMutableBufferPointer { hist in
            for i in 0..<hist.count { hist[i] = 0 }
            var sampled: Int32 = 0
            let w = upright.width
            for row in stride(from: 0, to: px.count, by: max(1, upright.height / 64) * w) {
                for i in stride(from: row, to: row + w, by: 8) { hist[Int(px[i] >> 4)] += 1; sampled += 1 }
            }
            let half = sampled / 2
            var acc: Int32 = 0
            for bin in 0..<hist.count {
                acc += hist[bin]
                if acc > half { return UInt16(bin << 4 | 8) }
            }
            return 0
        }
    }

    /// Applies the quality gates to each matched detection, keeps the readings of good frames
    /// (where people step up, only of frames in which they stand still), and decides from the
    /// best of them once `decisionWindowS` has passed since the first (`end`: or when they leave).
    private func judge(offsetK: Double, paused: Bool, timeS: Double, index: Int, emit: (Event) -> Void) {
        let w = upright.width
        for (di, d) in detections.enumerated() {
            let ti = tracker.assignment[di]
            // A piece of an older person's face or body is never judged on its own.
            if tracker.tracks[ti].fragmentOf != nil { continue }
            var reason: ReasonCode?
            let canthus = d.canthusC + offsetK
            let motion = tracker.tracks[ti].motion(over: config.settleWindowS)
            if d.faceWidth < config.minFaceWidthPx { reason = .tooFar }
            else if Double(d.faceWidth) > config.maxFaceFraction * Double(w) { reason = .tooClose }
            else if d.touchesEdge { reason = .edge }
            else if tracker.tracks[ti].framesSeen > 1 && tracker.tracks[ti].speedFaceWidthsPerS > config.maxSpeedFaceWidthsPerS { reason = .motion }
            else if paused { reason = lastStatus?.reasons.first.flatMap(ReasonCode.init(rawValue:)) ?? .paused }
            let still = motion.map { $0.speed <= config.settledSpeedFaceWidthsPerS && $0.growth <= config.settledGrowthPerS }
            // Where people step up to be screened, only someone who stops is measured: a frame
            // in which they move is a `passing` one, and a frame before the track spans
            // `settleWindowS` is neither good nor a rejection.
            if stepUp && reason == nil && still == false { reason = .passing }
            // Readings and gate counts serve the decision; once it is made they are not kept.
            if !tracker.tracks[ti].decided && (!stepUp || reason != nil || still != nil) {
                let still = still ?? false
                tracker.modify(ti) { t in
                    if let reason {
                        t.reasonCounts[reason.rawValue, default: 0] += 1
                    } else {
                        t.keep(Sample(canthusC: canthus, raw: d.raw, width: d.faceWidth, glasses: d.glasses, still: still, balance: d.skinBalance, sideContrastK: d.sideContrastK, reliefK: d.canthusReliefK))
                        if t.firstSampleS == nil { t.firstSampleS = timeS }
                    }
                }
            }
            let t = tracker.tracks[ti]
            if !t.decided && reason == nil && !t.samples.isEmpty {
                // The running estimate's level, judged every good frame (hysteresis).
                let estimate = policy.bodyTemperature(canthusC: bestCanthus(t), ambientC: ambientC)
                tracker.modify(ti) { $0.level = policy.level(temperatureC: estimate, previous: $0.level) }
            }
            if !t.decided && t.samples.count >= config.framesForDecision, let first = t.firstSampleS, timeS - first >= config.decisionWindowS {
                let best = bestReading(t)
                // Turned away in most good frames: perhaps turning to the camera as they step up
                // (people turn over a second or two, and a face judged in profile is not measured
                // at all). Watched for up to twice the window more, for frames that face it,
                // before being judged — unless this frame is no good one (they move, walk off,
                // reach the edge): then they are going, and are judged now.
                let turningToward = reason == nil && best.turnedAway(config)
                    && timeS - first < 3 * config.decisionWindowS
                if !turningToward {
                    let returning = stepUp ? tracker.returning(t, width: best.width) : nil
                    tracker.modify(ti) { decide(&$0, best: best, returning: returning, index: index, timeS: timeS, emit: emit) }
                }
            }
            let counted = tracker.tracks[ti]
            if let line = config.countingLine, !counted.counted, counted.framesSeen >= config.minTrackFrames,
               let direction = crossing(line, from: (counted.startX, counted.startY), to: (counted.x, counted.y)) {
                tracker.modify(ti) { $0.counted = true }
                report(Event(source: sourceName, frame: index, timeS: timeS, body: .count(track: counted.id, direction: direction)), about: counted, emit)
            }
        }
    }

    /// What a decision reads from a person's best frames (`rankSamples`): the median canthus,
    /// raw count and canthus relief, how many frames, whether glasses were seen in at least a
    /// third of them (a face cut at the lenses loses them in some frames) and their median face
    /// width; and the median skin balance and side contrast of all the good frames kept (a face
    /// turned a little in its largest frames is still a face turned to the camera).
    struct Reading {
        var canthusC: Double, raw: Double, frames: Int, glasses: Bool, width: Int, balance: Double, sideContrastK: Double, reliefK: Double

        /// In profile: skin on one side of the face's middle, hair (too cold to be part of the
        /// region, or part of it but kelvins cooler than the cheek) on the other.
        func turnedAway(_ config: ScreeningConfig) -> Bool {
            balance < config.minFacingBalance || cheekBesideHair(config)
        }

        /// One side of the face's middle kelvins warmer than the other: a cheek beside hair
        /// warm enough to be part of the region.
        func cheekBesideHair(_ config: ScreeningConfig) -> Bool {
            sideContrastK > config.maxFacingSideContrastK
        }
    }

    /// Puts the track's samples in `bestScratch`, best first, and returns the best ones' range:
    /// the `bestFrames` best of the good frames — still frames first, then the largest faces. A
    /// face more than 1.2 times as wide as the median is not the face but the face joined for a
    /// moment to something warm beside or above it (a lamp, a pipe, a raised hand), and is left
    /// out. No allocation (insertion sorts of a scratch copy of at most `Track.maxSamples`).
    private func rankSamples(_ t: Track) -> Range<Int> {
        bestScratch.removeAll(keepingCapacity: true)
        bestScratch.append(contentsOf: t.samples)
        for i in bestScratch.indices.dropFirst() {
            let x = bestScratch[i]
            var j = i
            while j > 0 && bestScratch[j - 1].width < x.width { bestScratch[j] = bestScratch[j - 1]; j -= 1 }
            bestScratch[j] = x
        }
        let medianWidth = Double(bestScratch[bestScratch.count / 2].width)
        var first = 0
        while Double(bestScratch[first].width) > 1.2 * medianWidth { first += 1 }
        // Still frames first, each part still largest first (a stable insertion sort).
        for i in (first + 1)..<max(first + 1, bestScratch.count) {
            let x = bestScratch[i]
            var j = i
            while j > first && x.still && !bestScratch[j - 1].still { bestScratch[j] = bestScratch[j - 1]; j -= 1 }
            bestScratch[j] = x
        }
        return first..<(first + min(bestScratch.count - first, max(config.framesForDecision, config.bestFrames)))
    }

    /// The median canthus of the best frames: the running estimate, every good frame.
    private func bestCanthus(_ t: Track) -> Double { medianCanthus(rankSamples(t)) }

    /// The median canthus of `bestScratch[best]`.
    private func medianCanthus(_ best: Range<Int>) -> Double {
        medianScratch.removeAll(keepingCapacity: true)
        for i in best { medianScratch.append(bestScratch[i].canthusC) }
        return medianOfScratch()
    }

    /// Everything a decision reads (`Reading`), once per person.
    private func bestReading(_ t: Track) -> Reading {
        let best = rankSamples(t)
        let canthus = medianCanthus(best)
        medianScratch.removeAll(keepingCapacity: true)
        for i in best { medianScratch.append(bestScratch[i].raw) }
        let raw = medianOfScratch()
        medianScratch.removeAll(keepingCapacity: true)
        for i in best { medianScratch.append(bestScratch[i].reliefK) }
        let relief = medianOfScratch()
        let glasses = best.reduce(0) { $0 + (bestScratch[$1].glasses ? 1 : 0) }
        medianScratch.removeAll(keepingCapacity: true)
        for sample in bestScratch { medianScratch.append(sample.balance) }
        let balance = medianOfScratch()
        medianScratch.removeAll(keepingCapacity: true)
        for sample in bestScratch { medianScratch.append(sample.sideContrastK) }
        return Reading(canthusC: canthus, raw: raw, frames: best.count, glasses: glasses * 3 >= best.count,
                       width: bestScratch[best.lowerBound + best.count / 2].width, balance: balance,
                       sideContrastK: medianOfScratch(), reliefK: relief)
    }

    private var bestScratch: [Sample] = []

    /// Decides a track from its `best` frames: nothing when it is a decided person `returning`
    /// (`Tracker.returning`; only where people step up one at a time: at a walk-through gate
    /// the next person often appears where the last one left); `not_facing` when in profile;
    /// a `cold` rejection when the canthus reads below any healthy person's (through glasses,
    /// the forehead: `coldForeheadC`) — either one, for something that has not moved since it
    /// appeared, kept until its track ends (`Track.pendingRejection`, `end`); else a decision.
    private func decide(_ t: inout Track, best: Reading, returning: Int?, index: Int, timeS: Double, emit: (Event) -> Void) {
        t.decided = true
        t.decidedWidth = best.width
        // The same person back after a moment out of view: screened and counted already.
        if let id = returning {
            t.continues = id
            t.counted = true
            return
        }
        // Turned away from the camera (in profile): seen and counted, not measured. Too cold
        // for anyone healthy: just in from the cold. Either may be a warm object (a plate, a
        // fixture, a radiator) if it has not moved since it appeared: said only when its track
        // ends and it has proved to be no object.
        // Read below any healthy person's canthus, a face is one in from the cold (or behind
        // glasses) only if its warmest skin stands out of the rest (the canthus, more so than
        // indoors: the cheeks and nose chill first; behind glasses, the brow and the skin beside
        // the lenses); a lukewarm surface whose warmest pixels do not (a kiosk's plate, a
        // housing, a jacket) is no face turned to the camera.
        let lukewarm = best.canthusC < config.coldCanthusC && best.reliefK < config.minColdReliefK
        let rejection: ReasonCode? = best.turnedAway(config) || lukewarm ? .notFacing
            : best.canthusC < (best.glasses ? config.coldForeheadC : config.coldCanthusC) ? .cold : nil
        // A head in profile whose cheek stands kelvins above its hair, its warmest skin out of
        // the rest, is two surfaces, skin and hair: a person standing aside, however still, where
        // a fixture is one surface (the still, lopsided things on the dev set's fs-1216 kiosks
        // balance 0.57–0.58 but differ side to side by 0.3 K).
        let headInProfile = best.cheekBesideHair(config) && best.reliefK >= config.minColdReliefK
        if let rejection {
            if neverArrived(t) && !headInProfile { t.pendingRejection = rejection }
            else { report(Event(source: sourceName, frame: index, timeS: timeS, body: .rejected(track: t.id, reasons: [rejection.rawValue], distanceM: distance(t))), about: t, emit) }
            return
        }
        var decision = policy.decide(track: t.id, canthusC: best.canthusC, ambientC: ambientC, raw: Int(best.raw.rounded()),
                                     frames: best.frames, reasons: best.glasses ? [ReasonCode.glasses.rawValue] : [], previous: t.level)
        // A face only ever seen partly hidden (`Detection.partlyHidden`) tells no distance.
        decision.distanceM = t.maxFaceWidth > 0 ? geometry?.distanceM(faceWidthPx: best.width, faceWidthM: config.faceWidthM) : nil
        report(Event(source: sourceName, frame: index, timeS: timeS, body: .decision(decision)), about: t, emit)
    }

    private var medianScratch: [Double] = []

    /// How far `t` stood at its closest (m), when the camera's field of view is known and its
    /// face was seen whole.
    private func distance(_ t: Track) -> Double? {
        t.maxFaceWidth > 0 ? geometry?.distanceM(faceWidthPx: t.maxFaceWidth, faceWidthM: config.faceWidthM) : nil
    }

    /// Median of `medianScratch` (sorted in place by insertion: at most `Track.maxSamples`
    /// values, and the standard sort may allocate a merge buffer above 20).
    private func medianOfScratch() -> Double {
        for i in medianScratch.indices.dropFirst() {
            let x = medianScratch[i]
            var j = i
            while j > 0 && medianScratch[j - 1] > x { medianScratch[j] = medianScratch[j - 1]; j -= 1 }
            medianScratch[j] = x
        }
        let n = medianScratch.count
        return n % 2 == 1 ? medianScratch[n / 2] : (medianScratch[n / 2 - 1] + medianScratch[n / 2]) / 2
    }

    private func crossing(_ line: CountingLine, from a: (Double, Double), to b: (Double, Double)) -> CountDirection? {
        let (p0, p1, limit) = line.axis == .vertical
            ? (a.0, b.0, line.position * Double(upright.width))
            : (a.1, b.1, line.position * Double(upright.height))
        guard (p0 < limit) != (p1 < limit) else { return nil }
        return (p1 > p0) == line.inTowardsPositive ? .in : .out
    }

    /// Whether `t` stayed where it appeared, within `staticObjectPx` or a third of its widest
    /// face (its box trembles as the region's edge comes and goes): it did not walk in. A face
    /// does not halve or double its width from one sighting to the next; where the track's did,
    /// it hopped (from a passer-by's speck onto a lukewarm fixture beside the disc), and what
    /// walked in before was not this: it is judged from its last such hop.
    private func neverArrived(_ t: Track) -> Bool {
        guard !config.singleFrame else { return false }
        let path = t.trajectory
        var from = 0
        for i in path.indices.dropFirst() where !likeSized(path[i].width, path[i - 1].width) { from = i }
        let p = path[from]
        let reach = max(config.staticObjectPx, Double(path[from...].reduce(0) { max($0, $1.width) }) / 3)
        return path[from...].allSatisfy { (($0.x - p.x) * ($0.x - p.x) + ($0.y - p.y) * ($0.y - p.y)).squareRoot() <= reach }
    }

    private func end(_ t: Track, index: Int, timeS: Double, emit: (Event) -> Void) {
        guard t.framesSeen >= config.minTrackFrames, t.fragmentOf == nil else { return }
        // Something that stayed put for its whole time in view (a radiator, a lamp, a warm
        // housing) is an object, not a person: neither decided, rejected nor counted. A face of
        // a size to measure must stay put `staticObjectS` for that; something always too small
        // to measure (a warm spot, never a face) need not.
        let neverMeasurable = t.samples.isEmpty && t.reasonCounts.count == 1 && t.reasonCounts[ReasonCode.tooFar.rawValue] != nil
        if !t.decided && !config.singleFrame && t.maxDisplacementPx <= config.staticObjectPx
            && (neverMeasurable || t.lastTimeS - t.firstTimeS >= config.staticObjectS) { return }
        var t = t
        // Left before `decisionWindowS` was over, with enough good frames: decided now.
        if !t.decided && t.samples.count >= config.framesForDecision {
            let best = bestReading(t)
            decide(&t, best: best, returning: stepUp ? tracker.returning(t, width: best.width) : nil, index: index, timeS: timeS, emit: emit)
        }
        tracker.depart(t)
        // The same person back for a moment: screened and counted already.
        if t.continues != nil { endedTracks.append(t); return }
        // Rejected and never arrived: a fixture (a lukewarm housing or plate), whatever its time in view.
        if let rejection = t.pendingRejection {
            if neverArrived(t) { return }
            report(Event(source: sourceName, frame: index, timeS: timeS, body: .rejected(track: t.id, reasons: [rejection.rawValue], distanceM: distance(t))), about: t, emit)
        }
        if !t.decided {
            var reasons = t.reasonCounts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map(\.key)
            if !t.samples.isEmpty || reasons.isEmpty { reasons.append(ReasonCode.tooFewFrames.rawValue) }
            report(Event(source: sourceName, frame: index, timeS: timeS, body: .rejected(track: t.id, reasons: reasons, distanceM: distance(t))), about: t, emit)
        }
        if config.countingLine == nil {
            report(Event(source: sourceName, frame: index, timeS: timeS, body: .count(track: t.id, direction: .pass)), about: t, emit)
        }
        endedTracks.append(t)
    }

    /// Emits an event about the person followed by `t`, with `subject` set meanwhile.
    private func report(_ event: Event, about t: Track, _ emit: (Event) -> Void) {
        subject = t
        emit(event)
        subject = nil
    }
}
