#!/usr/bin/env python3
"""The alarm outputs cost screening nothing: two daemons side by side in one run.

Usage: alarms.py CANTHUS WORKDIR

Both replay the same simulated crowd (500 frames, 14 people) at its own pace (as a camera
delivers frames) at the same time, on the same machine: one with no alarm outputs, one with a
hook that sleeps 10 s for every decision and light change (a program that hangs), a webhook whose
receiver accepts the connection and never answers (tools/webhook_receiver.py --silent), a second
hook that notes when it started, and a log sink. Both keep the records store (the webhook's
outbox is in it). Reported: frames screened by each (none may be
missing), the frame loop's time per frame (arrival to the end of screening and publishing; p50,
p99, max from the lane's frame_us_* counters) side by side and their ratio (target: p99 within
1.5×), and the time from a decision's publishing to the second hook's start (target p99 ≤ 50 ms).
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

def main(canthus, work):
    work = os.path.abspath(work)
    os.makedirs(work, exist_ok=True)
    rec = os.path.join(work, "alarms-crowd.canthus")
    subprocess.run([canthus, "simulate", "--preset", "crowd", "--seed", "3", "--out", rec], check=True, stdout=subprocess.DEVNULL)
    stuck = os.path.join(work, "alarms-stuck.sh")
    stamp = os.path.join(work, "alarms-stamp.sh")
    stamps = os.path.join(work, "alarms-stamps.txt")
    with open(stuck, "w") as f:
        f.write("#!/bin/sh\nsleep 10\n")
    with open(stamp, "w") as f:
        f.write(f"#!/bin/sh\n[ -n \"$CANTHUS_WALL_MS\" ] && echo \"$(date +%s%3N) $CANTHUS_WALL_MS\" >> {stamps}\n")
    os.chmod(stuck, 0o755)
    os.chmod(stamp, 0o755)
    if os.path.exists(stamps):
        os.remove(stamps)
    receiver = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "webhook_receiver.py"),
                                 "--silent", "--log", os.path.join(work, "alarms-webhook.ndjson")], stdout=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline())
    for name in ("with", "without"):   # a store kept from a run before would take nothing new
        shutil.rmtree(os.path.join(work, f"alarms-{name}"), ignore_errors=True)
    daemons = {}
    for name, sinks in [("without", ""), ("with", f"""
alarms:
  sinks:
    - {{type: hook, name: stuck, program: {stuck}, levels: [normal, prealarm, alarm], gate: true, timeout_s: 15}}
    - {{type: hook, name: stamp, program: {stamp}, levels: [normal, prealarm, alarm]}}
    - {{type: log, levels: [normal, prealarm, alarm], gate: true}}
    - {{type: webhook, name: silent, url: "http://127.0.0.1:{port}/in", levels: [normal, prealarm, alarm], timeout_s: 10}}
""")]:
        config = os.path.join(work, f"alarms-{name}.yaml")
        with open(config, "w") as f:
            f.write(f"source: {{replay: [{rec}], real_time: true}}\n"
                    f"records: {{directory: {work}/alarms-{name}, events_file: false}}\n"
                    f"control: {{socket: {work}/alarms-{name}.sock}}\n" + sinks)
        daemons[name] = subprocess.Popen([canthus, "run", "--config", config, "--no-view"],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    last = {}
    while any(p.poll() is None for p in daemons.values()):
        for name, p in daemons.items():
            if p.poll() is None:
                r = subprocess.run([canthus, "status", "--socket", f"{work}/alarms-{name}.sock", "--json"], capture_output=True, text=True)
                if r.returncode == 0:
                    lane = [c for c in json.loads(r.stdout)["components"] if c["name"] == "lane main"]
                    if lane:
                        last[name] = lane[0]["counters"]
        time.sleep(0.5)
    receiver.kill()
    frames = {}
    for name, p in daemons.items():
        out = p.stdout.read()
        line = [l for l in out.splitlines() if l.startswith("end of recording")]
        frames[name] = int(line[0].split(":")[1].split()[0]) if line else -1
    print("== alarm outputs beside screening: a crowd (500 frames, 14 people) replayed at its own pace, two daemons at once")
    print(f"{'':10} {'frames':>7} {'p50 µs':>8} {'p99 µs':>8} {'max µs':>8}")
    for name in ("without", "with"):
        c = last.get(name, {})
        print(f"{name:10} {frames[name]:7d} {c.get('frame_us_p50', 0):8d} {c.get('frame_us_p99', 0):8d} {c.get('frame_us_max', 0):8d}")
    a, b = last.get("without", {}).get("frame_us_p99", 0), last.get("with", {}).get("frame_us_p99", 0)
    print(f"frame loop p99 with the outputs / without: {b / a:.2f}× (target ≤ 1.5×); frames missing: {frames['without'] - frames['with']}")
    with sqlite3.connect(os.path.join(work, "alarms-with", "canthus.sqlite")) as db:
        states = dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
        tries = db.execute("SELECT coalesce(sum(attempts), 0) FROM outbox").fetchone()[0]
    print(f"silent webhook: {states.get('pending', 0)} decisions kept in the outbox, {tries} attempts timed out or cut at the stop, "
          f"{states.get('delivered', 0)} delivered")
    lat = []
    if os.path.exists(stamps):
        for l in open(stamps):
            started, wall = l.split()
            lat.append(int(started) - int(wall))
    lat.sort()
    if lat:
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
        print(f"decision published → hook started: {len(lat)} decisions, p50 {p(0.5)} ms, p99 {p(0.99)} ms, max {lat[-1]} ms (target p99 ≤ 50 ms)")
    else:
        print("decision published → hook started: no hook ran")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
