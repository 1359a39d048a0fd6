"""The `bemserver` command: serve, worker, db upgrade/backup/restore, users create, --version."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bemserver import __version__
from bemserver.settings import Settings

if TYPE_CHECKING:
    from bemserver.db.database import Database

T = TypeVar("T")

# Plain help (rich_markup_mode=None): the rich one shows flags as `--version <bool>`.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="BEMServer: building energy management server.",
)
db_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Database maintenance.")
users_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="User accounts.")
data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Timeseries data files.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(data_app, name="data")


def _fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


@contextmanager
def database(settings: Settings, busy_hint: str = "") -> Iterator[str]:
    """The configured database, or the embedded one (started here, stopped on exit), migrated.
    `busy_hint` follows the error when a server holds the embedded database."""
    from bemserver.db.bootstrap import DatabaseUnreachable, check_connection
    from bemserver.db.embedded import DataDirBusy, EmbeddedPostgres
    from bemserver.db.migrate import upgrade

    embedded = None
    if settings.database_url:
        url = settings.database_url
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        try:
            url = embedded.start()
        except DataDirBusy as exc:
            _fail(f"{exc}{busy_hint}")
        except Exception as exc:
            embedded.close()
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _fail(f"Cannot start the embedded PostgreSQL in {settings.data_dir}: {first_line}")
    try:
        try:
            check_connection(url)
        except (DatabaseUnreachable, ValueError) as exc:
            _fail(str(exc))
        try:
            upgrade(url)
        except Exception as exc:
            _fail(f"Database migration failed: {str(exc).splitlines()[0]}")
        yield url
    finally:
        if embedded is not None:
            embedded.close()


def _settings() -> Settings:
    """The settings from the environment; a bad value is one clear line, not a traceback."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"BEMSERVER_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        _fail(f"Invalid configuration: {problems}")
        raise  # unreachable: _fail exits


