import Foundation
import Testing
import TestSupport

/// Deployment: what `make install` lays out, what `make deb` packs, and the package under real
/// systemd and udev in a Debian guest (docs/deployment.md). `make test` builds the release binary,
/// the package (`make deb`) and the guests (`make vm`) first; without them these tests fail and
/// say what to run.
@Suite(.serialized) struct DeploymentTests {
    static let version: String = {
        let text = (try? String(contentsOfFile: Project.path("Sources/Daemon/Version.swift"), encoding: .utf8)) ?? ""
        return text.firstMatch(of: /static let string = "([^"]+)"/).map { String($0.1) } ?? "?"
    }()
    static var package: String { Project.path("build/canthus_\(version)_amd64.deb") }

    /// A tool from PATH in the checkout, its standard output and error together.
    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, out: String) {
        let r = try CLI.run(["sh", "-c", "exec \"$0\" \"$@\" 2>&1", tool] + arguments, in: Project.root, executable: "/usr/bin/env")
        return (r.status, r.stdout)
    }

    /// Every file `make install DESTDIR=…` lays out, with its mode; the unit's paths filled in.
    @Test func installLaysOutTheExpectedTree() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CLI.releaseBinary), "no release build: run `make release`")
        let root = Project.temporaryDirectory() + "/stage"
        let install = try run("make", ["-s", "install", "DESTDIR=\(root)"])
        #expect(install.status == 0, "\(install.out)")
        var files: [String] = []
        let e = FileManager.default.enumerator(atPath: root)!
        while let f = e.nextObject() as? String {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + f, isDirectory: &isDir)
            if !isDir.boolValue {
                let mode = (try FileManager.default.attributesOfItem(atPath: root + "/" + f)[.posixPermissions] as? Int) ?? 0
                files.append("/\(f) \(String(mode, radix: 8))")
            }
        }
        let docs = ["README.md", "architecture.md", "calibration.md", "configuration.md", "deployment.md", "distance.md", "events.md",
                    "operator.md", "recording-format.md", "records.md", "screening.md", "examples/71-canthus-local.rules"]
        let expected = [
            "/usr/local/bin/canthus 755",
            "/usr/local/lib/systemd/system/canthus.service 644",
            "/usr/local/lib/sysusers.d/canthus.conf 644",
            "/usr/local/lib/tmpfiles.d/canthus.conf 644",
            "/etc/udev/rules.d/70-canthus.rules 644",
            "/etc/canthus/canthus.yaml 644",
        ] + docs.map { "/usr/local/share/doc/canthus/\($0) 644" }
        #expect(files.sorted() == expected.sorted())
        let unit = try String(contentsOfFile: root + "/usr/local/lib/systemd/system/canthus.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/canthus run --config /etc/canthus/canthus.yaml --no-view"))
        #expect(unit.contains("ExecReload=/usr/local/bin/canthus reload --config /etc/canthus/canthus.yaml"))
        #expect(!unit.contains("@BINDIR@") && !unit.contains("@SYSCONFDIR@") && !unit.contains("@DOCDIR@"), "a placeholder was left in the unit")
        // The installed binary needs no Swift runtime beside it.
        let ldd = try run("ldd", [root + "/usr/local/bin/canthus"])
        #expect(ldd.status == 0 && !ldd.out.contains("libswift") && !ldd.out.contains("libFoundation") && !ldd.out.contains("not found"), "\(ldd.out)")
        // The shipped configuration is valid as it stands.
        let check = try CLI.run(["check-config", root + "/etc/canthus/canthus.yaml"])
        #expect(check.status == 0 && check.stdout.contains("lane main: camera /dev/canthus/purethermal (lepton35)"), "\(check.stderr)")
        // A second install keeps the operator's edited configuration.
        try "# edited by the operator\n".write(toFile: root + "/etc/canthus/canthus.yaml", atomically: true, encoding: .utf8)
        #expect(try run("make", ["-s", "install", "DESTDIR=\(root)"]).status == 0)
        #expect(try String(contentsOfFile: root + "/etc/canthus/canthus.yaml", encoding: .utf8) == "# edited by the operator\n")
        let uninstall = try run("make", ["-s", "uninstall", "DESTDIR=\(root)"])
        #expect(uninstall.status == 0)
        let left = FileManager.default.enumerator(atPath: root)!.allObjects.compactMap { $0 as? String }.filter {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isDir) && !isDir.boolValue
        }
        #expect(left == ["etc/canthus/canthus.yaml"], "uninstall left \(left)")
    }

    /// `make deb`'s package as dpkg-deb reads it: fields, dependencies from dpkg-shlibdeps, the
    /// conffile, maintainer scripts and the tree under /usr and /lib.
    @Test func thePackageIsWhatDpkgExpects() throws {
        try #require(FileManager.default.fileExists(atPath: Self.package), "no package at \(Self.package): run `make deb` (make test does)")
        let info = try run("dpkg-deb", ["--info", Self.package])
        #expect(info.status == 0)
        for field in ["Package: canthus", "Version: \(Self.version)", "Architecture: amd64", "Depends: libc6", "libv4l-0", "libjpeg62-turbo",
                      "libpng16-16", "libtiff6", "libsqlite3-0", "systemd", "udev", "postinst", "prerm", "postrm", "conffiles"] {
            #expect(info.out.contains(field), "dpkg-deb --info lacks \(field)")
        }
        #expect(!info.out.contains("libswift"))
        let contents = try run("dpkg-deb", ["--contents", Self.package])
        for path in ["./usr/bin/canthus", "./lib/systemd/system/canthus.service", "./lib/udev/rules.d/70-canthus.rules",
                     "./usr/lib/sysusers.d/canthus.conf", "./usr/lib/tmpfiles.d/canthus.conf", "./etc/canthus/canthus.yaml",
                     "./usr/share/doc/canthus/copyright", "./usr/share/doc/canthus/changelog.gz", "./usr/share/doc/canthus/deployment.md.gz"] {
            #expect(contents.out.contains(path), "the package lacks \(path)")
        }
        #expect(contents.out.contains("root/root"))
        let control = try run("sh", ["-c", "dpkg-deb --ctrl-tarfile '\(Self.package)' | tar -xO ./conffiles"])
        #expect(control.out == "/etc/canthus/canthus.yaml\n")
    }
}

