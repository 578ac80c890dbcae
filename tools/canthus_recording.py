#!/usr/bin/env python3
"""Read a canthus recording (format v1, docs/recording-format.md) into numpy.

Proves the format is language-neutral: this reader shares no code with canthus.

    from canthus_recording import read_recording
    rec = read_recording("Fixtures/demo.canthus")
    rec.frames        # (N, H, W) uint16 camera counts
    rec.timestamps_ns # (N,) uint64 monotonic
    rec.header        # dict: camera, radiometry (with units), reference, ...
    rec.celsius(0)    # frame 0 in °C for linear (TLinear-style) radiometry

Command line: canthus_recording.py FILE [--frame N --npy OUT.npy] prints a summary as JSON.
"""
import json
import struct
import sys
import zlib
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"CNTHSREC"
RECORD_MAGIC = b"CNFR"
VERSION = 1
ROW_DELTA_BYTE_PLANES_ZLIB = 1


@dataclass
class Recording:
    header: dict
    frames: np.ndarray
    timestamps_ns: np.ndarray
    sequences: np.ndarray
    flags: np.ndarray
    visible_jpeg: list
    problems: list = field(default_factory=list)

    def celsius(self, index):
        model = self.header["radiometry"]
        if model["kind"] != "linear":
            raise NotImplementedError("this reader converts linear (kelvin per count) models only")
        k = model["kelvin_per_count"]
        return self.frames[index].astype(np.float64) * k + model.get("offset_kelvin", 0.0) - 273.15


def decode_ir(payload, width, height):
    n = width * height
    raw = zlib.decompress(payload)
    if len(raw) != 2 * n:
        raise ValueError(f"IR image decompresses to {len(raw)} bytes, expected {2 * n}")
    planes = np.frombuffer(raw, dtype=np.uint8)
    deltas = planes[:n].astype(np.uint16) | (planes[n:].astype(np.uint16) << 8)
    return np.cumsum(deltas.reshape(height, width), axis=1, dtype=np.uint16)


def read_recording(path):
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not a canthus recording")
    version, _flags, header_len = struct.unpack_from("<HHI", data, 8)
    if version != VERSION:
        raise ValueError(f"{path}: format version {version} is not supported")
    header_end = 16 + header_len
    (crc,) = struct.unpack_from("<I", data, header_end)
    if zlib.crc32(data[:header_end]) != crc:
        raise ValueError(f"{path}: header checksum mismatch")
    header = json.loads(data[16:header_end])
    w, h = header["camera"]["width"], header["camera"]["height"]
    at = header_end + 4
    frames, stamps, seqs, flags, visible, problems = [], [], [], [], [], []
    while at < len(data):
        if len(data) - at < 8 + 32 + 4:
            problems.append(f"truncated at byte {at}")
            break
        if data[at:at + 4] != RECORD_MAGIC:
            problems.append(f"no record marker at byte {at}")
            break
        (length,) = struct.unpack_from("<I", data, at + 4)
        end = at + 8 + length + 4
        if end > len(data):
            problems.append(f"truncated at byte {at}")
            break
        (crc,) = struct.unpack_from("<I", data, at + 8 + length)
        if zlib.crc32(data[at:at + 8 + length]) != crc:
            problems.append(f"checksum mismatch in record at byte {at}")
            at = end
            continue
        seq, ts, fl, enc, ir_len, vis_len = struct.unpack_from("<QQIB3xII", data, at + 8)
        if enc != ROW_DELTA_BYTE_PLANES_ZLIB:
            problems.append(f"unknown IR encoding {enc} at byte {at}")
            at = end
            continue
        ir_start = at + 8 + 32
        frames.append(decode_ir(data[ir_start:ir_start + ir_len], w, h))
        visible.append(data[ir_start + ir_len:ir_start + ir_len + vis_len])
        stamps.append(ts)
        seqs.append(seq)
        flags.append(fl)
        at = end
    return Recording(
        header=header,
        frames=np.stack(frames) if frames else np.zeros((0, h, w), np.uint16),
        timestamps_ns=np.array(stamps, dtype=np.uint64),
        sequences=np.array(seqs, dtype=np.uint64),
        flags=np.array(flags, dtype=np.uint32),
        visible_jpeg=visible,
        problems=problems,
    )


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--frame", type=int, default=None)
    p.add_argument("--npy", default=None, help="write --frame as a .npy file")
    a = p.parse_args(argv)
    rec = read_recording(a.file)
    summary = {
        "frames": int(rec.frames.shape[0]),
        "width": int(rec.frames.shape[2]),
        "height": int(rec.frames.shape[1]),
        "camera": rec.header["camera"]["model"],
        "duration_s": float((rec.timestamps_ns[-1] - rec.timestamps_ns[0]) / 1e9) if len(rec.timestamps_ns) > 1 else 0.0,
        "problems": rec.problems,
        "sum_of_counts": int(rec.frames.astype(np.uint64).sum()),
    }
    if a.frame is not None:
        f = rec.frames[a.frame]
        summary["frame"] = {"index": a.frame, "min": int(f.min()), "max": int(f.max()),
                            "sum": int(f.astype(np.uint64).sum()), "timestamp_ns": int(rec.timestamps_ns[a.frame])}
        if a.npy:
            np.save(a.npy, f)
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1:])
