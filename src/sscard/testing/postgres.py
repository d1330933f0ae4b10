"""A disposable PostgreSQL cluster on a temp dir and a free loopback port."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

BINDIR_ENV = "SSCARD_PG_BINDIR"

_PG_LIB_ROOT = Path("/usr/lib/postgresql")
_HOST = "127.0.0.1"
_SUPERUSER = "postgres"
# initdb and postgres refuse to run as root; Debian's package creates this user.
_OS_USER_FOR_ROOT = "postgres"
_LOCALES = ("C.UTF-8", "C")
_INITDB_FLAGS = ("-U", _SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")
_START_ATTEMPTS = 3
_WAIT_START = ("-w", "-t", "60")
_WAIT_STOP = ("-w", "-t", "30")
_SUBPROCESS_TIMEOUT_S = 120
_LOG_TAIL_LINES = 40
_LOG_NAME = "server.log"
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
# Fast, not durable: a crash may lose acknowledged commits, which a throwaway cluster
# for tests can afford. bench/services.postgres() turns all three back on, and a
# production PostgreSQL must keep them on.
_DEFAULT_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


def find_pg_bindir() -> Path | None:
    """Return the newest PostgreSQL server bin dir, or None if not installed."""
    override = os.environ.get(BINDIR_ENV)
    if override:
        path = Path(override)
        return path if _has_server_tools(path) else None
    installed = sorted(_installed_bindirs(_PG_LIB_ROOT), reverse=True)
    return next((bindir for _, bindir in installed if _has_server_tools(bindir)), None)


def _installed_bindirs(root: Path) -> list[tuple[tuple[int, ...], Path]]:
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        version = _version_key(child.name)
        if version is not None:
            found.append((version, child / "bin"))
    return found


def _version_key(name: str) -> tuple[int, ...] | None:
    parts = name.split(".")
    if not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts)


def _has_server_tools(bindir: Path) -> bool:
    return all(_is_executable(bindir / tool) for tool in ("initdb", "pg_ctl"))


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _server_os_user() -> str | None:
    """Name of the OS user to run the server as, or None for ourselves."""
    return _OS_USER_FOR_ROOT if os.geteuid() == 0 else None


def _chown_to(path: Path, user: str) -> None:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise RuntimeError(
            f"running as root requires the {user!r} system user (created by Debian's postgresql package)"
        ) from None
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields follow its last ")".
    return int(stat.rsplit(")", 1)[1].split()[1])


def _conf_line(name: str, value: str) -> str:
    if not _SETTING_NAME.match(name):
        raise ValueError(f"invalid PostgreSQL setting name: {name!r}")
    quoted = value.replace("'", "''")
    return f"{name} = '{quoted}'\n"


def _mentions_port_clash(log: str) -> bool:
    return "could not bind" in log or "could not create any TCP/IP sockets" in log


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _make_url(port: int, database: str) -> str:
    url = URL.create(
        "postgresql+psycopg",
        username=_SUPERUSER,
        host=_HOST,
        port=port,
        database=database,
    )
    return url.render_as_string(hide_password=False)


class TemporaryPostgres:
    """A throwaway PostgreSQL server that is deleted when stopped."""

    def __init__(
        self,
        *,
        bindir: Path | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the cluster; nothing runs until ``start``."""
        extra = dict(settings or {})
        if "port" in extra:
            raise ValueError("the port is chosen automatically; do not set it")
        self._bindir = bindir
        self._settings = {**_DEFAULT_SETTINGS, **extra}
        self._os_user = _server_os_user()
        self._base: Path | None = None
        self._port: int | None = None

    def __enter__(self) -> Self:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server and delete its files."""
        self.stop()

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database."""
        return _make_url(self.port, "postgres")

    @property
    def port(self) -> int:
        """TCP port the server listens on."""
        if self._port is None:
            raise RuntimeError("the PostgreSQL server is not running")
        return self._port

    @property
    def data_dir(self) -> Path:
        """Cluster data directory (holds the server log)."""
        return self._base_dir / "data"

    def start(self) -> str:
        """Create and start the cluster; return its SQLAlchemy URL."""
        if self._base is not None:
            raise RuntimeError("the PostgreSQL server is already started")
        bindir = self._bindir or find_pg_bindir()
        if bindir is None:
            raise RuntimeError(f"PostgreSQL binaries not found; set {BINDIR_ENV}")
        self._bindir = bindir
        self._base = self._make_base_dir()
        # Registered before the server exists so a failure half-way still cleans up.
        atexit.register(self.stop)
        try:
            self._initdb(bindir)
            self._write_conf()
            self._port = self._start_server(bindir)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stop the server (if running) and delete its directory."""
        base = self._base
        if base is None:
            return
        atexit.unregister(self.stop)
        try:
            if self._bindir is not None and (self.data_dir / "postmaster.pid").exists():
                self._pg_ctl(self._bindir, "stop", "-m", "immediate", *_WAIT_STOP)
        finally:
            shutil.rmtree(base, ignore_errors=True)
            self._base = None
            self._port = None

    def restart(self, mode: str = "fast") -> None:
        """Restart the server on the same port: ``fast`` ends every session first,
        ``immediate`` stops as a crash would and recovers from the WAL on start."""
        if mode not in {"smart", "fast", "immediate"}:
            raise ValueError(f"unknown shutdown mode: {mode!r}")
        bindir = self._bindir
        if bindir is None or self._port is None:
            raise RuntimeError("the PostgreSQL server is not running")
        stopped = self._pg_ctl(bindir, "stop", "-m", mode, *_WAIT_STOP)
        if stopped.returncode != 0:
            raise RuntimeError(f"pg_ctl stop -m {mode} failed: {stopped.stderr.strip()}")
        log_args = ("-l", str(self._log_file))
        started = self._pg_ctl(bindir, *log_args, *_WAIT_START, "-o", f"-p {self._port}", "start")
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start again; log tail:\n{_tail(self._read_log(0))}")

    def server_pids(self) -> list[int]:
        """The postmaster and every process it started (backends, checkpointer, …)."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        children = [pid for pid in _all_pids() if _parent_of(pid) == postmaster]
        return [postmaster, *children]

    def freeze(self) -> list[int]:
        """Stop every server process (SIGSTOP) as a stalled host would: connections stay
        open, nothing answers. The PIDs frozen, for ``thaw``."""
        pids = self.server_pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    @staticmethod
    def thaw(pids: Sequence[int]) -> None:
        """Let frozen server processes run again (SIGCONT)."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def create_database(self, name: str) -> str:
        """Create a database and return its SQLAlchemy URL."""
        with psycopg.connect(
            host=_HOST,
            port=self.port,
            user=_SUPERUSER,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return _make_url(self.port, name)

    @property
    def _base_dir(self) -> Path:
        if self._base is None:
            raise RuntimeError("the PostgreSQL server is not started")
        return self._base

    @property
    def _socket_dir(self) -> Path:
        return self._base_dir / "socket"

    @property
    def _log_file(self) -> Path:
        return self.data_dir / _LOG_NAME

    def _make_base_dir(self) -> Path:
        base = Path(tempfile.mkdtemp(prefix="sscard-pg-"))
        (base / "socket").mkdir(mode=0o700)
        if self._os_user is not None:
            _chown_to(base, self._os_user)
            _chown_to(base / "socket", self._os_user)
        return base

    def _run(self, command: Sequence[str | Path]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._run_as_prefix(), *map(str, command)],
            # The server user may not be able to enter our working directory.
            cwd=self._base_dir,
            capture_output=True,
            text=True,
            check=False,
            timeout=_SUBPROCESS_TIMEOUT_S,
        )

    def _run_as_prefix(self) -> list[str]:
        if self._os_user is None:
            return []
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return [runuser, "-u", self._os_user, "--"]

    def _pg_ctl(self, bindir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run([bindir / "pg_ctl", "-D", self.data_dir, *args])

    def _initdb(self, bindir: Path) -> None:
        output = ""
        for locale in _LOCALES:
            initdb: list[str | Path] = [bindir / "initdb", "-D", self.data_dir]
            result = self._run([*initdb, *_INITDB_FLAGS, f"--locale={locale}"])
            if result.returncode == 0:
                return
            output = result.stdout + result.stderr
            # initdb may leave a partial directory behind, which blocks the retry.
            shutil.rmtree(self.data_dir, ignore_errors=True)
        raise RuntimeError(f"initdb failed:\n{_tail(output)}")

    def _write_conf(self) -> None:
        lines = [
            _conf_line("listen_addresses", _HOST),
            _conf_line("unix_socket_directories", str(self._socket_dir)),
            *(_conf_line(name, value) for name, value in self._settings.items()),
        ]
        # Appending keeps the file's owner, and later lines override initdb's.
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(lines)

    def _start_server(self, bindir: Path) -> int:
        log = ""
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            offset = self._log_size()
            log_args = ("-l", str(self._log_file))
            port_args = ("-o", f"-p {port}")
            result = self._pg_ctl(bindir, *log_args, *_WAIT_START, *port_args, "start")
            if result.returncode == 0:
                return port
            log = self._read_log(offset) + result.stdout + result.stderr
            if not _mentions_port_clash(log):
                break
        raise RuntimeError(f"PostgreSQL failed to start; log tail:\n{_tail(log)}")

    def _log_size(self) -> int:
        try:
            return self._log_file.stat().st_size
        except FileNotFoundError:
            return 0

    def _read_log(self, offset: int) -> str:
        try:
            with self._log_file.open("rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
