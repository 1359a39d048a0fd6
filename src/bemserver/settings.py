"""Server configuration, read from BEMSERVER_* environment variables (and an optional .env file)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

AuthMethod = Literal["Bearer", "Basic"]
SmtpSecurity = Literal["none", "starttls", "tls"]
WeatherProvider = Literal["open-meteo", "oikolab"]


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every setting; the README's configuration table documents each field."""

    model_config = SettingsConfigDict(env_prefix="BEMSERVER_", env_file=".env", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path("bemserver-data")
    secret_key: str | None = None
    access_token_lifetime: int = Field(900, gt=0)
    refresh_token_lifetime: int = Field(60 * 86400, gt=0)
    # Rate limit of POST /auth/token: attempts that failed, per account and per client address,
    # within a window of `login_window` seconds (users/throttle.py).
    login_attempts_per_account: int = Field(10, ge=1)
    login_attempts_per_address: int = Field(100, ge=1)
    login_window: int = Field(900, ge=1, le=86400)
    auth_methods: Annotated[list[AuthMethod], NoDecode] = ["Bearer"]
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: str = "info"
    admin_email: str | None = None
    admin_password: str | None = None
    db_pool_size: int = 10
    # Load shedding (http/shedding.py): requests run at once per server process, and how long
    # one more waits for a place before its 503.
    max_concurrent_requests: int = Field(64, ge=1, le=10000)
    overload_wait: float = Field(2.0, ge=0, le=60)
    max_body_size: int = Field(256 * 1024 * 1024, gt=0)
    # Seconds an idle keep-alive connection is kept open (uvicorn's timeout_keep_alive). Behind a
    # reverse proxy, longer than the proxy's idle timeout.
    keep_alive: int = Field(5, ge=1, le=3600)
    # Seconds of quiet after which a live stream (Server-Sent Events) sends a heartbeat comment.
    stream_heartbeat: float = Field(15.0, gt=0, le=3600)
    # Background jobs (bemserver.jobs) and the e-mail they send.
    embedded_worker: bool = True
    worker_concurrency: int = Field(4, ge=1, le=100)
    # Seconds without a heartbeat after which a worker is dead and its jobs run again; workers
    # beat every third of it.
    worker_dead_after: float = Field(30.0, ge=3, le=3600)
    smtp_host: str | None = None
    smtp_port: int | None = Field(None, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "bemserver@localhost"
    smtp_security: SmtpSecurity = "none"
    # Weather downloads (bemserver.weather): the provider, its URL(s) when not the public ones, a key.
    weather_provider: WeatherProvider = "open-meteo"
    weather_api_url: str | None = None
    weather_api_key: str | None = None
    weather_timeout: float = Field(60.0, gt=0, le=600)
    # Scheduled tasks (bemserver.tasks): task name -> cron expression overriding its default
    # schedule ("" turns the schedule off), as JSON: {"Cleanup": "*/5 * * * *"}.
    task_schedules: dict[str, str] = {}

    _split_auth = field_validator("auth_methods", "cors_origins", mode="before")(_split)

    @field_validator("task_schedules")
    @classmethod
    def _valid_crons(cls, value: dict[str, str]) -> dict[str, str]:
        from croniter import croniter

        for name, cron in value.items():
            if cron.strip() and not croniter.is_valid(cron):
                raise ValueError(f"Not a cron expression for task {name}: {cron!r}")
        return value

    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept in the data folder (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        path.chmod(0o600)
        return key
