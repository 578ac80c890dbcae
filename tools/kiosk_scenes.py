#!/usr/bin/env python3
"""Kiosk scenes written independently of canthus: CPTV recordings (with the kiosk project's own
writer, PyPI `cptv`) of a fever-screening kiosk's Lepton 3.5, with a truth file each.

Nothing here is shared with canthus's own simulator (Sources/Simulation): its own face and body
model, its own camera, its own behaviours. Scenes are what a kiosk sees: a heated reference
disc anywhere in the view (in its warm housing) at a known set-point, a hidden camera offset
and drift, people who step up and wait, linger, pass by in profile, stand aside, cross each
other, come in from the cold, wear glasses, sunglasses, masks, hats, and hot things in view
(cups, lamps, laptops).

    tools/kiosk_scenes.py --kind step_up --seed 7 --out DIR        # DIR/step_up-7.cptv + .truth.json
    tools/kiosk_scenes.py --list SEEDS.txt --out DIR               # "kind seed" per line

The camera is mounted rotated like the kiosks (turn 90° clockwise to see it upright), so the
recordings replay with `canthus replay --import-preset feverscreen-kiosk --reference-set T`.
Truth (JSON): the set-point, the disc's upright centre, and per person their role, true canthus
temperature, what they wear, and what a screening instrument should report for them:
`decision` (stepped up facing the camera), `cold` (stepped up, face colder than any healthy
person's) or `none` (seen and counted, not measured).
"""
import argparse
import json
import math
import os
import sys
from datetime import datetime, timedelta, timezone

import numpy as np

try:
    from cptv import CPTVWriter
    from cptv.frame import Frame
except ImportError:  # pragma: no cover - the test says what to install
    sys.exit("kiosk_scenes.py needs the PyPI package cptv (make pydeps installs it)")

W, H = 120, 160            # upright view (the sensor is 160 x 120, mounted on its side)
FPS = 9
FOCAL_PX = 80 / math.tan(math.radians(57 / 2))   # Lepton 3.5: 57 degrees across its 160 columns
FACE_M = 0.15              # an adult face is 0.14-0.16 m wide
KINDS = ["step_up", "glasses", "sunglasses", "mask", "hat", "cold", "linger", "passer", "aside", "crossing", "hot_object"]


def face_px(distance_m):
    return FOCAL_PX * FACE_M / distance_m


class Person:
    """One person: where they are (upright px, distance) at each time, and how they look."""

    def __init__(self, rng, role, canthus_c, path, look):
        self.role = role
        self.canthus_c = canthus_c
        self.path = path            # list of (t, x, distance, facing), facing: 1 frontal, 0 profile
        self.look = look
        self.id = None

    def at(self, t):
        p = self.path
        if t < p[0][0] or t > p[-1][0]:
            return None
        for a, b in zip(p, p[1:]):
            if a[0] <= t <= b[0]:
                u = 0 if b[0] == a[0] else (t - a[0]) / (b[0] - a[0])
                return (a[1] + u * (b[1] - a[1]), a[2] + u * (b[2] - a[2]), a[3] if u < 0.5 else b[3])
        return None


def ellipse(yy, xx, cy, cx, ry, rx):
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1


def gauss(yy, xx, cy, cx, s):
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))


