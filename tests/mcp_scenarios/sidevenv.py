"""Build (once) the side venv that runs mcp 1.x with OpenLLMetry, apart from mcp 2.x."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from sessionscope.settings import PROJECT_ROOT

REQUIREMENTS = Path(__file__).with_name("requirements-mcp1.txt")
VENV_DIR = PROJECT_ROOT / "build" / "mcp1-venv"
STAMP_NAME = ".requirements-sha256"
# Measured on 2 cores: 18.5 s with an empty pip cache, 13.8 s with a warm one; the
# timeout only leaves room for a slow mirror.
INSTALL_TIMEOUT_S = 600


class SideVenvError(RuntimeError):
    """The mcp 1.x side venv could not be built."""


def requirements_hash(path: Path = REQUIREMENTS) -> str:
    """Return the sha256 of the pinned requirements file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def venv_python(venv_dir: Path = VENV_DIR) -> Path:
    """Return the python executable inside a venv folder."""
    return venv_dir / "bin" / "python"


def is_current(venv_dir: Path = VENV_DIR, requirements: Path = REQUIREMENTS) -> bool:
    """Tell whether the venv exists and was installed from these exact pins."""
    stamp = venv_dir / STAMP_NAME
    if not (venv_python(venv_dir).exists() and stamp.exists()):
        return False
    return stamp.read_text().strip() == requirements_hash(requirements)


def _run(cmd: list[str], what: str) -> None:
    """Run one build step, raising SideVenvError with its output on failure."""
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SideVenvError(f"{what} timed out after {INSTALL_TIMEOUT_S}s: {cmd}") from exc
    if done.returncode != 0:
        raise SideVenvError(
            f"{what} failed ({done.returncode}). Install the pins by hand with\n"
            f"  {sys.executable} -m venv {VENV_DIR}\n"
            f"  {VENV_DIR}/bin/python -m pip install --require-hashes -r {REQUIREMENTS}\n"
            f"(it needs PyPI access for mcp 1.x and opentelemetry-instrumentation-mcp).\n"
            f"{done.stderr[-3000:]}"
        )


def ensure_mcp1_venv(venv_dir: Path = VENV_DIR, requirements: Path = REQUIREMENTS) -> Path:
    """Return the side venv's python, building it first if the pins changed."""
    if is_current(venv_dir, requirements):
        return venv_python(venv_dir)
    stamp = venv_dir / STAMP_NAME
    stamp.unlink(missing_ok=True)
    _run([sys.executable, "-m", "venv", "--clear", str(venv_dir)], "python -m venv")
    pip = [str(venv_python(venv_dir)), "-m", "pip", "install", "--quiet"]
    _run([*pip, "--require-hashes", "--no-deps", "-r", str(requirements)], "pip install")
    stamp.write_text(requirements_hash(requirements) + "\n")
    return venv_python(venv_dir)


if __name__ == "__main__":
    print(ensure_mcp1_venv())
