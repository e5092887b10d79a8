"""The workshop app, cold: from ``urbsim workshop`` to the baseline shown, and from Run to a result.

Run: ``.venv/bin/python -m benchmarks.workshop [--repeat 3] [--households 30000 --seeds 4
--steps 20] [--burst 10]`` (needs Debian's ``chromium``, but not with ``--burst``: ``apt-get
install chromium``).

Each try is a fresh server (``python -m urbsim workshop --port P --households N --seeds S
--steps Y``, the app's defaults for the shipped baseline stated explicitly: 30,000 × 4 × 20),
in its own process group, and a fresh browser context (no cache) in headless chromium, which
is started once beforehand (a workshop's browser is already open):

1. *start*: from just before the server process is spawned to the baseline shown in the page:
   the page is loaded as soon as the server accepts connections, and the clock stops when the
   status says ``Finished: S seeds × N households × Y years.`` and the headline table has its
   row of moves per year. This is the server's start-up (imports, the shipped scenarios, the
   city), the baseline's runs in the background process (with its own start-up), the page's
   first session and its first drawing.
2. *run*: in the same page, one lever changed (the random-selection citizen panel switched on,
   its shipped settings: with the levers equal to the baseline Run shows the cached baseline at
   once, computing nothing), from clicking Run to the new result shown: the status says
   ``Finished: ...`` and the result's label names ``Try 2``. This is a background process
   started for the run, the tried scenario's seeds, and drawing the table and figures.

``--burst N`` times instead a room pressing Run at once, without a browser: the server's
:class:`~urbsim.interfaces.workshop.jobs.Runner` (its run process warm from a tiny job, as
after the baseline), then ``N`` different requests of the run settings (seeds ``kS ..
kS + S - 1`` for the ``k``-th) submitted together and polled every 0.25 s as sessions poll;
it prints the seconds from the burst to each job done. It uses only ``Runner()``,
``submit`` and ``poll``, so it measures an older commit the same way (from its worktree with
``PYTHONPATH=src:.``).

Before the timed tries one untimed try at a tiny size fills numba's cache of compiled kernels
and the operating system's file cache (``--no-warm-up`` skips it), so "cold" means a new
server process, as when a facilitator starts the app on a machine where urbsim has run
before. The server's working directory is a temporary one (no ``calibration/posterior.csv``
is picked up). The machine's load average is printed with the figures: a loaded machine
inflates both.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.startup import child_env

CHROMIUM = shutil.which("chromium")
"""Debian's chromium (the browser the workshop's browser tests drive)."""
SIZE = (30_000, 4, 20)
"""The app's default run settings for the shipped baseline: households, seeds, years."""
TINY = (2_000, 1, 2)
"""The warm-up try's run settings."""
LEVER = ".lever-events-panel input[type=checkbox]"
"""The lever switched on before Run: the random-selection citizen panel."""


@dataclass(frozen=True)
class Try:
    """One cold try: seconds to the baseline shown and from Run to the result shown, and the
    headline table's rows that were shown."""

    start: float
    """Seconds from spawning ``urbsim workshop`` to the baseline shown in the page."""
    run: float
    """Seconds from clicking Run to the tried result shown."""
    baseline: list[str]
    """The cells of the row "moves per year" once the baseline was shown."""
    tried: list[str]
    """The cells of the row "panel acceptance" once the tried result was shown."""
    up: float = math.nan
    """Of :attr:`start`: seconds to the server accepting connections."""
    page: float = math.nan
    """Of :attr:`start`: seconds to the page loaded (its first session built)."""
    server: int = 0
    """The server's process id, also its process group's (ended when the try returns)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """End the server and every process of its group (its run processes too): SIGTERM, then
    SIGKILL what is left after 10 s."""
    pgid = proc.pid  # start_new_session: the server leads its own group
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader
            try:
                os.killpg(pgid, 0)  # anyone left in the group?
            except ProcessLookupError:
                proc.wait()
                return
            time.sleep(0.1)
    proc.wait()


def _row(page: Any, label: str, timeout: float) -> list[str]:
    """The cells of the headline table's row for ``label`` (waiting for it)."""
    row = page.locator(".urbsim-effects tr", has_text=label).first
    row.locator("td").last.wait_for(timeout=timeout)
    return [c.strip() for c in row.locator("td").all_inner_texts()]


