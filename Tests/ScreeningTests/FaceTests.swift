import Capture
import Radiometry
@testable import Screening
import Testing

/// The face measurer and the screener on drawn shapes: a head's crown fills the top of its box,
/// a warm chair's posts do not; a far person is a small head on a body, a speck is not.
@Suite struct FaceTests {
    static let w = 64, h = 64
    static let table = CountTable(model: .leptonTLinearHigh)
    static func count(_ c: Double) -> UInt16 { UInt16((c + 273.15) * 100) }

    /// 22 °C background, `warm` pixels at 34 °C.
    static func frame(_ warm: (Int, Int) -> Bool) -> [UInt16] {
        var px = [UInt16](repeating: count(22), count: w * h)
        for y in 0..<h { for x in 0..<w where warm(x, y) { px[y * w + x] = count(34) } }
        return px
    }

    static func head(_ x: Int, _ y: Int) -> Bool {
        let dx = Double(x - 32) / 10.5, dy = Double(y - 30) / 13.5
        return dx * dx + dy * dy <= 1
    }

    /// A 24 px seat, 8 rows deep, with 3 px posts at both ends rising 16 rows above it.
    static func chair(_ x: Int, _ y: Int) -> Bool {
        let seat = (20...43).contains(x) && (30...37).contains(y)
        let posts = ((20...22).contains(x) || (41...43).contains(x)) && (14...29).contains(y)
        return seat || posts
    }

    func measured(_ px: [UInt16], core: Bool = false, mount: Box? = nil) -> Detection {
        var labeler = BlobLabeler(width: Self.w, height: Self.h)
        var grouper = FaceGrouper(maxLabels: BlobLabeler.labelBound(width: Self.w, height: Self.h))
        var faces = FaceMeasurer()
        px.withUnsafeBufferPointer { labeler.label($0, threshold: Self.count(30)) }
        grouper.group(labeler, minPieceArea: 6)
        let region = grouper.regions.max { $0.area < $1.area }!
        return px.withUnsafeBufferPointer { p in
            labeler.withRuns { runs in
                grouper.group.withUnsafeBufferPointer { group in
                    faces.measure(blob: region, runs: runs, group: group, pixels: p, width: Self.w, height: Self.h,
                                  table: Self.table, k: 16, band: 0.3, core: core, mount: mount)
                }
            }
        }
    }

    @Test func aHeadsCrownFillsTheTopOfItsBox() {
        let d = measured(Self.frame(Self.head))
        #expect(d.faceWidth == 21 && !d.touchesEdge)
        // An ellipse fills 69 % of the top third of its box (fewer on a pixel grid this small).
        #expect((0.6...0.75).contains(d.crownFill), "\(d.crownFill)")
    }

    /// A face found as a hot core (the frame labelled again a few kelvin above the skin
    /// threshold) is a level cut through the warm dome of a face: its top is the dome's tip, a
    /// pixel or two wide (the seated audience's head above a raised arm, 34 °C). A blob's
    /// height cap (1.3 × its width so far) judged on that tip would end the head two rows down;
    /// for a core it counts once the rows are 3 px wide.
    @Test func aCoresTipIsNotItsHead() {
        let px = Self.frame { x, y in
            if (20...21).contains(y) { return x == 32 }                       // the tip
            let dx = Double(x - 32) / 5.5, dy = Double(y - 27) / 6.5
            return dx * dx + dy * dy <= 1 && y >= 22                          // the dome
                || (y - 30...y - 28).contains(x - 6) && (30...40).contains(y)  // a raised arm joining it
        }
        let blob = measured(px)
        #expect(blob.faceWidth == 1 && blob.faceHeight == 2, "\(blob)")
        let core = measured(px, core: true)
        #expect(core.faceWidth >= 9 && core.faceHeight >= 9 && core.minY == 20, "\(core)")
    }

    @Test func aChairsPostsAreNoCrown() {
        let d = measured(Self.frame(Self.chair))
        #expect(d.faceWidth == 24 && !d.touchesEdge)
        #expect(d.crownFill < 0.4, "\(d.crownFill)")
    }

