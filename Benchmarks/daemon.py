#!/usr/bin/env python3
"""The daemon's own cost: `canthus run` screening a 640×512 source at 30 frames/s in real time with
the event log on, as one core's CPU share and resident memory; then the same with a 1080p MJPEG
visible picture paired with every frame.

Usage: daemon.py CANTHUS WORKDIR   (WORKDIR holds crowd-640.canthus; after the Swift benchmarks, its
Current_run.jmh.json gives the recording's decode time per frame, reported beside the figure).

The source is a recording replayed in real time and looped (`source.loop`), so the daemon does
what it does with a camera — a frame every 33 ms, screened, events to the log — plus decoding the
recording (zlib), which a camera does not need: that decode is measured by the Swift benchmark
"decode recorded frame 640x512" and subtracted, so the daemon's own share is the difference. The
recording is memory-mapped: its pages count as RssFile, apart from the daemon's own (RssAnon).
The visible variant carries a 1080p JPEG (as an MJPEG webcam delivers it) in every record; the
daemon copies it into each frame, as it does from a visible camera.
"""
import json
import os
import struct
import subprocess
import sys
import time
import zlib

import cv2
import numpy as np

WARMUP_S, MEASURE_S = 4.0, 20.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime, stime


def memory(pid):
    status = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            status[k] = int(v.split()[0]) / 1024.0
    return status


def with_visible(src, dst):
    """Copies recording src to dst with a 1080p JPEG in every record (format: docs/recording-format.md)."""
    rng = np.random.default_rng(1)
    picture = np.zeros((1080, 1920, 3), np.uint8)
    picture[:] = np.linspace(40, 200, 1920, dtype=np.uint8)[None, :, None]
    picture = cv2.add(picture, rng.integers(0, 40, picture.shape, dtype=np.uint8))   # sensor-like texture
    ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 85])
    jpeg = jpeg.tobytes()
    data = open(src, "rb").read()
    header_len = struct.unpack_from("<I", data, 12)[0]
    at = 16 + header_len + 4
    out = [data[:at]]
    while at + 8 <= len(data):
        payload_len = struct.unpack_from("<I", data, at + 4)[0]
        payload = bytearray(data[at + 8: at + 8 + payload_len])
        ir_len, visible_len = struct.unpack_from("<II", payload, 24)
        assert visible_len == 0
        payload = payload[:32 + ir_len] + jpeg
        struct.pack_into("<I", payload, 28, len(jpeg))
        record = b"CNFR" + struct.pack("<I", len(payload)) + bytes(payload)
        out.append(record + struct.pack("<I", zlib.crc32(record)))
        at += 8 + payload_len + 4
    open(dst, "wb").write(b"".join(out))
    return len(jpeg)


def measure(canthus, recording, work, label):
    var = os.path.join(work, "daemon-var-" + label)
    os.makedirs(var, exist_ok=True)
    config = os.path.join(work, f"daemon-{label}.yaml")
    with open(config, "w") as f:
        f.write(f"source:\n  replay: [{recording}]\n  real_time: true\n  loop: true\n"
                f"records:\n  directory: {var}\ncontrol:\n  socket: {work}/daemon-{label}.sock\n")
    p = subprocess.Popen([canthus, "run", "--config", config, "--no-view"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(WARMUP_S)
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        time.sleep(MEASURE_S)
        c1, t1 = cpu_seconds(p.pid), time.monotonic()
        mem = memory(p.pid)
    finally:
        p.terminate()
        p.wait()
    events = sum(1 for _ in open(os.path.join(var, "events.ndjson")))
    return (c1 - c0) / (t1 - t0), mem, events


def decode_ms(work):
    try:
        for e in json.load(open(os.path.join(work, "Current_run.jmh.json"))):
            if e["benchmark"].endswith("decode_recorded_frame_640x512"):
                return e["secondaryMetrics"]["Time (wall clock)"]["scorePercentiles"]["50.0"] / 1000.0
    except (OSError, KeyError, ValueError):
        pass
    return None


def main(canthus, work):
    work = os.path.abspath(work)
    plain = os.path.join(work, "crowd-640.canthus")
    visible = os.path.join(work, "crowd-640-visible.canthus")
    jpeg_bytes = with_visible(plain, visible)
    fps = json.loads(open(plain, "rb").read()[16:16 + struct.unpack_from("<I", open(plain, "rb").read(16), 12)[0]])["camera"]["fps"]
    dec = decode_ms(work)
    print(f"== the daemon at {fps:g} frames/s, 640×512, real time, event log on ({MEASURE_S:.0f} s after {WARMUP_S:.0f} s warm-up)")
    print(f"{'source':44} {'CPU % core':>10} {'own %':>7} {'RSS MB':>7} {'anon MB':>8} {'file MB':>8} {'peak MB':>8} {'events':>7}")
    for label, path in (("640x512", plain), ("640x512 + 1080p MJPEG paired", visible)):
        share, mem, events = measure(canthus, path, work, label.split()[0] + ("-visible" if "MJPEG" in label else ""))
        own = share * 100 - (dec * fps / 10.0 if dec is not None else 0)
        print(f"{label:44} {share * 100:10.1f} {own if dec is not None else float('nan'):7.1f} {mem['VmRSS']:7.1f} "
              f"{mem['RssAnon']:8.1f} {mem['RssFile']:8.1f} {mem['VmHWM']:8.1f} {events:7d}")
    print(f"(own %: minus the recording's decode, {dec:.2f} ms a frame in this run's Swift benchmark = {dec * fps / 10.0:.1f} % of a core at {fps:g} fps; "
          if dec is not None else "(no decode figure: run the Swift benchmarks first; ")
    print(f" a camera delivers frames without it. anon: the daemon's own memory; file: the mapped recording and binary. "
          f"Targets without the visible stream: ≤ 10 % of a core, ≤ 40 MB. JPEG {jpeg_bytes // 1024} KB a frame.)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
