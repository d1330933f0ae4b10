"""Configuration from the environment (SSCARD_*), API.md "Running"."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET_FILE = "demo-secret"  # noqa: S105 (a file name)


class InsecureSecret(RuntimeError):
    """Raised when the server would start with no real secret outside demo mode."""


class Settings(BaseSettings):
    """Everything sscard reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="SSCARD_", extra="ignore")

    database_url: str = ""
    var_dir: Path = Path("var")
    secret_key: SecretStr = SecretStr("")
    # R-SET-6: the issuer's master key, from which every card's own key is derived.
    issuer_key: SecretStr = SecretStr("")
    demo: bool = False
    admin_user: str | None = None
    admin_password: SecretStr | None = None
    token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    # Database connections per server process: as many as requests it runs at once
    # (the thread pool's 40), so a request never waits for, or opens, a connection.
    db_pool_size: int = Field(default=40, ge=1, le=500)
    db_max_overflow: int = Field(default=10, ge=0, le=500)
    # Online settlements a server process runs at once, each on a thread of its own.
    # Threads share the interpreter lock and each round trip hands it over, so few at
    # once: on a durable PostgreSQL a few settlements overlap their waits on the commit's
    # WAL flush (B1, BENCHMARKS.md: 4 settled most, 1 and 8 less); with a remote
    # database, whose round trips wait longer, raise it or add server processes.
    settlements_at_once: int = Field(default=4, ge=1, le=100)
    # Bounded waits (issue 14): how long a request waits for a pooled connection, for a
    # new connection to open, for one statement and for one row lock, before it answers
    # 503 service_unavailable rather than hang with the database.
    db_pool_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    db_connect_timeout_seconds: int = Field(default=2, ge=1, le=60)
    db_statement_timeout_ms: int = Field(default=10_000, ge=0, le=600_000)
    db_lock_timeout_ms: int = Field(default=3_000, ge=0, le=600_000)
    # How long an online settlement may take from the start of its work to its commit;
    # past it, work not yet committed is abandoned (on every route, work is abandoned
    # when its client has gone). Also how long a keyed request whose COMMIT lost its
    # reply tries to read its key's record (http.resolved).
    settlement_deadline_seconds: float = Field(default=5.0, gt=0, le=120)
    # Test each pooled connection with a round trip before use: survives a database
    # restart without one failed request, at the price of a round trip per request.
    db_pre_ping: bool = False
    # R-INV-3: how many days of the invalid list's change log are kept for terminals
    # that follow it; one away longer downloads a snapshot (410 snapshot_required).
    # 0 keeps the log for ever.
    list_retention_days: int = Field(default=90, ge=0, le=36_500)
    # How long a stopping server (SIGTERM) may take to answer the requests it has taken
    # in before it cancels them and exits (sscard.serving.worker); systemd's
    # TimeoutStopSec should exceed it by a few seconds (deploy/sscard.service).
    shutdown_grace_seconds: int = Field(default=20, ge=1, le=600)
    # How often `serve` runs the scheduled jobs (R-LOSS-5 releases); 0 turns them off.
    jobs_interval_seconds: float = Field(default=60, ge=0)
    # R-NOTE-1: an SMS gateway (POST {to, text}, Bearer key, Idempotency-Key); without
    # one, messages are appended to sms_file (default var_dir/messages.jsonl).
    sms_gateway_url: str | None = None
    sms_gateway_key: SecretStr | None = None
    sms_timeout_seconds: float = Field(default=5, gt=0, le=60)
    sms_file: Path | None = None
    # R-NOTE-2: how long one push to a bank's endpoint may take.
    bank_push_timeout_seconds: float = Field(default=5, gt=0, le=60)
    # Argon2 parameters: the library's RFC 9106 low-memory profile unless a test asks
    # for the cheapest one (hashing cost is not what the tests are about).
    password_hash_profile: str = "RFC_9106_LOW_MEMORY"  # noqa: S105 (a profile name)
    # The largest JSON or form body a route reads (413 payload_too_large past it); scans
    # have their own limit.
    # The bearer token /metrics asks for; unset, /metrics answers only on the loopback.
    metrics_token: SecretStr | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured URL, or a SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'sscard.db').resolve()}"

    @cached_property
    def secret(self) -> bytes:
        """The signing secret; a demo server keeps a random one under var_dir."""
        value = self.secret_key.get_secret_value()
        if value:
            if len(value) < 32:
                raise InsecureSecret("SSCARD_SECRET_KEY must be at least 32 characters")
            return value.encode()
        if not self.demo:
            raise InsecureSecret("SSCARD_SECRET_KEY is not set; set it, or run a demo with --demo")
        return self._demo_secret()

    @cached_property
    def issuer_master_key(self) -> bytes:
        """The issuer's master key (R-SET-6); a demo derives one from its secret."""
        value = self.issuer_key.get_secret_value()
        if value:
            if len(value) < 32:
                raise InsecureSecret("SSCARD_ISSUER_KEY must be at least 32 characters")
            return value.encode()
        if not self.demo:
            raise InsecureSecret("SSCARD_ISSUER_KEY is not set; set it, or run a demo with --demo")
        return hmac.new(self.secret, b"sscard/demo-issuer-key/v1", hashlib.sha256).hexdigest().encode()

    def _demo_secret(self) -> bytes:
        path = self.var_dir / DEMO_SECRET_FILE
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()