    /// Ten frames at 9 fps of a far person walking right (a 9 px head on a clothed body, too small
    /// to measure) and a warm 6 px speck with nothing beneath it (a hand on a counter).
    @Test func aFarPersonIsRejectedTooFarAndASpeckIsNoOne() {
        let header = RecordingHeader(camera: CameraDescription(model: "drawn", serial: "0", width: Self.w, height: Self.h,
                                                               fps: 9, hfovDeg: 57),
                                     radiometry: .leptonTLinearHigh, origin: "FaceTests")
        let screener = Screener(header: header, config: ScreeningConfig(), sourceName: "drawn")
        var events: [Event] = []
        for i in 0..<10 {
            let cx = 10 + 2 * i
            var px = Self.frame { x, y in
                let dx = Double(x - cx) / 4.5, dy = Double(y - 12) / 5.5
                let speck = (50...55).contains(x) && (56...61).contains(y)
                return dx * dx + dy * dy <= 1 || speck
            }
            // Clothing 1.5 K above the room from the shoulders down.
            for y in 19..<Self.h { for x in (cx - 8)...(cx + 8) { px[y * Self.w + x] = Self.count(23.5) } }
            let frame = Frame(width: Self.w, height: Self.h, pixels: px, timestampNs: UInt64(i) * 111_111_111)
            screener.process(frame, index: i) { events.append($0) }
        }
        screener.finish { events.append($0) }
        let people = events.filter { if case .status = $0.body { false } else { true } }
        #expect(people.map(\.json).count == 2, "\(people.map(\.json))")
        #expect(people.contains { if case .rejected(_, let r, _) = $0.body { r == ["too_far"] } else { false } }, "\(people.map(\.json))")
        #expect(people.contains { if case .count = $0.body { true } else { false } })
    }

    /// Cold glasses over a face whose lower half is barely warm: the forehead is a wide region,
    /// and the only warm piece below (nose and mouth) starts 16 rows under it, past the glasses
    /// and the cool cheeks. It is one face, half a forehead width down, so the forehead is not
    /// dropped as a wide, flat region.
    @Test func aForeheadAndTheMouthFarBelowItAreOneFace() {
        let d = measured(Self.frame { x, y in
            let forehead = (20...54).contains(x) && (8...26).contains(y) && !(y == 8 && (x < 26 || x > 48))
            let mouth = (31...42).contains(x) && (43...56).contains(y)
            return forehead || mouth
        })
        #expect(d.faceWidth == 35 && d.faceHeight > d.faceWidth, "\(d)")
        #expect(d.glasses)
    }

    /// Glasses and a mask: the mask ends the face box just below the eyes, so the eye band is
    /// found by the head's width, not by the box's height, and the glasses are still flagged.
    @Test func glassesAboveAMaskAreFlagged() {
        let d = measured(Self.frame { x, y in
            guard Self.head(x, y) else { return false }
            let rel = Double(y - 17) / 27                        // 0 at the crown, 1 at the chin
            if rel >= 0.62 { return false }                      // the mask
            return !(rel >= 0.32 && rel <= 0.52 && abs(x - 32) <= 8)   // the glasses
        })
        #expect(d.faceHeight < d.faceWidth + 4, "the box ends at the mask: \(d)")
        #expect(d.glasses, "\(d)")
    }

    /// Glasses on a face whose region starts at the hairline (hair reads cold) with a short
    /// forehead: the lenses sit a quarter of the face's width below its top. A band starting at
    /// 0.3 widths caught only their lower rims (the generated wearers' flag flickered frame to
    /// frame); from 0.25 it holds them.
    @Test func glassesHighOnAShortForeheadAreFlagged() {
        let d = measured(Self.frame { x, y in
            guard Self.head(x, y) else { return false }
            let lens = (20...24).contains(y) && ((24...30).contains(x) || (34...40).contains(x))
            return !lens
        })
        #expect(d.minY == 17 && d.faceWidth == 21, "\(d)")
        #expect(d.glasses, "\(d)")
    }

    /// Cold glasses cut a face across the eyes: the forehead above, the cheeks below — and
    /// below them warm clothing joined to the cheeks, wider than the forehead. The lower piece
    /// is part of the face when it is no wider than the forehead where they meet (its first
    /// rows, as many as the forehead is tall); judged on its whole box (shoulders and all) it
    /// was not, and the face was measured from the cheeks down (testr's wearer, the generated
    /// sunglasses wearers).
    @Test func aFaceCutByGlassesOverWarmClothesIsOneFace() {
        let d = measured(Self.frame { x, y in
            let forehead = (12...20).contains(y) && (22...41).contains(x)
            let cheeks = (25...40).contains(y) && (22...41).contains(x)
            let clothes = (41...63).contains(y) && (12...51).contains(x)
            return forehead || cheeks || clothes
        })
        #expect(d.minY == 12 && d.faceWidth == 20, "\(d)")
        #expect(d.glasses, "\(d)")
    }

