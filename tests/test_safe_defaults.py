"""Safe defaults (issue 7, item 7): the demo on localhost only and saying so, XSRF protection
on, the secrets file ignored by git with a documented example, and no database password in
any error message or log line (the app's, the command's, the engine's).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
import streamlit as st

from sessionscope import cli
from sessionscope.db import check_connection, make_engine, safe_url
from sessionscope.errors import DatabaseUnavailable
from sessionscope.settings import PROJECT_ROOT, load_settings
from tests import factories as f
from tests.pages.client import open_app
from tests.pages.explorer_view import rendered

STREAMLIT_DIR = PROJECT_ROOT / ".streamlit"
SECRETS = ".streamlit/secrets.toml"
EXAMPLE = ".streamlit/secrets.example.toml"
# Not the project's: dependencies, caches, generated output.
_SKIP_DIRS = {".venv", ".git", ".ruff_cache", ".pytest_cache", "test-output", "data", "build"}


def project_files() -> Iterator[Path]:
    for root, dirs, files in os.walk(PROJECT_ROOT):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info")]
        yield from (Path(root) / name for name in files)


def make_recipe(target: str) -> str:
    """The recipe of a Makefile target: its tab-indented lines, continuations joined."""
    lines = (PROJECT_ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return "\n".join(recipe).replace("\\\n", " ")


# --- the demo: localhost only, and it says so ---------------------------------------------------


def test_make_run_serves_the_demo_on_localhost_only_and_says_so() -> None:
    recipe = make_recipe("run")
    serve = next(line for line in recipe.splitlines() if "streamlit run" in line)
    assert "SESSIONSCOPE_DEMO=1" in serve
    assert re.search(r"--server\.address[= ]127\.0\.0\.1(\s|$)", serve), serve
    announce = next(line for line in recipe.splitlines() if line.startswith("@echo"))
    assert "demo mode, localhost only" in announce and "http://localhost:" in announce
    assert "0.0.0.0" not in (PROJECT_ROOT / "Makefile").read_text()


def test_demo_mode_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    assert load_settings().demo is False
    monkeypatch.setenv("SESSIONSCOPE_DEMO", "1")
    assert load_settings().demo is True


def test_the_demo_banner_says_localhost_only(
    fresh_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_engine.begin() as conn:
        acme = f.org(conn, id="org_acme", slug="acme", name="Acme Corp")
        f.member(conn, acme, email="admin@acme.example", role="admin")
    monkeypatch.setenv("DATABASE_URL", fresh_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SESSIONSCOPE_DEMO", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = open_app(email=None)  # no identity (AppTest's default is test@example.com)
        assert not at.exception
        banner = at.info[0].value
        assert "Demo mode" in banner and "Served on localhost only." in banner
    finally:
        from components import data

        data.engine().dispose()
        st.cache_data.clear()
        st.cache_resource.clear()


# --- Streamlit's own settings -------------------------------------------------------------------


def test_streamlit_config_binds_localhost_with_xsrf_on_and_no_error_details() -> None:
    config = tomllib.loads((STREAMLIT_DIR / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"].get("enableCORS", True) is True  # XSRF needs CORS protection on
    assert config["client"]["showErrorDetails"] == "none"


_XSRF_OFF = re.compile(r"enable(Xsrf|CORS)\w*\s*[=:]\s*[\"']?(false|0)\b", re.IGNORECASE)
_XSRF_OFF_FLAG = re.compile(r"--server\.enable(Xsrf|CORS)\w*[= ]+(false|0)\b", re.IGNORECASE)


def test_nothing_in_the_project_turns_xsrf_or_cors_protection_off() -> None:
    """No config.toml (at any depth), Makefile, script or doc switches them off."""
    offending = []
    for path in project_files():
        if path.suffix in {".png", ".db", ".lock", ".pyc"} or path == Path(__file__):
            continue
        text = path.read_text(errors="ignore")
        pattern = _XSRF_OFF if path.name == "config.toml" else _XSRF_OFF_FLAG
        offending += [f"{path}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offending == []
    configs = [
        p for p in project_files() if p.name == "config.toml" and p.parent.name == ".streamlit"
    ]
    assert configs == [STREAMLIT_DIR / "config.toml"]


# --- secrets: ignored by git, with a documented example -----------------------------------------


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), *args], capture_output=True, text=True, check=False
    )


def test_the_secrets_file_is_ignored_and_the_example_is_tracked() -> None:
    if not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.fail("needs a git clone of the project and git (apt-get install git)")
    assert git("check-ignore", "-q", SECRETS).returncode == 0
    assert git("check-ignore", "-q", EXAMPLE).returncode == 1  # not ignored
    assert git("ls-files", "--error-unmatch", EXAMPLE).returncode == 0
    tracked = git("ls-files").stdout.splitlines()
    assert not [p for p in tracked if Path(p).name == "secrets.toml"]


def test_the_secrets_example_documents_auth_with_placeholders_only() -> None:
    text = (PROJECT_ROOT / EXAMPLE).read_text()
    auth = tomllib.loads(text)["auth"]
    assert set(auth) == {
        "redirect_uri",
        "cookie_secret",
        "client_id",
        "client_secret",
        "server_metadata_url",
    }  # what st.login needs for one provider
    for key in ("cookie_secret", "client_id", "client_secret"):
        assert "REPLACE-ME" in auth[key], key
    assert urlsplit(auth["server_metadata_url"]).hostname.endswith(".example.com")
    assert urlsplit(auth["redirect_uri"]).hostname == "localhost"
    assert auth["redirect_uri"].endswith("/oauth2callback")
    lines = text.splitlines()
    for i, line in enumerate(lines):  # every key has a comment just above it
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), line
    assert SECRETS in text and "never commit" in text.lower()


def test_the_readme_configuration_section_points_to_the_example() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert f"`{EXAMPLE}`" in section and "gitignored" in section


# --- no password in an error message or a log line ---------------------------------------------

# Unreachable servers (port 1 refuses at once); each password once as typed, once encoded.
UNREACHABLE = [
    ("postgresql+psycopg://viewer:hunter2-Secret@127.0.0.1:1/app", "hunter2-Secret"),
    ("postgresql://viewer:p%40ss%3Aw%2Frd@127.0.0.1:1/app", "p@ss:w/rd"),
    ("postgresql+psycopg://viewer@127.0.0.1:1/app?password=q-S3cret", "q-S3cret"),
    ("postgresql+psycopg://viewer:refused@127.0.0.1:1/app", "refused"),  # also in the error
]
MALFORMED = [
    ("postgresql+psycopg://viewer:hunter2-Secret@db:notaport/app", "hunter2-Secret"),
    ("postgresql+psycopg://viewer:hunter2-Secret@[::1/app", "hunter2-Secret"),
    ("postgresql+nodriver://viewer:hunter2-Secret@db/app", "hunter2-Secret"),
]


def _no_password(text: str, password: str) -> None:
    for form in (password, quote(password, safe="")):  # as typed, as in a URL
        assert form not in text, text


@pytest.mark.parametrize(("url", "password"), UNREACHABLE + MALFORMED)
def test_engine_errors_name_database_url_without_the_password(url: str, password: str) -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        check_connection(make_engine(url, statement_timeout_ms=1000))
    message = str(caught.value)
    assert message.startswith("DATABASE_URL") and "\n" not in message
    _no_password(message, password)


@pytest.mark.parametrize(("url", "password"), UNREACHABLE)
def test_safe_url_masks_every_form_of_the_password(url: str, password: str) -> None:
    masked = safe_url(url)
    _no_password(masked, password)
    assert "***" in masked and "127.0.0.1:1/app" in masked


@pytest.mark.parametrize(("url", "password"), UNREACHABLE[:1] + MALFORMED[:1])
def test_the_command_prints_one_line_without_the_password(
    url: str, password: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["db", "upgrade"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "DATABASE_URL" in err
    assert "Traceback" not in err
    _no_password(err, password)


@pytest.mark.parametrize(("url", "password"), UNREACHABLE[:1] + UNREACHABLE[2:3] + MALFORMED[:1])
def test_the_app_shows_and_logs_no_password(
    url: str, password: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("SESSIONSCOPE_DEMO", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    caplog.set_level(logging.DEBUG)
    try:
        at = open_app()  # as analyst@acme.example
        assert not at.exception
        assert "The database is not available right now." in at.error[0].value
        assert "DATABASE_URL" in at.error[0].value and at.button(key="frame_retry")
        _no_password(rendered(at), password)
        _no_password("\n".join(r.getMessage() for r in caplog.records), password)
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
