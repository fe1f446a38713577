"""Run one MCP scenario (server + client as subprocesses) and return the client's summary."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.mcp_scenarios.sidevenv import ensure_mcp1_venv

HERE = Path(__file__).parent
FAMILIES = ("v2-builtin", "v2-recorder", "v1-openllmetry")
TRANSPORTS = ("stdio", "http")
SERVER_SERVICE_NAME = "docs-mcp"
CLIENT_SERVICE_NAME = "scenario-client"
# Measured: a whole scenario takes 2-4 s; these bounds only stop a wedged run from hanging tests.
CLIENT_TIMEOUT_S = 90
SERVER_START_TIMEOUT_S = 30
SERVER_STOP_TIMEOUT_S = 15


class ScenarioError(RuntimeError):
    """A scenario process failed, timed out, or printed no summary."""


@dataclass(frozen=True)
class Pair:
    """The interpreter and scripts that make up one scenario family."""

    python: Path
    server: Path
    client: Path
    server_args: tuple[str, ...]
    client_args: tuple[str, ...]


def pair_for(family: str, *, mode: str = "auto") -> Pair:
    """Return the server/client scripts for a family ('v2-builtin', 'v2-recorder', ...)."""
    if family == "v1-openllmetry":
        server, client = HERE / "server_v1_openllmetry.py", HERE / "client_v1.py"
        return Pair(ensure_mcp1_venv(), server, client, (), ())
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")
    telemetry = family.removeprefix("v2-")
    return Pair(
        Path(sys.executable),
        HERE / "server_v2.py",
        HERE / "client_v2.py",
        ("--telemetry", telemetry),
        ("--server-telemetry", telemetry, "--mode", mode),
    )


def role_env(env: dict[str, str], service_name: str) -> dict[str, str]:
    """Return os.environ + env, naming the service unless env already does."""
    merged = {**os.environ, **env}
    merged.setdefault("OTEL_SERVICE_NAME", service_name)
    return merged


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    """Block until the server accepts TCP connections, or raise if it dies or stalls."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ScenarioError(f"server exited with {proc.returncode}:\n{tail(log)}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise ScenarioError(f"server did not listen on {port} in {SERVER_START_TIMEOUT_S}s")


def stop_gracefully(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server so it flushes its spans; SIGKILL it if it does not exit in time."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
        raise ScenarioError("server ignored SIGTERM; killed (its spans may be lost)") from None


def tail(log: IO[bytes], limit: int = 4000) -> str:
    """Return the end of a subprocess log file."""
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-limit:]


def run_client(pair: Pair, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run the client to completion and parse the JSON summary on its last stdout line."""
    cmd = [str(pair.python), str(pair.client), *args, *pair.client_args]
    try:
        done = subprocess.run(
            cmd, env=env, capture_output=True, timeout=CLIENT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ScenarioError(f"client timed out after {CLIENT_TIMEOUT_S}s: {cmd}") from exc
    stderr = done.stderr.decode(errors="replace")[-4000:]
    if done.returncode != 0:
        raise ScenarioError(f"client exited with {done.returncode}:\n{stderr}")
    lines = done.stdout.decode().strip().splitlines()
    if not lines:
        raise ScenarioError(f"client printed no summary:\n{stderr}")
    return json.loads(lines[-1])


def run_stdio(pair: Pair, env: dict[str, str]) -> dict[str, Any]:
    """Let the client spawn the server over stdio (it closes stdin, the server flushes)."""
    server_env = ["--server-env", f"OTEL_SERVICE_NAME={SERVER_SERVICE_NAME}"]
    if "OTEL_SERVICE_NAME" in env:
        server_env = []
    client_env = role_env(env, CLIENT_SERVICE_NAME)
    return run_client(pair, ["--transport", "stdio", *server_env], client_env)


def run_http(pair: Pair, env: dict[str, str]) -> dict[str, Any]:
    """Start the server on a free port, run the client against it, then stop the server."""
    port = free_port()
    cmd = [str(pair.python), str(pair.server), "--transport", "http", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*cmd, *pair.server_args],
            env=role_env(env, SERVER_SERVICE_NAME),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        try:
            wait_until_listening(port, proc, log)
            url = f"http://127.0.0.1:{port}/mcp"
            summary = run_client(
                pair, ["--transport", "http", "--url", url], role_env(env, CLIENT_SERVICE_NAME)
            )
        finally:
            stop_gracefully(proc)
        summary["server_exit_code"] = proc.returncode
    return summary


def run_scenario(
    family: str, transport: str, env: dict[str, str], *, mode: str = "auto"
) -> dict[str, Any]:
    """Run family x transport with env added to both processes; return the client's summary."""
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}; expected one of {TRANSPORTS}")
    pair = pair_for(family, mode=mode)
    summary = run_stdio(pair, env) if transport == "stdio" else run_http(pair, env)
    summary["family"] = family
    return summary


if __name__ == "__main__":
    print(json.dumps(run_scenario(sys.argv[1], sys.argv[2], {}), indent=2))