    /// Dark lenses leave of the forehead a strip (4 rows of 19 px) that ends at the brow; the
    /// cheeks below begin at the temples beside the lenses, a pixel wider either side: one face,
    /// measured from the forehead, with the flag (the generated sunglasses wearers; with the
    /// cheeks alone the box flipped frame to frame and the flag was lost).
    @Test func aForeheadStripAboveDarkLensesJoinsTheWiderCheeks() {
        let d = measured(Self.frame { x, y in
            let forehead = (12...15).contains(y) && (23...41).contains(x)
            let cheeks = (22...40).contains(y) && (22...42).contains(x)
            let clothes = (41...63).contains(y) && (12...52).contains(x)
            return forehead || cheeks || clothes
        })
        #expect(d.minY == 12, "\(d)")
        #expect(d.glasses, "\(d)")
    }

    /// The people (decisions and rejections) canthus reports in one drawn frame, screened as a
    /// still (`forStills`) or as the first frame of a video; `c(x, y)` is each pixel's °C.
    func people(_ c: (Int, Int) -> Double, still: Bool) -> [String] { people(moving: { _, x, y in c(x, y) }, still: still) }

    /// The same for a drawn video of `frames` frames at 9 fps, `c(frame, x, y)` each pixel's °C.
    func people(moving c: (Int, Int, Int) -> Double, still: Bool = false, frames: Int = 9) -> [String] {
        let header = RecordingHeader(camera: CameraDescription(model: "drawn", serial: "0", width: Self.w, height: Self.h,
                                                               fps: 9, hfovDeg: 57),
                                     radiometry: .leptonTLinearHigh, origin: "FaceTests")
        let screener = Screener(header: header, config: still ? ScreeningConfig().forStills() : ScreeningConfig(), sourceName: "drawn")
        var px = [UInt16](repeating: 0, count: Self.w * Self.h)
        var events: [Event] = []
        // A video's rules need a person seen in a few frames: a second long unless told.
        for i in 0..<(still ? 1 : frames) {
            for y in 0..<Self.h { for x in 0..<Self.w { px[y * Self.w + x] = Self.count(c(i, x, y)) } }
            screener.process(Frame(width: Self.w, height: Self.h, pixels: px, timestampNs: UInt64(i) * 111_111_111), index: i) { events.append($0) }
        }
        screener.finish { events.append($0) }
        return events.compactMap { e in
            switch e.body {
            case .decision(let d): "decision \(d.track)"
            case .rejected(let t, let r, _): "rejected \(t) \(r.joined(separator: ","))"
            default: nil
            }
        }
    }

    /// A drawn video: a face (an ellipse 21 × 27 px, `face(x, y, centre x)` its pixels' °C) over
    /// clothing walks in from the left for `steps` frames, 2 px a frame from `from`, and stands
    /// (with no steps: stands where it is first seen); one flickering background pixel so that
    /// no frame repeats.
    static func walksInAndStands(from: Int = 14, steps: Int = 6, _ face: @escaping (Int, Int, Int) -> Double) -> (Int, Int, Int) -> Double {
        { i, x, y in
            if x == 0 && y == i % h { return 22.5 }
            let cx = from + 2 * min(i, steps)
            let dx = Double(x - cx) / 10.5, dy = Double(y - 30) / 13.5
            if dx * dx + dy * dy <= 1 { return face(x, y, cx) }
            return y >= 44 && (cx - 10...cx + 12).contains(x) ? 23.5 : 22  // clothing below
        }
    }