def draw_person(img, yy, xx, person, x, dist, facing, ambient, sway):
    """Paints a person (body, neck, head) into the upright temperature image `img` (deg C)."""
    look = person.look
    w = face_px(dist)
    # The head's centre: eye height 1.6 m seen from the kiosk camera at 1.4 m, tilted a little up;
    # nearer faces sit lower in the view.
    cy = H * 0.42 + 12.0 / dist * 0.5 + sway[1]
    cx = x + sway[0]
    hw, hh = w / 2, w * 0.65
    # Hair insulates: its surface reads a few kelvin above the room, well below skin.
    c = person.canthus_c
    skin = c - look["skin_drop"]
    # Body: clothing a few kelvin above the room, shoulders 2.6 face widths wide (1.5 in profile).
    shoulder = w * (2.6 if facing else 1.5)
    body = (yy > cy + hh + w * 0.35) & (np.abs(xx - cx) < shoulder / 2 + (yy - cy - hh) * 0.15)
    img[body] = ambient + look["clothing_k"]
    neck = (yy > cy + hh * 0.7) & (yy <= cy + hh + w * 0.4) & (np.abs(xx - cx) < w * 0.28)
    img[neck] = skin - 0.8
    if facing:
        head = ellipse(yy, xx, cy, cx, hh, hw)
        img[head] = skin
        # Forehead warmer than cheeks; nose tip the coolest part of a face.
        img[head] += 0.6 * np.clip((cy - yy[head]) / hh, 0, 1)
        img[head & ellipse(yy, xx, cy + hh * 0.25, cx, hh * 0.2, hw * 0.14)] -= look["nose_k"]
        # The inner canthi: the warmest skin, beside the bridge of the nose; each a patch about
        # 1 cm across at the canthus temperature (what a clinical reading of the region gives),
        # falling off into the skin around it.
        ey = cy - hh * 0.12
        for side in (-1, 1):
            ex = cx + side * w * 0.13
            patch = np.clip(gauss(yy, xx, ey, ex, max(0.7, w * 0.05)) * 1.6, 0, 1)
            img[:] = np.where(head, np.maximum(img, skin + (c - skin) * patch), img)
            # The eyes themselves (cornea) read cooler than the canthus.
            img[head & ellipse(yy, xx, ey, cx + side * w * 0.26, w * 0.05, w * 0.09)] -= 0.8
        if look["glasses"]:
            lens_w, lens_h = (w * 0.19, w * 0.11) if look["glasses"] == "clear" else (w * 0.23, w * 0.14)
            for side in (-1, 1):
                lens = ellipse(yy, xx, ey, cx + side * w * 0.22, lens_h, lens_w)
                img[lens] = ambient + look["lens_k"]
            img[(np.abs(yy - ey) < max(0.6, w * 0.025)) & (np.abs(xx - cx) < w * 0.06)] = ambient + look["lens_k"] + 1
        if look["mask"]:
            m = head & (yy > cy + hh * 0.12)
            img[m] = c - 3.0 + 0.5 * np.clip((yy[m] - cy) / hh, 0, 1)
        hair_top = cy - hh * (0.55 if look["hat"] is None else 0.45)
        crown = ellipse(yy, xx, cy - hh * 0.05, cx, hh * 1.08, hw * 1.05) & (yy < hair_top)
        img[crown] = look["hat"] if look["hat"] is not None else ambient + look["hair_k"]
    else:
        # In profile: the face's half towards where they walk, the ear in the middle, hair behind.
        d = look["heading"]
        head = ellipse(yy, xx, cy, cx, hh, hw * 1.15)
        img[head] = ambient + look["hair_k"]
        front = head & ((xx - cx) * d > -hw * 0.15) & (yy > cy - hh * 0.55)
        img[front] = skin
        img[head & ellipse(yy, xx, cy + hh * 0.1, cx + d * hw * 1.1, hh * 0.12, hw * 0.18)] = skin - look["nose_k"]
        ear = gauss(yy, xx, cy, cx - d * hw * 0.1, max(0.6, w * 0.06))
        # The ear warms what lies under it, skin or hair (blended from skin, it painted the
        # whole head skin: no hair behind the cheek).
        img[:] = np.where(head, np.maximum(img, img + (c - 0.4 - img) * ear), img)
        if look["glasses"]:
            img[head & (np.abs(yy - (cy - hh * 0.12)) < w * 0.06) & ((xx - cx) * d > hw * 0.3)] = ambient + look["lens_k"]
        if look["hat"] is not None:
            img[head & (yy < cy - hh * 0.45)] = look["hat"]