/// In VMTests' serialized suite: one QEMU guest at a time (two at once on two cores starve the
/// capture guest's timing-sensitive scenarios).
extension VMTests {
    /// The package under real systemd (PID 1) and udev: one boot of the Debian guest runs every
    /// scenario of vm/tests/systemd.sh; the figures it measured are printed.
    @Test func theServiceUnderRealSystemdAndUdev() throws {
        let rootfsPath = (try? String(contentsOfFile: Project.path("vm/build/rootfs.path"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        try #require(!rootfsPath.isEmpty && FileManager.default.fileExists(atPath: rootfsPath),
                     "the systemd guest's root file system is not built: run `make vm` (make test does)")
        try #require(FileManager.default.fileExists(atPath: Project.path("vm/build/uvc_camera"))
                     && FileManager.default.fileExists(atPath: Project.path("vm/build/flir_one")), "run `make vm`")
        try #require(FileManager.default.fileExists(atPath: DeploymentTests.package), "no package at \(DeploymentTests.package): run `make deb`")
        // The package must be of this build.
        let debDate = try FileManager.default.attributesOfItem(atPath: DeploymentTests.package)[.modificationDate] as? Date ?? .distantPast
        let binDate = try FileManager.default.attributesOfItem(atPath: CLI.releaseBinary)[.modificationDate] as? Date ?? .distantFuture
        try #require(debDate >= binDate, "the package is older than the release build: run `make deb`")

        let dir = Project.temporaryDirectory()
        for (from, to) in [("vm/tests/systemd.sh", "test.sh"), ("Fixtures/demo.canthus", "demo.canthus"), ("vm/build/uvc_camera", "uvc_camera"),
                           ("vm/build/flir_one", "flir_one")] {
            try FileManager.default.copyItem(atPath: Project.path(from), toPath: "\(dir)/\(to)")
        }
        try FileManager.default.copyItem(atPath: DeploymentTests.package, toPath: dir + "/canthus.deb")
        let started = Date()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Project.path("vm/run.sh"))
        p.arguments = [dir, "900"]
        p.environment = ProcessInfo.processInfo.environment.merging(["ROOTFS": rootfsPath]) { $1 }
        try p.run()
        p.waitUntilExit()
        let log = (try? String(contentsOfFile: dir + "/test.log", encoding: .utf8))
            ?? "(no guest log; console: \((try? String(contentsOfFile: dir + "/console.log", encoding: .utf8))?.suffix(3000) ?? ""))"
        #expect(p.terminationStatus == 0, "guest scenarios failed:\n\(log.split(separator: "\n").filter { $0.hasPrefix("FAIL") || $0.hasPrefix("==") }.joined(separator: "\n"))\n\nfull log:\n\(log)")
        let results = Dictionary(((try? String(contentsOfFile: dir + "/results", encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { line -> (String, String)? in
                guard let eq = line.firstIndex(of: "=") else { return nil }
                return (String(line[..<eq]), String(line[line.index(after: eq)...]))
            }, uniquingKeysWith: { $1 })
        func number(_ key: String) -> Double? { results[key].flatMap { Double($0.split(separator: " ").first ?? "") } }
        #expect(results["install_rc"] == "0" && results["purge_rc"] == "0", "\(results)")
        #expect(results["verify_rc"] == "0", "systemd-analyze verify:\n\(log)")
        #expect(results["reload_rc"] == "0" && results["broken_reload_rc"] != "0")
        // kill -STOP: killed by the watchdog and running again within WatchdogSec + RestartSec + 10 s.
        #expect(results["watchdog_sec"] == "10s" && results["restart_sec"] == "2s")
        let restart = try #require(number("watchdog_restart_s"))
        #expect(restart <= 10 + 2 + 10)
        let stop = try #require(number("stop_s"))
        #expect(stop <= 20 && results["timeout_stop_usec"] == "20s")
        let exposure = try #require(number("security"), "no systemd-analyze security figure")
        #expect(exposure < 3.0)
        #expect(results["waiting_status"]?.contains("main: camera_lost") == true)
        #expect(results["leftovers"]?.trimmingCharacters(in: .whitespaces) == "", "after purge: \(results["leftovers"] ?? "")")
        print(String(format: "systemd guest (%.0f s): READY after restart %@ s; watchdog restart after kill -STOP %.1f s; stop %.1f s; systemd-analyze security %@; status while waiting: %@; while screening: %@; UVC camera plugged in %@ time(s)",
                     Date().timeIntervalSince(started), results["ready_s"] ?? "?", restart, stop, results["security"] ?? "?",
                     results["waiting_status"] ?? "?", results["screening_status"] ?? "?", results["purethermal_attempts"] ?? "?"))
        if let table = try? String(contentsOfFile: dir + "/security.txt", encoding: .utf8) {
            print("systemd-analyze security canthus.service, points still counted:\n" + table.split(separator: "\n").filter { $0.hasPrefix("✗") }.joined(separator: "\n"))
        }
    }
}
