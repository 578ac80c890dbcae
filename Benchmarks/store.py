#!/usr/bin/env python3
"""The records store at scale, beside the plain sqlite3 shell doing the same query.

Usage: store.py CANTHUS WORKDIR [DECISIONS]   (default one million decisions)

Fills a store with `canthus store-stress` (synthetic decisions and counts, each decision with its
person's track of 40 points and a view of the scene every 1000 tracks, in transactions of 1000
decisions, through the same RecordStore.write the daemon uses) and reports the sustained insert
rate, then
spreads the decisions over 30 days (as a month at a busy gate) and times, best of 5:
  - the last 24 hours' hourly statistics: `canthus stats --since 24h --format csv` against the
    sqlite3 shell running the same SQL (the query docs/records.md documents);
  - a CSV export of all decisions: `canthus export decisions --format csv` against
    `sqlite3 -csv` selecting the same columns;
  - one alarm's track and its picture over the scene: `canthus tracks --track ID --image`.
Targets (issue 14): stats ≤ 50 ms, export ≤ 5 s, inserts ≥ 50 000 events/s on one core.
"""
import os
import subprocess
import sys
import time

def best(cmd, n=5, **kw):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
        times.append(time.perf_counter() - t)
    return min(times)

def main(canthus, work, decisions=1_000_000):
    work = os.path.abspath(work)
    db = os.path.join(work, "store-bench.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    batch = 1000
    t = time.perf_counter()
    cpu0 = os.times()
    subprocess.run([canthus, "store-stress", "--store", db, "--batch", str(batch), "--batches", str(decisions // batch),
                    "--track-points", "40"],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    cpu1 = os.times()
    cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    rows = int(subprocess.run(["sqlite3", db, "SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM counts)"],
                              check=True, capture_output=True, text=True).stdout)
    tracks = int(subprocess.run(["sqlite3", db, "SELECT count(*) FROM tracks"], check=True, capture_output=True, text=True).stdout)
    # A month at a gate: spread the decisions over the last 30 days (and the counts with them).
    now_ms = int(time.time() * 1000)
    span = 30 * 86_400_000
    subprocess.run(["sqlite3", db, f"""
        UPDATE decisions SET wall_ms = {now_ms} - (frame * {span} / {decisions}),
               wall_utc = strftime('%Y-%m-%dT%H:%M:%fZ', ({now_ms} - (frame * {span} / {decisions})) / 1000.0, 'unixepoch');
        DELETE FROM headcounts;
        UPDATE counts SET wall_ms = {now_ms} - (frame * {span} / {decisions});
        UPDATE tracks SET wall_ms = {now_ms} - (track * {span} / {decisions});
        INSERT INTO headcounts (minute_ms, lane, gate, direction, people)
          SELECT wall_ms - wall_ms % 60000, lane, gate, direction, count(*) FROM counts GROUP BY 1, 2, 4;
        ANALYZE;"""], check=True)
    print(f"== the records store: {decisions:,} decisions (+ counts) with {tracks:,} tracks, {os.path.getsize(db) / 2**20:.0f} MB")
    print(f"inserts: {rows:,} events and {tracks:,} tracks in {wall:.1f} s = {rows / wall:,.0f} events/s wall "
          f"({(rows + tracks) / wall:,.0f} rows/s), {rows / cpu:,.0f} events per CPU-second "
          f"(transactions of {batch} decisions, synchronous=FULL; target ≥ 50 000 events/s)")
    stats = best([canthus, "stats", "--store", db, "--since", "24h", "--format", "csv"])
    # The same question in the sqlite3 shell (the stats query of RecordQueries, hour buckets).
    q = subprocess.run([canthus, "stats", "--store", db, "--since", "24h", "--print-sql"],
                       capture_output=True, text=True)
    shell_stats = None
    if q.returncode == 0 and q.stdout.strip():
        sql = q.stdout
        shell_stats = best(["sqlite3", "-csv", db, sql])
    export = best([canthus, "export", "decisions", "--store", db, "--format", "csv"], n=3)
    shell_export = best(["sqlite3", "-csv", "-header", db,
                         "SELECT id, wall_utc, strftime('%Y-%m-%d %H:%M:%S', wall_ms / 1000, 'unixepoch', 'localtime'), lane, gate, track, level, "
                         "body_c, canthus_c, threshold_c, mode, frames, distance_m, "
                         "(SELECT coalesce(group_concat(value, ' '), '') FROM json_each(decisions.reasons)), source, frame, reference_c, snapshot "
                         "FROM decisions ORDER BY wall_ms DESC, id"], n=3)
    alarm = subprocess.run(["sqlite3", db, "SELECT id FROM decisions WHERE level = 'alarm' ORDER BY wall_ms DESC LIMIT 1"],
                           check=True, capture_output=True, text=True).stdout.strip()
    picture = best([canthus, "tracks", "--store", db, "--track", alarm, "--image", os.path.join(work, "store-bench-track.png")])
    shell_track = best(["sqlite3", db, f"SELECT points FROM tracks WHERE event_id = '{alarm}'"])
    print(f"{'question':52} {'canthus':>10} {'sqlite3 shell':>14} {'target':>8}")
    print(f"{'hourly statistics of the last 24 h':52} {stats * 1000:8.0f} ms {shell_stats * 1000 if shell_stats else float('nan'):12.0f} ms {'50 ms':>8}")
    print(f"{'CSV export of every decision':52} {export:9.2f} s {shell_export:13.2f} s {'5 s':>8}")
    print(f"{'one alarm: its track over the scene, a PNG (shell: its points)':52} {picture * 1000:8.0f} ms {shell_track * 1000:12.0f} ms {'-':>8}")
    print("(whole commands, process start included; best of 5 (stats, track) and 3 (export))")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