def _with_database(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` on a Database of `url` (the one requests use), then close its connections."""
    from bemserver.db.database import Database

    async def run() -> T:
        database = Database(url, pool_size=1)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bemserver {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """BEMServer command line."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Apply pending migrations, then serve the API."""
    import uvicorn

    from bemserver.users.accounts import ensure_first_admin

    settings = _settings()
    # uvicorn re-raises SIGTERM after its shutdown: turn it into SystemExit so that the embedded
    # PostgreSQL is stopped by the `database` context manager instead of being orphaned.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with database(settings) as url:
        created = _with_database(url, lambda database: ensure_first_admin(database, settings))
        if created:
            typer.echo("=" * 64)
            typer.echo("First administrator created (shown only this once):")
            typer.echo(f"  email:    {created[0]}")
            typer.echo(f"  password: {created[1]}")
            typer.echo("=" * 64)
        settings.resolved_secret_key()
        os.environ["BEMSERVER_DATABASE_URL"] = url
        os.environ["BEMSERVER_DATA_DIR"] = str(settings.data_dir)
        typer.echo(f"BEMServer {__version__} on http://{host}:{port}/ (API documentation at /)")
        # Background jobs: one worker in a thread of this process, whatever --workers says.
        from bemserver.jobs import embedded_worker

        with embedded_worker(settings, url):
            uvicorn.run(
                "bemserver.cli:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level=settings.log_level.lower(),
                access_log=False,
                timeout_keep_alive=settings.keep_alive,
                server_header=False,  # no banner naming the server software
            )


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def app_from_environment():  # type: ignore[no-untyped-def]
    """uvicorn factory: settings from the environment (the serve command sets the database URL)."""
    from bemserver.app import create_app

    settings = Settings()
    assert settings.database_url, "BEMSERVER_DATABASE_URL must be set"
    return create_app(settings, settings.database_url)


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=100, help="Jobs run at once (default: BEMSERVER_WORKER_CONCURRENCY)."),
    ] = None,
) -> None:
    """Run background jobs (e-mail...) until SIGINT or SIGTERM; `serve` runs one already."""
    import logging

    from bemserver.jobs import run_worker

    settings = _settings()
    logging.basicConfig(level=settings.log_level.upper())
    signal.signal(signal.SIGTERM, _exit_on_signal)  # until the worker takes the signals over
    with database(settings) as url:
        typer.echo(f"BEMServer {__version__} worker running (stop with Ctrl+C or SIGTERM)")
        asyncio.run(run_worker(settings, url, concurrency=concurrency, install_signal_handlers=True))
    typer.echo("Worker stopped.")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (idempotent)."""
    with database(_settings()):
        typer.echo("Database is up to date.")


@contextmanager
def _database_for_backup(settings: Settings) -> Iterator[tuple[str, bool]]:
    """(url, embedded): the configured database; or the embedded one, started here, or the
    running server's when `bemserver serve` holds the data folder (a backup of a live server)."""
    from bemserver.db.embedded import DataDirBusy, EmbeddedPostgres

    if not settings.database_url:
        running = EmbeddedPostgres.running_url(settings.data_dir)
        if running is not None:
            yield running, True
            return
    try:
        with database(settings) as url:
            yield url, not settings.database_url
    except DataDirBusy as exc:  # pragma: no cover - raced with a server start
        _fail(str(exc))


def _embedded_running(settings: Settings) -> bool:
    from bemserver.db.embedded import EmbeddedPostgres

    return EmbeddedPostgres.running_url(settings.data_dir) is not None


@db_app.command("backup")
def db_backup(file: Annotated[Path, typer.Argument(help="File to write (pg_dump custom format).")]) -> None:
    """Write the whole database to FILE; works while the server runs."""
    from bemserver.db.backup import BackupFailed, backup

    with _database_for_backup(_settings()) as (url, embedded):
        try:
            backup(url, file, embedded=embedded)
        except BackupFailed as exc:
            _fail(f"Backup failed: {exc}")
    typer.echo(f"Backup written to {file} ({file.stat().st_size} bytes).")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by `bemserver db backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the database's content by FILE's (stop the server first), then migrate it."""
    from bemserver.db.backup import BackupFailed, restore
    from bemserver.db.migrate import upgrade

    settings = _settings()
    if not settings.database_url and _embedded_running(settings):
        _fail(f"A BEMServer is running on the data folder {settings.data_dir}: stop it first.")
    if not file.is_file():
        _fail(f"No such file: {file}")
    if not yes:
        typer.confirm("Every row of the database will be replaced by the backup's. Go on?", abort=True)
    with _database_for_backup(settings) as (url, embedded):
        try:
            restore(url, file, embedded=embedded)
        except BackupFailed as exc:
            _fail(f"Restore failed (the database is unchanged): {exc}")
        upgrade(url)  # a backup of an older version gets the later migrations
    typer.echo(f"Database restored from {file}.")


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Option(help="Display name.")],
    email: Annotated[str, typer.Option(help="Login email.")],
    password: Annotated[str | None, typer.Option(help="Password (prompted when omitted).")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Make the user an administrator.")] = False,
) -> None:
    """Create a user account."""
    from sqlalchemy.exc import IntegrityError

    from bemserver.http.fields import is_valid_email, normalized_text
    from bemserver.users.accounts import create_user

    name, email = normalized_text(name), normalized_text(email)  # as the API does

    if not 1 <= len(name) <= 80:
        _fail("The name must have 1 to 80 characters.")
    if not is_valid_email(email):
        _fail(f"Not a valid email address: {email}")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password or len(password) > 80:
        _fail("The password must have 1 to 80 characters.")
    busy_hint = (
        ". While it runs, create the user through the API instead: POST /users/ as an admin,"
        " e.g. curl -X POST http://127.0.0.1:8000/users/ -H 'Authorization: Bearer <token>'"
        " -H 'Content-Type: application/json'"
        """ -d '{"name": "...", "email": "...", "password": "..."}' (see the README)"""
    )
    with database(_settings(), busy_hint) as url:

        async def create(database: Database) -> None:
            async with database.unit_of_work() as session:
                await create_user(session, name, email, password, is_admin=admin)

        try:
            _with_database(url, create)
        except IntegrityError:
            _fail(f"A user with email {email} already exists.")
    typer.echo(f"User {email} created{' (admin)' if admin else ''}.")


@data_app.command("import")
def data_import(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="CSV (or JSON) files, as POST /timeseries_data/ reads them."),
    ],
    campaign: Annotated[
        int | None,
        typer.Option(
            metavar="ID", help="Columns name timeseries of this campaign (default: timeseries ids)."
        ),
    ] = None,
    data_state: Annotated[int, typer.Option(metavar="ID", help="Data state id (1: raw).")] = 1,
    timezone: Annotated[
        str | None, typer.Option(metavar="ZONE", help="Timezone of local times (e.g. Europe/Paris).")
    ] = None,
    dst: Annotated[
        str | None,
        typer.Option(metavar="CHOICE", help="earlier or later: for local times DST makes ambiguous."),
    ] = None,
    date_order: Annotated[str, typer.Option(metavar="ORDER", help="DMY or MDY, for slashed dates.")] = "DMY",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace stored values.")] = False,
) -> None:
    """Import data files from this machine, each in one transaction, with a progress bar."""
    from bemserver.http.errors import ApiError
    from bemserver.http.fields import TIMEZONES
    from bemserver.timeseries_data.files import import_file, line_count
    from bemserver.timeseries_data.timestamps import LocalTimes

    if timezone is not None and timezone not in TIMEZONES:
        _fail(f"Unknown timezone: {timezone} (an IANA name such as Europe/Paris)")
    if dst not in (None, "earlier", "later") or date_order not in ("DMY", "MDY"):
        _fail("--dst takes earlier or later, --date-order DMY or MDY.")
    local = LocalTimes(timezone, dst, date_order) if timezone else None  # type: ignore[arg-type]
    contents = {}
    for path in files:
        try:
            contents[path] = path.read_bytes()
        except OSError as exc:
            _fail(f"Cannot read {path}: {exc.strerror}")
    with database(_settings()) as url:
        for path, data in contents.items():

            async def run(database: Database, data: bytes = data, path: Path = path) -> object:
                with typer.progressbar(length=line_count(data), label=str(path), file=sys.stderr) as bar:
                    done = 0

                    def progress(lines: int) -> None:
                        nonlocal done
                        bar.update(lines - done)
                        done = lines

                    async with database.reader() as connection:
                        return await import_file(
                            connection,
                            data,
                            data_state=data_state,
                            campaign_id=campaign,
                            local=local,
                            overwrite=overwrite,
                            progress=progress,
                        )

            try:
                report = _with_database(url, run)
            except ApiError as exc:
                _fail(f"{path}: {exc.message or exc.errors} (nothing of this file was stored)")
            totals = report.totals()  # type: ignore[attr-defined]
            typer.echo(
                f"{path}: {totals.inserted} inserted, {totals.ignored} ignored (already stored),"
                f" {totals.overwritten} overwritten"
            )


def main() -> None:
    sys.exit(app())
