#!/usr/bin/env python3
"""Side-by-side benchmark matrix: Apache ZooKeeper 3.8 vs ringkeeper, driven by loadgen.

    python3 tuning/compare.py [--servers zk,ringkeeper] [--topologies standalone,ensemble]
        [--clients 1,100,1000,10000] [--write-ratios 0,0.1,1] [--repeats 3]
        [--duration 10] [--warmup 3] [--force-sync yes|no] [--out tuning/results/<UTC>]

For each topology, both servers are started once (fresh data dirs) and serve
every cell; for each (clients, write ratio) cell and each repeat the servers
alternate (zk, ringkeeper, zk, ringkeeper, ...). Every loadgen run is bounded
in time; a failed run is recorded and the matrix goes on.

Writes into --out: results.jsonl (every raw run, appended as it happens),
results.md (tables + charts), *.svg charts, and per-run loadgen SVGs with
--per-run-plots. `--report DIR` rebuilds results.md and the charts from
DIR/results.jsonl without running anything.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as bl  # noqa: E402
import svgchart  # noqa: E402
import zkharness  # noqa: E402


def csv_list(conv):
    def f(s):
        try:
            return [conv(x) for x in s.split(",") if x.strip() != ""]
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return f


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--servers", type=csv_list(str), default=["zk", "ringkeeper"],
                    help="server kinds in alternation order (default zk,ringkeeper)")
    ap.add_argument("--topologies", type=csv_list(str), default=["standalone", "ensemble"])
    ap.add_argument("--clients", type=csv_list(int), default=[1, 100, 1000, 10000])
    ap.add_argument("--write-ratios", type=csv_list(float), default=[0.0, 0.1, 1.0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--force-sync", type=zkharness.parse_bool, default=True, metavar="yes|no")
    ap.add_argument("--out", default=None, help="results folder (default tuning/results/<UTC timestamp>)")
    ap.add_argument("--loadgen", default=bl.DEFAULT_LOADGEN, help="load generator binary (default %(default)s)")
    ap.add_argument("--ringkeeper", default=bl.DEFAULT_RINGKEEPER, help="ringkeeper server binary")
    ap.add_argument("--ringkeeper-args", default=bl.RINGKEEPER_ARGS,
                    help="ringkeeper standalone argument template (default %(default)r)")
    ap.add_argument("--ringkeeper-ensemble-args", default=bl.RINGKEEPER_ENSEMBLE_ARGS,
                    help="ringkeeper ensemble member argument template (default %(default)r)")
    ap.add_argument("--zk-port", type=int, default=2181, help="first ZooKeeper client port (ensemble: +0,+1,+2)")
    ap.add_argument("--ringkeeper-port", type=int, default=2281, help="first ringkeeper client port")
    ap.add_argument("--zk-heap", default=zkharness.DEFAULT_HEAP)
    ap.add_argument("--outstanding", type=int, default=1)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--session-timeout", type=int, default=30000, help="ms")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between runs (default 1)")
    ap.add_argument("--prime", type=float, default=5.0,
                    help="after each server start, an unrecorded loadgen run of this many seconds "
                         "(100 clients, write ratio 0.1) creates the keys and warms the JIT; 0 = off")
    ap.add_argument("--isolate", action="store_true",
                    help="start/stop the server around every run instead of once per topology "
                         "(slower; no idle second server in the background)")
    ap.add_argument("--per-run-plots", action="store_true", help="pass --plot to loadgen, keep each run's SVG")
    ap.add_argument("--budget-minutes", type=float, default=120,
                    help="stop scheduling new runs after this many minutes (default 120; 0 = no limit)")
    ap.add_argument("--data-dir", default=None, help="parent dir for server data dirs (default $TMPDIR)")
    ap.add_argument("--pin", type=zkharness.parse_pin, default=([], []), metavar="SERVER_CPUS:DRIVER_CPUS",
                    help="CPU affinity, e.g. 0:1 = server(s) on CPU 0, loadgen on CPU 1 (default: unpinned)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan and time estimate, run nothing")
    ap.add_argument("--report", metavar="DIR", default=None,
                    help="only rebuild results.md and charts from DIR/results.jsonl")
    a = ap.parse_args(argv)
    for s in a.servers:
        if s not in ("zk", "ringkeeper"):
            ap.error(f"unknown server kind {s!r} (known: zk, ringkeeper)")
    for t in a.topologies:
        if t not in ("standalone", "ensemble"):
            ap.error(f"unknown topology {t!r} (known: standalone, ensemble)")
    if a.repeats < 1 or a.duration <= 0 or a.warmup < 0:
        ap.error("need --repeats >= 1, --duration > 0, --warmup >= 0")
    return a


# ------------------------------------------------------------------------
# plan / estimate
# ------------------------------------------------------------------------

def run_overhead_s(clients: int) -> float:
    """Rough per-run cost on top of warmup+duration: process start, key
    creation, connecting, closing. Measured with zkref against ZooKeeper on
    2 cores: ~1 s at 1,000 sessions, several s at 10,000."""
    return 1.5 + clients / 1500.0


def estimate_s(a, kinds: int) -> float:
    per_topo_start = {"standalone": 5, "ensemble": 10}
    total = 0.0
    for t in a.topologies:
        total += (per_topo_start[t] + (a.prime + 4 if a.prime else 0)) * kinds * (1 if not a.isolate else 0)
        for c in a.clients:
            for _w in a.write_ratios:
                one = a.warmup + a.duration + run_overhead_s(c) + a.pause
                if a.isolate:
                    one += per_topo_start[t] + (a.prime + 4 if a.prime else 0)
                total += one * a.repeats * kinds
    return total


# ------------------------------------------------------------------------
# report
# ------------------------------------------------------------------------

def load_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def write_report(out_dir, rows, meta):
    """results.md + charts from the rows (and meta: command, facts, params, notes)."""
    rows = [r for r in rows if not r.get("prime")]
    topologies = []
    for r in rows:
        if r["topology"] not in topologies:
            topologies.append(r["topology"])
    servers = meta.get("params", {}).get("servers") or sorted({r["server"] for r in rows})
    md = ["# ringkeeper vs Apache ZooKeeper: benchmark matrix", ""]
    md.append("Command:")
    md.append("")
    md.append("```")
    md.append(meta.get("command", "?"))
    md.append("```")
    md.append("")
    md.append(f"Started {meta.get('started_utc', '?')}, report written {bl.utc_iso()}.")
    md.append("")
    md += bl.md_table("machine fact", meta.get("facts") or {})
    md += bl.md_table("parameter", meta.get("params") or {})
    for n in meta.get("notes", []):
        md.append(f"- {n}")
    if meta.get("notes"):
        md.append("")
    md.append("Throughput and latency are medians over the repeats of each cell (range = min–max "
              "throughput). Server CPU µs/op = server process CPU time (utime+stime, all server "
              "processes) over the whole loadgen run, including connect/warmup/close, divided by the "
              "measured ops; the *window* figure, when shown, counts only the measurement window. "
              "RSS = sum of the server processes' VmRSS after the run. Ratios are ringkeeper/zk of the medians.")
    md.append("")
    charts = []
    for topo in topologies:
        trows = [r for r in rows if r["topology"] == topo]
        md.append(f"## {topo}")
        md.append("")
        has_window = any(r.get("server_cpu_us_per_op_window") is not None for r in trows)
        md.append("| clients | write ratio | server | ok runs | throughput ops/s (median) | range | "
                  "p50 ms | p99 ms | p99.9 ms | loadgen errors | server CPU µs/op | "
                  + ("(window) | " if has_window else "") + "server RSS MiB | rk/zk throughput | rk/zk p99 |")
        md.append("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | "
                  + ("---: | " if has_window else "") + "---: | ---: | ---: |")
        clients = sorted({r["clients"] for r in trows})
        wrs = sorted({r["write_ratio"] for r in trows})
        failures = []
        for c in clients:
            for w in wrs:
                stats = {}
                for s in servers:
                    cell = [r for r in trows if r["clients"] == c and r["write_ratio"] == w and r["server"] == s]
                    if cell:
                        stats[s] = bl.cell_stats(cell)
                for s, st in stats.items():
                    rt = rp = ""
                    if s == "ringkeeper" and "zk" in stats:
                        z = stats["zk"]
                        if st.thr_med and z.thr_med:
                            rt = f"{st.thr_med / z.thr_med:.2f}×"
                        if st.p99_med and z.p99_med:
                            rp = f"{st.p99_med / z.p99_med:.2f}×"
                    md.append(
                        f"| {c:,} | {w:g} | {s} | {st.ok}/{st.runs} | {bl.fmt(st.thr_med, 0)} | "
                        f"{bl.fmt_range(st.thr)} | {bl.fmt_ms(bl.med(st.p50))} | {bl.fmt_ms(bl.med(st.p99))} | "
                        f"{bl.fmt_ms(bl.med(st.p999))} | {bl.fmt_errors(st)} | {bl.fmt(bl.med(st.cpu_us_op), 1)} | "
                        + (f"{bl.fmt(bl.med(st.cpu_us_op_window), 1)} | " if has_window else "")
                        + f"{bl.fmt(bl.med(st.rss), 0)} | {rt} | {rp} |")
                    for e in st.failures:
                        failures.append(f"{s}, {c} clients, write ratio {w:g}: {e}")
        md.append("")
        if failures:
            md.append("Failed runs:")
            md.append("")
            for f in failures[:50]:
                md.append(f"- {f.splitlines()[0][:300]}")
            if len(failures) > 50:
                md.append(f"- ... and {len(failures) - 50} more (see results.jsonl)")
            md.append("")
        # charts
        for w in wrs:
            tser, pser = {}, {}
            for s in servers:
                for c in clients:
                    cell = [r for r in trows if r["clients"] == c and r["write_ratio"] == w and r["server"] == s]
                    if not cell:
                        continue
                    st = bl.cell_stats(cell)
                    if st.thr_med is None:
                        continue
                    thr = [x for x in st.thr if x is not None]
                    p99 = [x for x in st.p99 if x is not None]
                    tser.setdefault(s, []).append((c, st.thr_med, min(thr), max(thr)))
                    if p99:
                        pser.setdefault(s, []).append((c, bl.med(p99), min(p99), max(p99)))
            if not tser:
                continue
            tag = f"{topo}_w{w:g}"
            fn_t, fn_p = f"throughput_{tag}.svg", f"p99_{tag}.svg"
            with open(os.path.join(out_dir, fn_t), "w") as f:
                f.write(svgchart.line_chart(f"Throughput, {topo}, write ratio {w:g}", tser, "clients", "ops/s"))
            with open(os.path.join(out_dir, fn_p), "w") as f:
                f.write(svgchart.line_chart(f"p99 latency, {topo}, write ratio {w:g}", pser, "clients", "p99 ms",
                                      logy=True))
            charts.append((topo, w, fn_t, fn_p))
            md.append(f"![throughput {topo} write ratio {w:g}]({fn_t}) ![p99 {topo} write ratio {w:g}]({fn_p})")
            md.append("")
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return charts


# ------------------------------------------------------------------------
# main
# ------------------------------------------------------------------------

class Stop(Exception):
    pass


def main(argv=None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.report:
        meta_path = os.path.join(a.report, "meta.json")
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        rows = load_rows(os.path.join(a.report, "results.jsonl"))
        write_report(a.report, rows, meta)
        print(f"wrote {os.path.join(a.report, 'results.md')} ({len(rows)} runs)")
        return 0

    kinds = []
    for s in a.servers:
        if s == "zk":
            k = bl.ZkKind(a.zk_port, a.zk_heap, cpus=a.pin[0])
        else:
            k = bl.RingkeeperKind(a.ringkeeper, a.ringkeeper_port, a.ringkeeper_args, a.ringkeeper_ensemble_args,
                                  cpus=a.pin[0])
        try:
            k.check()
            kinds.append(k)
        except bl.ServerUnavailable as e:
            print(str(e), flush=True)
    if not kinds:
        print("no server kind can run; nothing to do", file=sys.stderr)
        return 2

    est = estimate_s(a, len(kinds))
    nruns = len(a.topologies) * len(a.clients) * len(a.write_ratios) * a.repeats * len(kinds)
    print(f"plan: {nruns} runs ({', '.join(k.name for k in kinds)}; {', '.join(a.topologies)}; "
          f"clients {a.clients}; write ratios {a.write_ratios}; {a.repeats} repeats; "
          f"{a.warmup:g}+{a.duration:g} s each); estimated {est / 60:.0f} min", flush=True)
    if a.budget_minutes and est / 60 > a.budget_minutes:
        print(f"warning: estimate exceeds --budget-minutes {a.budget_minutes:g}; runs past the budget "
              "will be skipped", flush=True)
    if a.dry_run:
        return 0
    a.loadgen = os.path.abspath(a.loadgen)
    if not (os.path.isfile(a.loadgen) and os.access(a.loadgen, os.X_OK)):
        print(f"error: load generator not found at {a.loadgen} "
              "(cargo build --release -p loadgen, or pass --loadgen PATH)", file=sys.stderr)
        return 2
    nofile = zkharness.raise_nofile()[0]
    if max(a.clients) + 200 > nofile:
        print(f"warning: RLIMIT_NOFILE is {nofile}; runs with {max(a.clients)} clients may fail", flush=True)

    out = a.out or os.path.join(HERE, "results", bl.utc_stamp())
    os.makedirs(out, exist_ok=True)
    if a.per_run_plots:
        os.makedirs(os.path.join(out, "runs"), exist_ok=True)
    jsonl = os.path.join(out, "results.jsonl")
    cmdline = "python3 " + " ".join(shlex.quote(x) for x in [os.path.relpath(__file__, os.getcwd())] +
                                    (sys.argv[1:] if argv is None else list(argv)))
    facts = bl.machine_facts(a.data_dir)
    params = {"servers": [k.name for k in kinds], "topologies": a.topologies, "clients": a.clients,
              "write_ratios": a.write_ratios, "repeats": a.repeats, "duration_s": a.duration, "warmup_s": a.warmup,
              "force_sync": "yes" if a.force_sync else "no", "outstanding": a.outstanding, "keys": a.keys,
              "value_size": a.value_size, "session_timeout_ms": a.session_timeout, "loadgen": a.loadgen,
              "isolate": a.isolate, "pause_s": a.pause, "prime_s": a.prime,
              "pin (server:driver CPUs)": f"{a.pin[0]}:{a.pin[1]}" if a.pin[0] or a.pin[1] else "none"}
    meta = {"command": cmdline, "started_utc": bl.utc_iso(), "facts": facts, "params": params, "notes": []}
    skipped = [s for s in a.servers if s not in [k.name for k in kinds]]
    if skipped:
        meta["notes"].append(f"skipped server kind(s): {', '.join(skipped)} (not available on this machine)")

    def save_meta():
        with open(os.path.join(out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)

    save_meta()
    print(f"results folder: {out}", flush=True)

    # SIGTERM -> orderly stop (servers stopped in finally)
    def on_term(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, on_term)

    rows = []
    t_start = time.monotonic()
    handles: dict = {}
    run_no = 0
    interrupted = False
    budget_hit = False

    def start_kind(k, topo):
        t0 = time.monotonic()
        try:
            h = k.start(topo, a.force_sync, a.data_dir)
        except Exception as e:  # noqa: BLE001 - record and continue without this server
            msg = str(e).strip()
            print(f"[{k.name}/{topo}] failed to start: {msg.splitlines()[0] if msg else type(e).__name__}",
                  flush=True)
            lines = [x for x in msg.splitlines() if x.strip()]
            detail = lines[0][:300] if lines else repr(e)
            if len(lines) > 1:
                detail += " … " + lines[-1][:300]
            meta["notes"].append(f"{k.name} {topo}: failed to start: {detail}")
            return None
        v = h.version()
        if v:
            facts[f"{k.name} version"] = v
        print(f"[{k.name}/{topo}] up in {time.monotonic() - t0:.1f}s at {h.connect_string} pids {h.pids}",
              flush=True)
        if a.prime > 0:
            pc = min(100, max(a.clients))
            cmd = [a.loadgen, "--servers", h.connect_string, "--clients", str(pc), "--write-ratio", "0.1",
                   "--outstanding", "1", "--keys", str(a.keys), "--value-size", str(a.value_size),
                   "--duration", f"{a.prime:g}", "--warmup", "0", "--session-timeout", str(a.session_timeout),
                   "--json"]
            row = bl.run_driver(cmd, h, a.prime + bl.connect_allowance(pc), cpus=a.pin[1])
            row.update({"prime": True, "topology": topo, "server": k.name, "clients": pc, "write_ratio": 0.1})
            bl.append_jsonl(jsonl, row)
            res = row.get("result") or {}
            print(f"[{k.name}/{topo}] prime run ({a.prime:g} s, {pc} clients, unrecorded): "
                  + (f"{res.get('throughput_ops_s', 0):,.0f} ops/s" if row["ok"] else f"FAILED: {row['error'][:200]}"),
                  flush=True)
        return h

    try:
        for topo in a.topologies:
            if not a.isolate:
                for k in kinds:
                    handles[k.name] = start_kind(k, topo)
                save_meta()
            for c in a.clients:
                for w in a.write_ratios:
                    for rep in range(a.repeats):
                        for k in kinds:
                            elapsed = time.monotonic() - t_start
                            if a.budget_minutes and elapsed > a.budget_minutes * 60:
                                if not budget_hit:
                                    print(f"budget of {a.budget_minutes:g} min used up: skipping the remaining runs",
                                          flush=True)
                                    meta["notes"].append(
                                        f"--budget-minutes {a.budget_minutes:g} used up: later runs were skipped")
                                    budget_hit = True
                                continue
                            if a.isolate:
                                handles[k.name] = start_kind(k, topo)
                            h = handles.get(k.name)
                            if h is None:
                                continue
                            if not h.alive():
                                print(f"[{k.name}/{topo}] server died; restarting it once", flush=True)
                                tail = h.log_tail()
                                meta["notes"].append(f"{k.name} {topo}: server died before run "
                                                     f"c={c} w={w:g} rep={rep}; restarted")
                                with open(os.path.join(out, f"server-died-{k.name}-{topo}-{run_no}.log"), "w") as f:
                                    f.write(tail)
                                try:
                                    h.stop()
                                except Exception:
                                    pass
                                h = handles[k.name] = start_kind(k, topo)
                                if h is None:
                                    continue
                            run_no += 1
                            cmd = [a.loadgen, "--servers", h.connect_string, "--clients", str(c),
                                   "--write-ratio", f"{w:g}", "--outstanding", str(a.outstanding),
                                   "--keys", str(a.keys), "--value-size", str(a.value_size),
                                   "--duration", f"{a.duration:g}", "--warmup", f"{a.warmup:g}",
                                   "--session-timeout", str(a.session_timeout), "--json"]
                            plot = None
                            if a.per_run_plots:
                                plot = os.path.join(out, "runs", f"{run_no:04d}-{topo}-{k.name}-c{c}-w{w:g}-r{rep}.svg")
                                cmd += ["--plot", plot]
                            timeout = a.warmup + a.duration + bl.connect_allowance(c)
                            row = bl.run_driver(cmd, h, timeout, mntr_ports=getattr(h, "ports", None) or
                                                getattr(getattr(h, "cluster", None), "client_ports", None),
                                                busy_seconds=a.duration, cpus=a.pin[1])
                            row.update({"run": run_no, "topology": topo, "server": k.name, "clients": c,
                                        "write_ratio": w, "repeat": rep, "force_sync": a.force_sync,
                                        "connect_string": h.connect_string,
                                        "plot": os.path.relpath(plot, out) if plot and os.path.exists(plot) else None})
                            rows.append(row)
                            bl.append_jsonl(jsonl, row)
                            res = row.get("result") or {}
                            if row["ok"]:
                                print(f"[{run_no}/{nruns}] {topo} {k.name:10s} c={c:<6} w={w:<4g} rep={rep} "
                                      f"{res.get('throughput_ops_s', 0):>10,.0f} ops/s  "
                                      f"p99 {bl.fmt_ms(bl.lat_ms(res, 'all', 'p99'))} ms  "
                                      f"err {bl.error_count(res)}  srv {bl.fmt(row.get('server_cpu_us_per_op'))} µs/op  "
                                      f"({row['wall_s']:.0f}s)", flush=True)
                            else:
                                print(f"[{run_no}/{nruns}] {topo} {k.name:10s} c={c:<6} w={w:<4g} rep={rep} "
                                      f"FAILED: {row['error'].splitlines()[0][:200]}", flush=True)
                            if a.isolate:
                                h.stop()
                                handles[k.name] = None
                            time.sleep(a.pause)
            for name, h in list(handles.items()):
                if h is not None:
                    h.stop()
                handles[name] = None
            write_report(out, rows, meta)
    except (KeyboardInterrupt, Stop):
        interrupted = True
        print("interrupted: stopping servers and writing the partial report", flush=True)
        meta["notes"].append("the matrix was interrupted; results are partial")
    finally:
        for h in handles.values():
            if h is not None:
                try:
                    h.stop()
                except Exception:
                    pass
        meta["finished_utc"] = bl.utc_iso()
        meta["elapsed_min"] = round((time.monotonic() - t_start) / 60, 1)
        save_meta()
        write_report(out, rows, meta)
    left = zkharness.leftover_java_pids()
    if left:
        print(f"warning: ZooKeeper JVMs still running: {left}", file=sys.stderr)
    print(f"done in {(time.monotonic() - t_start) / 60:.1f} min: {len(rows)} runs, "
          f"{sum(1 for r in rows if r['ok'])} ok; see {os.path.join(out, 'results.md')}", flush=True)
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