def scene(kind, seed):
    rng = np.random.default_rng(seed * 1009 + KINDS.index(kind))
    ambient = rng.uniform(18, 26)
    set_point = round(rng.uniform(35.5, 37.5), 1)
    offset = rng.uniform(-4, 2)                      # the camera's own error, hidden
    drift = rng.uniform(-0.5, 0.5)                   # over the whole clip
    r = rng.uniform(4.5, 6.5)
    # Anywhere beside where people stand (a corner now and then), never behind them.
    dx = rng.choice([rng.uniform(r + 1.5, W / 2 - 30), rng.uniform(W / 2 + 30, W - r - 1.5)])
    dy = rng.uniform(r + 1.5, H - r - 1.5)
    if rng.random() < 0.3:
        dx = rng.choice([r + 1.5, W - r - 1.5])
        dy = rng.choice([r + 1.5, H - r - 1.5])
    people, objects = [], []

    def look(**over):
        base = dict(skin_drop=rng.uniform(1.0, 1.8), nose_k=rng.uniform(1.0, 2.5), clothing_k=rng.uniform(1.0, 6.0),
                    hair_k=rng.uniform(4.0, 9.0), glasses=None, lens_k=rng.uniform(0.5, 2.5), mask=False, hat=None,
                    heading=rng.choice([-1, 1]))
        base.update(over)
        return base

    def canthus():
        return float(np.clip(rng.normal(35.6, 0.45), 34.3, 36.9))

    def step_up(t0, lk, c=None, stay=None):
        side = rng.choice([-1, 1])
        spot = W / 2 + rng.uniform(-14, 14)
        d = rng.uniform(0.55, 0.9)
        stay = stay if stay is not None else rng.uniform(2.5, 4.5)
        start = W / 2 + side * (W / 2 + face_px(1.6))
        path = [(t0, start, 1.6, 1), (t0 + 1.6, spot, d, 1), (t0 + 1.6 + stay, spot + rng.uniform(-2, 2), d, 1),
                (t0 + 3.4 + stay, W / 2 - side * (W / 2 + face_px(1.4)), 1.4, 1)]
        return Person(rng, "step_up", c if c is not None else canthus(), path, lk)

    def passer(t0, d=None, direction=None, speed=None):
        d = d if d is not None else rng.uniform(0.7, 1.3)
        direction = direction if direction is not None else rng.choice([-1, 1])
        speed = speed if speed is not None else rng.uniform(0.8, 1.4)
        margin = face_px(d) * 1.5
        across = (W + 2 * margin) / (FOCAL_PX * speed / d)
        lk = look(heading=direction)
        return Person(rng, "passer", canthus(), [(t0, W / 2 - direction * (W / 2 + margin), d, 0),
                                                  (t0 + across, W / 2 + direction * (W / 2 + margin), d, 0)], lk)

    duration = 9.0
    if kind in ("step_up", "glasses", "sunglasses", "mask", "hat"):
        over = {"glasses": {"glasses": "clear"}, "sunglasses": {"glasses": "dark"}, "mask": {"mask": True},
                "hat": {"hat": ambient + rng.uniform(-1, 6)}}.get(kind, {})
        people.append(step_up(rng.uniform(0.2, 1.0), look(**over)))
    elif kind == "cold":
        # A minute or two in from a cold street: skin 2-3.5 K below the canthus, nose colder still.
        lk = look(skin_drop=rng.uniform(2.0, 3.5), nose_k=rng.uniform(2.5, 4))
        people.append(step_up(rng.uniform(0.2, 1.0), lk, c=float(rng.uniform(32.3, 33.6))))
        people[-1].role = "cold"
    elif kind == "linger":
        duration = 22.0
        p = step_up(0.5, look(), stay=rng.uniform(12, 17))
        # Turns away for a moment and back, twice: the same person.
        t_turn = 0.5 + 1.6 + rng.uniform(3, 5)
        spot, d = p.path[1][1], p.path[1][2]
        p.path = p.path[:2] + [(t_turn, spot, d, 1), (t_turn + 0.1, spot + 3, d, 0), (t_turn + 1.5, spot + 3, d, 0),
                               (t_turn + 1.6, spot, d, 1)] + p.path[2:]
        p.role = "linger"
        people.append(p)
    elif kind == "passer":
        people.append(passer(rng.uniform(0.3, 2.0)))
        if rng.random() < 0.5:
            people.append(passer(rng.uniform(3.0, 5.0)))
    elif kind == "aside":
        x = rng.choice([rng.uniform(8, 22), rng.uniform(W - 22, W - 8)])
        d = rng.uniform(0.8, 1.4)
        people.append(Person(rng, "aside", canthus(), [(0.5, x, d, 0), (duration - 0.5, x + rng.uniform(-3, 3), d, 0)], look()))
    elif kind == "crossing":
        d1, d2 = rng.uniform(0.7, 1.0), rng.uniform(1.1, 1.5)
        t0 = rng.uniform(0.5, 1.5)
        people.append(passer(t0, d=d1, direction=1, speed=rng.uniform(0.8, 1.2)))
        people.append(passer(t0 + rng.uniform(0.0, 0.6), d=d2, direction=-1, speed=rng.uniform(0.8, 1.2)))
        if rng.random() < 0.5:
            duration = 12.0
            people.append(step_up(rng.uniform(4.0, 5.0), look()))
    elif kind == "hot_object":
        people.append(step_up(rng.uniform(0.5, 1.5), look()))
        what = rng.choice(["cup", "lamp", "laptop"])
        if what == "cup":   # a hot drink beside the disc
            ox = dx + rng.choice([-1, 1]) * rng.uniform(2.2 * r, 3.5 * r)
            objects.append(("cup", float(np.clip(ox, 4, W - 5)), float(np.clip(dy + rng.uniform(-r, r), 6, H - 7)), rng.uniform(50, 70)))
        elif what == "lamp":
            objects.append(("lamp", rng.uniform(10, W - 10), rng.uniform(6, 30), rng.uniform(38, 55)))
        else:
            objects.append(("laptop", rng.uniform(20, W - 20), rng.uniform(H - 30, H - 12), rng.uniform(34, 42)))
    for i, p in enumerate(people):
        p.id = i + 1
    return dict(kind=kind, seed=seed, ambient=ambient, set_point=set_point, offset=offset, drift=drift,
                disc=(dx, dy, r), people=people, objects=objects, duration=duration, rng=rng)


