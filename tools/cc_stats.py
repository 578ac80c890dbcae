#!/usr/bin/env python3
"""OpenCV's connected components with stats on raw u8 masks, for comparison tests.

Usage: cc_stats.py MASKS.u8 WIDTH HEIGHT COUNT
Reads COUNT masks of WIDTH×HEIGHT bytes (non-zero = foreground) and prints, per mask, the blobs as
[min_y, min_x, area, max_x, max_y, sum_x, sum_y] sorted by position (label order differs between
algorithms), as JSON: a list of lists.
"""
import json
import sys

import cv2
import numpy as np

cv2.setNumThreads(1)


def main(path, width, height, count):
    data = np.fromfile(path, dtype=np.uint8).reshape(count, height, width)
    out = []
    ys, xs = np.mgrid[0:height, 0:width]
    for mask in data:
        n, labels, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
        blobs = []
        for k in range(1, n):
            x, y, w, h, area = (int(v) for v in stats[k])
            sel = labels == k
            blobs.append([y, x, area, x + w - 1, y + h - 1, int(xs[sel].sum()), int(ys[sel].sum())])
        out.append(sorted(blobs))
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
