"""How busy the machine was while the benchmark ran, measured by the run itself.

A thread samples every SAMPLE_S seconds: the 1-minute load average (/proc/loadavg) and the
CPU time of every process that is not this run's. This run's processes are this process and
its descendants (Streamlit servers, Chromium, Datasette) and the benchmark's PostgreSQL (the
embedded one's bench/data/pg/postmaster.pid, or DATABASE_URL's on a local Unix socket, and
the postmaster's children); everything else is "others"
(another test suite, a CI job), kernel threads left out. The machine's busy CPU time comes
from /proc/stat. Each figure is kept per phase of the run (data sets, server side, ...).

A process of others that starts and ends between two samples is not seen, so others' CPU
time is a lower bound; a few seconds of it in a phase is enough to say the phase shared
the machine.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy.engine import make_url

SAMPLE_S = 2.0
POSTMASTER_PID = Path(__file__).resolve().parent / "data" / "pg" / "postmaster.pid"
QUIET_CPUS = 0.1  # others' average use, in CPUs, under which a phase counts as quiet


def _busy_s() -> float:
    """CPU seconds the machine has spent busy since boot, all CPUs (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _postmaster_files() -> list[Path]:
    """The embedded server's postmaster.pid, and the lock file of DATABASE_URL's server when
    it listens on a Unix socket of this machine (`.s.PGSQL.<port>.lock`, whose first line is
    the postmaster's pid): the database this run measures is not "others"."""
    files = [POSTMASTER_PID]
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith("postgresql"):
        with contextlib.suppress(ValueError):
            url = make_url(given)
            host, port = url.query.get("host") or url.host, url.query.get("port") or url.port
            if isinstance(host, str) and host.startswith("/"):
                files.append(Path(host) / f".s.PGSQL.{port or 5432}.lock")
    return files


def _ours() -> set[int]:
    me = psutil.Process()
    pids = {me.pid, *(c.pid for c in me.children(recursive=True))}
    for pid_file in _postmaster_files():
        with contextlib.suppress(OSError, ValueError, psutil.Error):
            postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
            pids |= {postmaster.pid, *(c.pid for c in postmaster.children(recursive=True))}
    return pids


class Monitor:
    """Start it at the run's start, call phase(name) as the run moves on, stop() at the end."""

    def __init__(self) -> None:
        self.started = time.time()
        self.load_start = os.getloadavg()
        self._phases: dict[str, dict[str, float]] = {}
        self._phase = ""
        self._seen: dict[tuple[int, float], float] = {}  # (pid, create_time) -> CPU seen
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.phase("start")
        self._sample(first=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def phase(self, name: str) -> None:
        """From now on the figures count for `name`."""
        now, busy = time.time(), _busy_s()
        with self._lock:
            self._close(now, busy)
            self._phase = name
            self._phases[name] = {
                "begin": now,
                "busy_begin": busy,
                "others_cpu_s": 0.0,
                "load_max": os.getloadavg()[0],
            }

    def _close(self, now: float, busy: float) -> None:
        p = self._phases.get(self._phase)
        if p is not None and "wall_s" not in p:
            p["wall_s"] = now - p["begin"]
            p["machine_cpu_s"] = busy - p["busy_begin"]

    def _sample(self, *, first: bool = False) -> None:
        ours, others = _ours(), 0.0
        seen: dict[tuple[int, float], float] = {}
        for proc in psutil.process_iter(["ppid", "cpu_times", "create_time"]):
            info = proc.info
            if proc.pid in ours or info["ppid"] == 2 or proc.pid == 2 or not info["cpu_times"]:
                continue  # ours, or a kernel thread
            key = (proc.pid, info["create_time"] or 0.0)
            cpu = info["cpu_times"].user + info["cpu_times"].system
            seen[key] = cpu
            if first:
                continue
            if key in self._seen:
                others += cpu - self._seen[key]
            elif key[1] >= self.started:  # started during the run: all of it
                others += cpu
        with self._lock:
            self._seen = seen
            p = self._phases[self._phase]
            p["others_cpu_s"] += max(0.0, others)
            p["load_max"] = max(p["load_max"], os.getloadavg()[0])

    def _run(self) -> None:
        while not self._done.wait(SAMPLE_S):
            with contextlib.suppress(psutil.Error, OSError):
                self._sample()

    def stop(self) -> dict[str, Any]:
        self._done.set()
        self._thread.join()
        with contextlib.suppress(psutil.Error, OSError):
            self._sample()
        with self._lock:
            self._close(time.time(), _busy_s())
            phases = {
                name: {k: round(v, 1) for k, v in p.items() if k in FIELDS}
                for name, p in self._phases.items()
                if name != "start" or p["wall_s"] >= 1
            }
        return {
            "load_average_start": list(self.load_start),
            "load_average_end": list(os.getloadavg()),
            "sample_s": SAMPLE_S,
            "phases": phases,
        }


FIELDS = ("wall_s", "machine_cpu_s", "others_cpu_s", "load_max")


def verdict(phase: dict[str, float]) -> str:
    """'quiet' or 'shared' from a phase's figures: others' average use in CPUs."""
    wall = phase.get("wall_s") or 0.0
    cpus = phase.get("others_cpu_s", 0.0) / wall if wall else 0.0
    return "quiet" if cpus < QUIET_CPUS else "shared"