    /// A face in profile shows skin on the side it faces: a half-ellipse of skin, its flat side
    /// where the hair begins. Someone who walks in so is seen and counted, `not_facing`; the same
    /// shape that never moves from where it appeared is a fixture (the kiosks' lukewarm housing
    /// beside the disc reads so), and is no one.
    @Test func aLopsidedShapeThatNeverMovedIsNoOne() {
        func profile(at cx: Int) -> (Int, Int) -> Double {
            { x, y in
                let dx = Double(x - cx) / 22, dy = Double(y - 30) / 14
                if x >= cx && dx * dx + dy * dy <= 1 { return 34 }
                return y >= 44 && (cx - 4...cx + 18).contains(x) ? 23.5 : 22   // clothing below
            }
        }
        let walking = people(moving: { i, x, y in profile(at: 14 + 2 * i)(x, y) })
        #expect(walking == ["rejected 1 not_facing"], "\(walking)")
        // (A frame identical to the last is a frozen sensor, and is not screened: one pixel
        // of the room flickers.)
        let fixture = people(moving: { i, x, y in x == 0 && y == i ? 22.5 : profile(at: 22)(x, y) })
        #expect(fixture.isEmpty, "\(fixture)")
    }

    /// In a warm room hair reads warm enough to be part of a head's region: a head in profile is
    /// then as wide on both sides of its middle as a face turned to the camera, but one side is
    /// its cheek and the other its hair, kelvins cooler. Seen and counted, `not_facing`, whether
    /// they walked in or stood there from the start (their warmest skin stands out of the rest,
    /// and skin and hair are two surfaces: no fixture); the same head turned to the camera is
    /// decided.
    @Test func aHeadInProfileWithWarmHairIsTurnedAway() {
        func head(profile: Bool) -> (Int, Int, Int) -> Double {
            { x, y, cx in
                if abs(y - 28) <= 1 && (profile ? abs(x - cx) <= 1 : (2...3).contains(abs(x - cx))) { return 34.8 }  // ear, or canthi
                return profile && x < cx - 1 ? 31 : 34                                                    // hair behind the cheek
            }
        }
        #expect(people(moving: Self.walksInAndStands(head(profile: false)), frames: 27) == ["decision 1"])
        #expect(people(moving: Self.walksInAndStands(head(profile: true)), frames: 27) == ["rejected 1 not_facing"])
        // Standing turned away where they were first seen, for five seconds: judged once the
        // wait for a turn to the camera is over.
        let standing = people(moving: Self.walksInAndStands(from: 26, steps: 0, head(profile: true)), frames: 45)
        #expect(standing == ["rejected 1 not_facing"], "\(standing)")
    }

    /// The reference's mount is part of the kiosk, in front of anyone at it. Found around the
    /// disc (the box of the pixels that read like the disc's ring, out along its row and
    /// column), it tells the face measurer which skin is hidden rather than missing: a face
    /// standing partly behind it, its lower right cut off by the mount's edge, balances side to
    /// side as a face turned to the camera does, where the same pixels without the mount known
    /// look like a face in profile (less skin on one side). (The face is drawn squarish, as
    /// wide at the brow as at the cheeks, so that its rows above the mount give its width.) A
    /// ring that reads like the room, or like what lies further than 5 radii out, is no mount.
    @Test func aFacePartlyBehindTheReferencesMountIsNotLopsided() throws {
        let disc = (x: 40, y: 36, r: 4)
        func frame(mountK: Double, halfWidth: Int = 12) -> [UInt16] {
            var px = [UInt16](repeating: 0, count: Self.w * Self.h)
            for y in 0..<Self.h {
                for x in 0..<Self.w {
                    let dx = x - disc.x, dy = y - disc.y
                    let fx = Double(x - 26) / 10.5, fy = Double(y - 30) / 13.5
                    let c = dx * dx + dy * dy <= disc.r * disc.r ? 35
                        : abs(dx) <= halfWidth && abs(dy) <= 12 ? 22 + mountK
                        : fx * fx * fx * fx + fy * fy * fy * fy <= 1 ? 34 : 22
                    px[y * Self.w + x] = Self.count(c)
                }
            }
            return px
        }
        func mount(_ px: [UInt16]) -> Box? {
            var reference = ReferenceMonitor(source: ReferenceSource(radiusPx: Double(disc.r), setTemperatureC: 35), rotation: .none,
                                             sensorWidth: Self.w, sensorHeight: Self.h, config: ReferenceConfig())
            for i in 0..<20 {
                px.withUnsafeBufferPointer {
                    _ = reference.update($0, table: Self.table, timeS: Double(i) / 9, shutter: false)
                    reference.observeMount($0, table: Self.table, backgroundC: 22, timeS: Double(i) / 9)   // the frame's median
                }
            }
            #expect(reference.locked)
            return reference.mount
        }
        let px = frame(mountK: 2.5)
        let found = try #require(mount(px))
        #expect(found == Box(minX: 28, minY: 24, maxX: 52, maxY: 48), "\(found)")
        let behind = measured(px, mount: found).skinBalance, lopsided = measured(px).skinBalance
        #expect(behind > 0.9 && lopsided < 0.75, "balance \(behind) with the mount, \(lopsided) without")
        #expect(mount(frame(mountK: 0.8)) == nil)                 // within 1 K of the room
        #expect(mount(frame(mountK: 2.5, halfWidth: 30)) == nil)  // a shelf, no housing: reaches past 5 radii
    }