def measure(browser: Any, households: int = SIZE[0], seeds: int = SIZE[1],
            steps: int = SIZE[2], timeout: float = 900.0) -> Try:
    """One cold try (see the module's docstring) in ``browser`` (a Playwright ``Browser``)
    against a fresh server at these run settings; waits at most ``timeout`` seconds for each
    of the server, the baseline and the result.

    Raises:
        RuntimeError: the server did not start (with its log's end).
    """
    wait = timeout * 1000  # Playwright's milliseconds
    finished = f"Finished: {seeds} seeds × {households:,} households × {steps} years."
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "urbsim", "workshop", "--port", str(port), "--households",
           str(households), "--seeds", str(seeds), "--steps", str(steps)]
    with tempfile.TemporaryDirectory(prefix="urbsim-workshop-bench-") as tmp:
        log = Path(tmp) / "server.log"
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        try:
            with log.open("w") as out:
                t0 = time.perf_counter()
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=tmp,
                                        env=child_env(), start_new_session=True)
            try:
                deadline = time.monotonic() + timeout
                while True:  # a connection, not a request: a GET would open a session
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if proc.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError("the workshop did not start:\n"
                                               + log.read_text()[-3000:]) from None
                        time.sleep(0.05)
                up = time.perf_counter() - t0
                page.goto(url, timeout=wait)
                loaded = time.perf_counter() - t0
                page.locator(".urbsim-status", has_text=finished).wait_for(timeout=wait)
                baseline = _row(page, "moves per year", wait)
                start = time.perf_counter() - t0

                page.locator(LEVER).check(timeout=wait)
                page.locator(".urbsim-levers-now", has_text="Random-selection citizen panel") \
                    .wait_for(timeout=wait)
                t1 = time.perf_counter()
                page.locator(".urbsim-run button").click(timeout=wait)
                page.locator(".urbsim-changes", has_text="Try 2").wait_for(timeout=wait)
                page.locator(".urbsim-status", has_text=finished).wait_for(timeout=wait)
                tried = _row(page, "panel acceptance", wait)
                run = time.perf_counter() - t1
            finally:
                _stop(proc)
        finally:
            context.close()
    return Try(start, run, baseline, tried, up, loaded, proc.pid)


def launch(playwright: Any) -> Any:
    """Headless Debian chromium (no sandbox when running as root), as the browser tests run it.

    Raises:
        SystemExit: chromium is not installed.
    """
    if CHROMIUM is None:
        raise SystemExit("chromium not found: apt-get install chromium (scripts/setup.sh)")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--no-sandbox"] if root else [])


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def burst(n: int, households: int = SIZE[0], seeds: int = SIZE[1],
          steps: int = SIZE[2]) -> list[float]:
    """Seconds from submitting ``n`` different requests at once to each job done, in the
    order submitted (see the module's docstring).

    Raises:
        RuntimeError: a job failed or was cancelled.
    """
    from urbsim.inputs import scenario as sc
    from urbsim.interfaces.workshop.jobs import Request, Runner

    params = sc.load("baseline").params()
    runner = Runner()
    try:
        warm = runner.submit([Request(params.model_copy(update={"households": TINY[0]}),
                                      (0,), TINY[2])])
        while warm is not None and warm.poll() == "running":
            time.sleep(0.25)
        time.sleep(5.0)  # the runner's process waits with its kernels loaded, as after the baseline
        size = params.model_copy(update={"households": households})
        t0 = time.perf_counter()
        jobs = [runner.submit([Request(size, tuple(range(k * seeds, (k + 1) * seeds)), steps)])
                for k in range(n)]
        done: dict[int, float] = {}
        while len(done) < n:
            for k, job in enumerate(jobs):
                if k not in done and job is not None and job.poll() != "running":
                    if job.state != "done":
                        raise RuntimeError(f"job {k}: {job.state} {job.error}")
                    done[k] = time.perf_counter() - t0
            time.sleep(0.25)
        return [done[k] for k in range(n)]
    finally:
        runner.close()


