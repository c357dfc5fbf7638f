#!/usr/bin/env python3
"""Plumbing test of tuning/groupcommit.py against the fakes in this folder.

    python3 tuning/groupcommit.py --selftest      (or: python3 tuning/selftest/test_groupcommit.py)

No real ringkeeper or loadgen: fake_ringkeeper.py serves the handshake and
mntr from a Python stub (and claims not to know ringkeeper.txnLog.ioEngine),
fake_loadgen.py sleeps 1/20 of the run and prints made-up numbers. What is
checked is the plumbing: the plan, every setting reaching the server's
zoo.cfg, the ignored-key detection, bounded runs, results.jsonl, results.md
and well-formed SVG plots, --report, and that a server failing to start is
recorded rather than fatal.
"""

import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

SELFTEST = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(SELFTEST))
import groupcommit as gc  # noqa: E402

FAKE_RINGKEEPER = os.path.join(SELFTEST, "fake_ringkeeper.py")
FAKE_LOADGEN = os.path.join(SELFTEST, "fake_loadgen.py")
IGNORED_KEY = gc.ENGINE


def run_main(args, env=None):
    """groupcommit.main(args) with env set and stdout captured -> (exit code, stdout)."""
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            rc = gc.main(args)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return rc, buf.getvalue()


class QuickSweepAgainstFakes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="groupcommit-selftest-")
        cls.out = os.path.join(cls.tmp, "out")
        cls.rc, cls.stdout = run_main(
            ["--quick", "--ringkeeper", FAKE_RINGKEEPER, "--loadgen", FAKE_LOADGEN, "--pause", "0",
             "--data-dir", cls.tmp, "--out", cls.out],
            env={"FAKE_LOADGEN_TIME_SCALE": "0.05", "FAKE_RINGKEEPER_UNKNOWN_KEYS": IGNORED_KEY})
        cls.rows = gc.load_rows(os.path.join(cls.out, "results.jsonl"))
        with open(os.path.join(cls.out, "results.md")) as f:
            cls.md = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_planned_run_happens_once_and_succeeds(self):
        points, rounds = gc.plan(list(gc.SWEEPS), [100, 1000], 1, True, 1)
        self.assertEqual(self.rc, 0, self.stdout)
        self.assertEqual(len(self.rows), len(points) * 2)
        self.assertEqual(sorted((r["config"], r["clients"]) for r in self.rows),
                         sorted((p.key, c) for p, c in rounds[0]))
        self.assertTrue(all(r["ok"] for r in self.rows), [r.get("error") for r in self.rows])

    def test_each_setting_reaches_the_servers_zoo_cfg(self):
        for r in self.rows:
            for k, v in r["settings"].items():
                self.assertIn(f"{k}={v}", r["server_log_head"], r["config"])

    def test_the_servers_account_of_its_txn_log_is_kept_per_configuration(self):
        self.assertIn("## The server's own account of each configuration", self.md)
        for r in self.rows:
            self.assertTrue(r["server_txn_log"].startswith("stub, no log; "), r["server_txn_log"])
            self.assertIn(f"- `{r['config']}`: {r['server_txn_log']}", self.md)

    def test_a_key_the_server_calls_unknown_is_flagged_in_rows_and_report(self):
        for r in self.rows:
            expect = [IGNORED_KEY] if IGNORED_KEY in r["settings"] else []
            self.assertEqual(r["config_ignored_keys"], expect, r["config"])
        self.assertIn(f"The server ignored {IGNORED_KEY} as unknown keys", self.md)

    def test_rows_carry_window_rates_and_server_cpu(self):
        for r in self.rows:
            self.assertEqual(r["result"]["clients"], r["clients"])
            self.assertIsNotNone(r["server_cpu_s"])
            for k in ("dev_flushes_per_s", "dev_write_bytes_per_s", "syscw_per_s", "write_bytes_per_s",
                      "machine_busy_s_per_s", "other_cores_busy"):
                self.assertIn(k, r)
            self.assertIsNotNone(r["syscw_per_s"], "the stub's /proc/PID/io was sampled in the window")
            self.assertIsNotNone(r["machine_busy_s_per_s"], "/proc/stat was sampled in the window")

    def test_report_has_provenance_tables_and_plots(self):
        for text in ("Command:", "--quick", "git commit", "Load average", "What else was running",
                     "## (a) batchMaxBytes × waitMaxUs", "## (b) directIO × ioEngine", "## (c) preAllocSize",
                     "| 1,000 | 16K | 0 |", "| 100 | 1 MiB |", "writes per flush", "others' cores busy"):
            self.assertIn(text, self.md)
        plots = ["grid_throughput_c100.svg", "grid_p99_c1000.svg", "io_throughput.svg", "io_p99.svg",
                 "prealloc_throughput.svg", "prealloc_p99.svg"]
        for name in plots:
            self.assertIn(f"]({name})", self.md)
            root = ET.parse(os.path.join(self.out, name)).getroot()
            self.assertTrue(root.tag.endswith("svg"), name)
        bars = ET.parse(os.path.join(self.out, "io_throughput.svg")).getroot()
        self.assertEqual(len([e for e in bars.iter() if e.tag.endswith("rect") and e.find("{*}title") is not None]),
                         4, "one bar per (io mode, load shape)")

    def test_report_mode_rebuilds_the_same_tables_from_jsonl(self):
        os.remove(os.path.join(self.out, "results.md"))
        rc, _ = run_main(["--report", self.out])
        self.assertEqual(rc, 0)
        with open(os.path.join(self.out, "results.md")) as f:
            rebuilt = f.read()
        strip = [x for x in self.md.splitlines() if "report written" not in x]
        self.assertEqual([x for x in rebuilt.splitlines() if "report written" not in x], strip)


