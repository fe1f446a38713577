"""A `streamlit run` of the app on a free localhost port, for browser tests and the bench."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from sessionscope.settings import PROJECT_ROOT

SERVER_START_TIMEOUT_S = 60
# Believe X-Forwarded-Email from loopback (Streamlit's default allow-list).
TRUSTED_HEADER = '--server.trustedUserHeaders={"X-Forwarded-Email": "email"}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run dashboard_app.py` (or `script`) on a free localhost port, stopped at
    teardown; in demo mode unless `env` says otherwise."""

    def __init__(
        self,
        database_url: str,
        *,
        extra_args: tuple[str, ...] = (),
        script: str = "dashboard_app.py",
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url  # for tests that check what the app wrote
        env = {**os.environ, "DATABASE_URL": database_url, "SESSIONSCOPE_DEMO": "1", **(env or {})}
        self.log = PROJECT_ROOT / "test-output" / f"streamlit-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "streamlit", "run", script, f"--server.port={self.port}"]
        cmd += ["--server.address=127.0.0.1", "--server.headless=true"]
        cmd += ["--server.fileWatcherType=none", *extra_args]
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"streamlit did not start in {SERVER_START_TIMEOUT_S}s: see {self.log}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