def main(argv: list[str] | None = None) -> int:
    """Time ``--repeat`` cold tries and print each, the medians and a line to quote."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed tries, each a fresh server")
    ap.add_argument("--households", type=int, default=SIZE[0])
    ap.add_argument("--seeds", type=int, default=SIZE[1])
    ap.add_argument("--steps", type=int, default=SIZE[2])
    ap.add_argument("--no-warm-up", action="store_true",
                    help="skip the untimed tiny try that fills numba's and the disk's caches")
    ap.add_argument("--timeout", type=float, default=900.0,
                    help="seconds to wait for the server, the baseline or a result")
    ap.add_argument("--burst", type=int, default=0, metavar="N",
                    help="time N Runs pressed at once instead (no browser)")
    ap.add_argument("--json", type=Path, help="also write the medians to this file (for "
                                              "`python -m benchmarks`)")
    a = ap.parse_args(argv)
    from benchmarks.__main__ import machine

    size = f"{a.households:,} households × {a.seeds} seeds × {a.steps} years"
    print(f"Machine: {machine()}.", flush=True)
    print(f"Before: {_load()}.", flush=True)
    if a.burst:
        bursts = []
        for k in range(a.repeat):
            times = burst(a.burst, a.households, a.seeds, a.steps)
            bursts.append(times)
            print(f"burst {k + 1}: {a.burst} Runs of {size} pressed at once: each done after "
                  f"{', '.join(f'{t:.1f}' for t in times)} s; median {statistics.median(times):.1f}"
                  f" s, all done {max(times):.1f} s ({_load()})", flush=True)
        if a.json:
            a.json.write_text(json.dumps({
                "first (s)": statistics.median(min(b) for b in bursts),
                "median (s)": statistics.median(statistics.median(b) for b in bursts),
                "all done (s)": statistics.median(max(b) for b in bursts)}))
        return 0
    from playwright.sync_api import sync_playwright

    tries: list[Try] = []
    with sync_playwright() as p:
        browser = launch(p)
        try:
            if not a.no_warm_up:
                w = measure(browser, *TINY, timeout=a.timeout)
                print(f"warm-up ({TINY[0]:,} × {TINY[1]} × {TINY[2]}, untimed): start "
                      f"{w.start:.1f} s, run {w.run:.1f} s", flush=True)
            for k in range(a.repeat):
                t = measure(browser, a.households, a.seeds, a.steps, timeout=a.timeout)
                assert all(0 < x < math.inf for x in (t.start, t.run)), t
                tries.append(t)
                print(f"try {k + 1}: urbsim workshop to the baseline shown {t.start:.1f} s "
                      f"(server up {t.up:.1f} s, page loaded {t.page:.1f} s); Run to the result "
                      f"shown {t.run:.1f} s ({_load()})", flush=True)
        finally:
            browser.close()
    start = statistics.median(t.start for t in tries)
    run = statistics.median(t.run for t in tries)
    print(f"After: {_load()}.")
    print(f"Median of {len(tries)} cold tries ({size}): start {start:.1f} s, run {run:.1f} s; "
          f"each: start {', '.join(f'{t.start:.1f}' for t in tries)} s; "
          f"run {', '.join(f'{t.run:.1f}' for t in tries)} s.")
    if a.json:
        a.json.write_text(json.dumps({"start (s)": start, "run (s)": run}))
    print(f"\nTo quote: from `urbsim workshop` to the baseline shown {start:.1f} s, and from Run "
          f"to a {a.households:,} × {a.seeds} × {a.steps} result shown {run:.1f} s "
          f"(measured cold, a fresh server each time, median of {len(tries)}, on "
          f"{os.cpu_count()} cores, {platform.system()}, headless chromium).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