def render(s, t, yy, xx, noise_rng, fixed):
    dx, dy, r = s["disc"]
    amb = s["ambient"]
    img = np.full((H, W), amb, np.float64) + (yy / H - 0.5) * 1.2
    for kind, ox, oy, temp in s["objects"]:
        if kind == "cup":
            img[(np.abs(xx - ox) < 3) & (np.abs(yy - oy) < 4)] = temp
            img[(np.abs(xx - ox) < 2.4) & (yy < oy - 4) & (yy > oy - 9)] = np.maximum(img[(np.abs(xx - ox) < 2.4) & (yy < oy - 4) & (yy > oy - 9)], amb + 4)   # steam
        elif kind == "lamp":
            img[(np.abs(xx - ox) < 9) & (np.abs(yy - oy) < 2.5)] = temp
        else:
            img[(np.abs(xx - ox) < 16) & (np.abs(yy - oy) < 6)] = temp
            img[(np.abs(xx - ox) < 12) & (np.abs(yy - (oy - 5)) < 1)] = temp + 8
    people = sorted(((p, p.at(t)) for p in s["people"]), key=lambda q: -(q[1][1] if q[1] else 0))
    for p, at in people:    # far first, near last (the nearer hides the farther)
        if at is None:
            continue
        x, dist, facing = at
        sway = (0.6 * math.sin(2.1 * t + p.id), 0.4 * math.sin(1.3 * t + 2 * p.id))
        draw_person(img, yy, xx, p, x, dist, facing, amb, sway)
    # The disc in its housing (a box around it, warmed by its heater) is part of the kiosk, in
    # front of everyone who stands at it.
    img[(np.abs(xx - dx) < r * 2.6) & (np.abs(yy - dy) < r * 3.6)] = amb + 2.5
    img[(xx - dx) ** 2 + (yy - dy) ** 2 <= r * r] = s["set_point"]
    # Optics: a little blur (3x3 binomial).
    p = np.pad(img, 1, mode="edge")
    img = 0.25 * p[:-2, 1:-1] + 0.5 * p[1:-1, 1:-1] + 0.25 * p[2:, 1:-1]
    p = np.pad(img, 1, mode="edge")
    img = 0.25 * p[1:-1, :-2] + 0.5 * p[1:-1, 1:-1] + 0.25 * p[1:-1, 2:]
    cam = img + s["offset"] + s["drift"] * t / s["duration"] + fixed + noise_rng.normal(0, 0.05, img.shape)
    return np.clip(np.round((cam + 273.15) * 100), 0, 65535).astype(np.uint16)


def write(s, out_dir):
    name = f"{s['kind']}-{s['seed']}"
    path = os.path.join(out_dir, name + ".cptv")
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    noise_rng = np.random.default_rng(s["seed"] + 77)
    fixed = noise_rng.normal(0, 0.03, (H, W))
    with open(path, "wb") as f:
        w = CPTVWriter(f)
        w.timestamp = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=s["seed"])
        w.device_name = b"kiosk-scenes"
        w.fps, w.brand, w.model, w.camera_serial = FPS, b"flir", b"lepton3.5", 1
        n = int(s["duration"] * FPS)
        for i in range(n):
            upright = render(s, i / FPS, yy, xx, noise_rng, fixed)
            sensor = np.ascontiguousarray(np.rot90(upright, 1))   # the kiosks' mounting
            w.write_frame(Frame(sensor, timedelta(milliseconds=round(1000 * i / FPS)), timedelta(0), 30.0, 30.0))
        w.close()
    expect = {"step_up": "decision", "linger": "decision", "cold": "cold"}
    truth = dict(kind=s["kind"], seed=s["seed"], set_point_c=s["set_point"], disc_upright=[s["disc"][0], s["disc"][1]],
                 disc_radius_px=s["disc"][2], hidden_offset_k=s["offset"], hidden_drift_k=s["drift"],
                 objects=[dict(kind=o[0], x=o[1], y=o[2], temperature_c=o[3]) for o in s["objects"]],
                 people=[dict(id=p.id, role=p.role, canthus_c=p.canthus_c, glasses=p.look["glasses"], mask=p.look["mask"],
                              hat=p.look["hat"] is not None, expect=expect.get(p.role, "none"),
                              in_view_s=[p.path[0][0], p.path[-1][0]]) for p in s["people"]])
    with open(os.path.join(out_dir, name + ".truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=KINDS)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--list", help="file of 'kind seed' lines")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    jobs = []
    if a.list:
        for line in open(a.list):
            if line.strip() and not line.startswith("#"):
                k, sd = line.split()
                if k not in KINDS:
                    sys.exit(f"{a.list}: unknown kind '{k}' (known: {', '.join(KINDS)})")
                jobs.append((k, int(sd)))
    elif a.kind and a.seed is not None:
        jobs.append((a.kind, a.seed))
    else:
        ap.error("give --kind and --seed, or --list")
    for k, sd in jobs:
        print(write(scene(k, sd), a.out))


if __name__ == "__main__":
    main()