    /// Someone who steps up turned away and turns to the camera as the decision falls due (a
    /// second after their first good frame) is watched a little longer, and decided from the
    /// frames that face it; someone who stays turned away is `not_facing`.
    @Test func aPersonTurningToTheCameraIsWaitedFor() {
        func person(turnsAt turn: Int) -> (Int, Int, Int) -> Double {
            { i, x, y in
                if x == 0 && y == i % Self.h { return 22.5 }                   // a flickering pixel: no frame repeats
                let cx = 14 + 2 * min(i, 6)                                    // walks in, then stands
                let dx = Double(x - cx) / (i >= turn ? 10.5 : 20), dy = Double(y - 30) / 13.5
                if (i >= turn || x >= cx) && dx * dx + dy * dy <= 1 { return 34 }   // frontal, or the half it faces
                return y >= 44 && (cx - 10...cx + 12).contains(x) ? 23.5 : 22  // clothing below
            }
        }
        #expect(people(moving: person(turnsAt: 6), frames: 27) == ["decision 1"])
        #expect(people(moving: person(turnsAt: 99), frames: 27) == ["rejected 1 not_facing"])
    }

    /// Read below any healthy person's canthus, a face in from the cold still shows its inner
    /// canthi standing out of its chilled skin: `cold`. A lukewarm surface of the same reading
    /// whose warmest pixels stand no higher than the rest (a kiosk's plate, a housing) is no
    /// face turned to the camera: `not_facing`.
    @Test func aColdFaceShowsItsCanthusALukewarmSurfaceDoesNot() {
        func scene(canthi: Bool) -> (Int, Int, Int) -> Double {
            Self.walksInAndStands { x, y, cx in
                if canthi && abs(y - 27) <= 1 && (2...3).contains(abs(x - cx)) { return 33.2 }
                return canthi ? 31.8 : 33.2
            }
        }
        #expect(people(moving: scene(canthi: true), frames: 27) == ["rejected 1 cold"])
        #expect(people(moving: scene(canthi: false), frames: 27) == ["rejected 1 not_facing"])
    }

    /// Behind glasses the canthus is hidden, but a face still shows warmer skin than the rest
    /// beside the lenses (the brow, the bridge of the nose): a wearer read below any healthy
    /// person's canthus, within the glasses' allowance, is decided with `glasses`. A lukewarm
    /// jacket with a cold band across it, read the same, shows nothing warmer than the rest
    /// (kiosk 814675: 0.52 K against real wearers' 0.8–1.05 K): `not_facing`.
    @Test func behindGlassesAFaceShowsWarmSkinAJacketDoesNot() {
        func scene(warmBrow: Bool) -> (Int, Int, Int) -> Double {
            Self.walksInAndStands { x, y, cx in
                if (25...30).contains(y) && abs(x - cx) <= 8 { return 24 }      // the lenses and their frame
                if warmBrow && [23, 24, 31, 32].contains(y) && abs(x - cx) <= 2 { return 33.3 }
                return warmBrow ? 32.2 : 33.3
            }
        }
        #expect(people(moving: scene(warmBrow: true), frames: 27) == ["decision 1"])   // glasses: without them, 33.3 °C is `cold`
        #expect(people(moving: scene(warmBrow: false), frames: 27) == ["rejected 1 not_facing"])
    }