class Plan(unittest.TestCase):
    def test_full_plan_shares_the_default_point_and_interleaves_the_repeats(self):
        points, rounds = gc.plan(list(gc.SWEEPS), [100, 1000], 3, False, 1)
        # 16 grid points + 4 io modes + 4 preallocation sizes, 64 MiB being the grid's default point
        self.assertEqual(len(points), 16 + 4 + 3)
        self.assertEqual(len(rounds), 3)
        for order in rounds:
            self.assertEqual(sorted((p.key, c) for p, c in order), sorted((p.key, c) for p in points
                                                                          for c in (100, 1000)))
        self.assertNotEqual(rounds[0], rounds[1], "each round has its own order")
        self.assertEqual(gc.plan(list(gc.SWEEPS), [100], 2, False, 1), gc.plan(list(gc.SWEEPS), [100], 2, False, 1))

    def test_quick_keeps_two_points_per_sweep(self):
        for s in gc.SWEEPS:
            self.assertEqual(len(gc.sweep_points(s, True)), 2, s)

    def test_dry_run_prints_the_estimate_and_starts_nothing(self):
        rc, out = run_main(["--dry-run", "--ringkeeper", "/nonexistent"])
        self.assertEqual(rc, 0)
        self.assertIn("138 runs", out)
        self.assertIn("estimated", out)


class Failures(unittest.TestCase):
    def test_a_server_that_cannot_start_is_recorded_and_the_sweep_goes_on(self):
        tmp = tempfile.mkdtemp(prefix="groupcommit-selftest-")
        try:
            rc, out = run_main(["--quick", "--sweeps", "prealloc", "--clients", "100", "--ringkeeper", "/bin/false",
                                "--loadgen", FAKE_LOADGEN, "--pause", "0", "--data-dir", tmp,
                                "--out", os.path.join(tmp, "out")])
            self.assertEqual(rc, 0, out)
            rows = gc.load_rows(os.path.join(tmp, "out", "results.jsonl"))
            self.assertEqual(len(rows), 2)
            for r in rows:
                self.assertFalse(r["ok"])
                self.assertIn("server failed to start", r["error"])
            with open(os.path.join(tmp, "out", "results.md")) as f:
                self.assertIn("## Failed runs", f.read())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_a_tmpfs_data_dir_is_refused(self):
        if gc.bl.fs_of("/dev/shm")[0] != "tmpfs":
            self.skipTest("no tmpfs at /dev/shm")
        rc, _ = run_main(["--quick", "--ringkeeper", FAKE_RINGKEEPER, "--loadgen", FAKE_LOADGEN,
                          "--data-dir", "/dev/shm", "--out", "/dev/shm/never"])
        self.assertEqual(rc, 2)
        self.assertFalse(os.path.exists("/dev/shm/never"))


if __name__ == "__main__":
    sys.exit(0 if unittest.main(exit=False).result.wasSuccessful() else 1)
