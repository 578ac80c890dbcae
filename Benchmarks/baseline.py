#!/usr/bin/env python3
"""What users would use instead: numpy + OpenCV on the same frames as the Swift benchmarks.

Usage: baseline.py WORKDIR (crowd-640.canthus, people-{1,10,50}.canthus from run.sh).
Prints one JSON object: milliseconds per frame (median of repeated runs) for each stage.
OpenCV runs on one thread (cv2.setNumThreads(1)), as the Swift code does.
"""
import json
import os
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
from canthus_recording import read_recording  # noqa: E402

cv2.setNumThreads(1)


def celsius_table(header):
    m = header["radiometry"]
    counts = np.arange(65536, dtype=np.float64)
    if m["kind"] == "linear":
        return (counts * m["kelvin_per_count"] + m.get("offset_kelvin", 0.0) - 273.15).astype(np.float32)
    # FLIR single-path Planck with atmosphere, as DESIGN.md writes it.
    r1, r2, b, f, o = m["planck_r1"], m["planck_r2"], m["planck_b"], m["planck_f"], m["planck_o"]
    e, d, tr, ta, rh = m["emissivity"], m["distance_m"], m["reflected_c"], m["atmosphere_c"], m["relative_humidity_fraction"]
    h2o = rh * np.exp(1.5587 + 0.06939 * ta - 0.00027816 * ta ** 2 + 0.00000068455 * ta ** 3)
    tau = m["atx"] * np.exp(-np.sqrt(d) * (m["ata1"] + m["atb1"] * np.sqrt(h2o))) + \
        (1 - m["atx"]) * np.exp(-np.sqrt(d) * (m["ata2"] + m["atb2"] * np.sqrt(h2o)))
    raw = lambda t: r1 / (r2 * (np.exp(b / (t + 273.15)) - f)) - o  # noqa: E731
    s = (counts - (1 - tau) * raw(ta) - (1 - e) * tau * raw(tr)) / (e * tau)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = b / np.log(r1 / (r2 * (s + o)) + f) - 273.15
    return np.nan_to_num(t, nan=-np.inf).astype(np.float32)


def timed(fn, frames, repeat=5):
    best = []
    for _ in range(repeat):
        start = time.perf_counter()
        for fr in frames:
            fn(fr)
        best.append((time.perf_counter() - start) / len(frames) * 1e3)
    return float(np.median(best))


def main():
    work = sys.argv[1]
    rec = read_recording(os.path.join(work, "crowd-640.canthus"))
    frames = list(rec.frames[:60])
    table = celsius_table(rec.header)
    threshold = int(np.searchsorted(table, np.float32(30.0)))

    def convert(fr):
        return table[fr]

    def label(fr):
        mask = (fr >= threshold).astype(np.uint8)
        return cv2.connectedComponentsWithStats(mask, connectivity=8)

    def screen(fr):
        # Same work as the Swift IR stage: median background, threshold in counts, components with
        # stats, and per blob the hottest pixels of its upper face converted to °C.
        median = np.median(fr)
        thr = max(threshold, int(np.searchsorted(table, table[int(median)] + np.float32(2.0))))
        mask = (fr >= thr).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        out = []
        for k in range(1, n):
            x, y, w, h, area = stats[k]
            if area < 12:
                continue
            face_h = min(h, int(round(w * 1.3)))
            rows = max(1, int(round(face_h * 0.65)))
            sub = fr[y:y + rows, x:x + w][labels[y:y + rows, x:x + w] == k]
            top = np.partition(sub, -4)[-4:] if sub.size >= 4 else sub
            out.append(float(table[top].mean()))
        return out

    result = {
        "convert_ms": timed(convert, frames),
        "label_ms": timed(label, frames),
        **{f"screen_{n}_ms": timed(screen, list(read_recording(os.path.join(work, f"people-{n}.canthus")).frames[-30:]))
           for n in (1, 10, 50)},
        "frames": len(frames),
        "width": int(frames[0].shape[1]),
        "height": int(frames[0].shape[0]),
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