    /// Someone standing in front of another, their hair (a few kelvin above the room) joining
    /// their face to the head behind: the face is as wide as that head, taller than wide and as
    /// warm, so it is a face, not a hand hanging below a head. A hand in the same place —
    /// narrower and kelvins cooler — is no one.
    @Test func aFaceBelowAHeadIsNotAHand() {
        func scene(front: @escaping (Int, Int) -> Double?) -> (Int, Int) -> Double {
            { x, y in
                let dx = Double(x - 32) / 6.5, dy = Double(y - 9) / 8.5
                if dx * dx + dy * dy <= 1 { return 33 }                       // the head behind
                if let c = front(x, y) { return c }
                if (18...23).contains(y) && (25...39).contains(x) { return 26 }  // hair
                if y >= 18 && (20...44).contains(x) { return 23.5 }           // clothing
                return 22
            }
        }
        let face = people(scene { x, y in
            let dx = Double(x - 32) / 7.5, dy = Double(y - 33) / 9.5
            return dx * dx + dy * dy <= 1 ? 34 : nil
        }, still: true)
        #expect(face.count == 2, "the head behind and the face in front: \(face)")
        let hand = people(scene { x, y in
            let dx = Double(x - 32) / 3.5, dy = Double(y - 33) / 5.5
            return dx * dx + dy * dy <= 1 ? 31 : nil
        }, still: true)
        #expect(hand.count == 1, "the head only: \(hand)")
    }

    /// In a still of a seated crowd, the strip of a face that shows past the side of the face in
    /// front, joined to it by skin 2 K cooler than both (the saddle), is someone of their own
    /// (`Screener.headBehind`); the same strip 1.9 K below the front face's canthus — an ear's
    /// warmth — is part of that face.
    @Test func aHeadBehindPastAFacesSideIsSomeone() {
        func scene(strip: Double) -> (Int, Int) -> Double {
            { x, y in
                let dx = Double(x - 37) / 6.5, dy = Double(y - 26) / 8.5
                let nx = Double(x - 54) / 4.5, ny = Double(y - 20) / 6.5
                if dx * dx + dy * dy <= 1 { return [22, 23].contains(y) && [34, 35, 39, 40].contains(x) ? 35.5 : 34.5 }
                if nx * nx + ny * ny <= 1 { return 34.3 }                            // a neighbour
                if (27...29).contains(x) && (18...31).contains(y) { return strip }   // what shows of the head behind
                if (30...37).contains(x) && (18...31).contains(y) { return 32.8 }    // the saddle
                if (26..<34).contains(y) && (52...56).contains(x) { return 31 }      // the neighbour's neck
                if (34...58).contains(y) && (12...58).contains(x) { return 31 }      // warm clothing
                return 22
            }
        }
        let behind = people(scene(strip: 34.8), still: true)
        #expect(behind.count == 3, "the face in front, the head behind it, the neighbour: \(behind)")
        let ear = people(scene(strip: 33.6), still: true)
        #expect(ear.count == 2, "the face in front and the neighbour: \(ear)")
    }

    /// In a still (no time to tell a piece from a person by which came first): a small piece
    /// beyond a post in front of a face is part of that face, and a sliver the frame's edge cuts
    /// is no one; a head tilted so that its crown is one warm piece on one side is a head.
    @Test func aStillTellsPiecesSliversAndTiltedHeadsByShape() {
        func room(_ x: Int, _ y: Int) -> Double { y >= 44 ? 23.5 : 22 }   // clothing below
        let piece = people({ x, y in
            let dx = Double(x - 24) / 10.5, dy = Double(y - 30) / 13.5
            if (35...36).contains(x) { return 22 }                          // a post in front
            if dx * dx + dy * dy <= 1 { return 34 }                         // a face
            if (37...40).contains(x) && (24...33).contains(y) { return 33 } // its cheek beyond the post
            if (37...40).contains(x) && y > 33 { return 23.5 }              // on the body
            return room(x, y)
        }, still: true)
        #expect(piece.count == 1, "one face: \(piece)")
        let sliver = people({ x, y in
            if x >= 61 && (20...31).contains(y) { return 34 }
            return x >= 58 && y > 31 ? 23.5 : 22
        }, still: true)
        #expect(sliver.isEmpty, "\(sliver)")
        // Tilted: hair (room-cool) over the top-left of the crown.
        let tilted: (Int, Int) -> Double = { x, y in
            let dx = Double(x - 32) / 10.5, dy = Double(y - 30) / 13.5
            if dx * dx + dy * dy <= 1 && !(y < 30 && x < 32 + (30 - y)) { return 34 }
            return room(x, y)
        }
        #expect(measured(Self.frame { x, y in tilted(x, y) > 30 }).crownFill < 0.4)
        #expect(people(tilted, still: true).count == 1, "a still: the tilted head is someone")
    }
}
