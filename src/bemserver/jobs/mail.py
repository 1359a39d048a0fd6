"""E-mail: queued in the sender's transaction, sent by a worker with aiosmtplib, retried on failure.

Mail is off while BEMSERVER_SMTP_HOST is unset: `enqueue_mail` queues nothing then.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import aiosmtplib
from procrastinate import JobContext

from bemserver.jobs.enqueue import Target, enqueue
from bemserver.jobs.registry import task
from bemserver.jobs.retry import GiveUp
from bemserver.settings import Settings

logger = logging.getLogger(__name__)

TIMEOUT = 60.0  # seconds for each exchange with the mail server
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


def mail_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def smtp_port(settings: Settings) -> int:
    return settings.smtp_port or DEFAULT_PORTS[settings.smtp_security]


async def enqueue_mail(
    connection: Target, settings: Settings, *, to: str | list[str], subject: str, body: str
) -> int | None:
    """Queue one plain-text e-mail in the caller's transaction; its job id, None when mail is off."""
    if not mail_enabled(settings):
        return None
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("An e-mail needs at least one recipient")
    return await enqueue(connection, "send_mail", to=recipients, subject=subject, body=body)


def smtp_options(settings: Settings) -> dict[str, Any]:
    """aiosmtplib's connection options. With `none`, no STARTTLS even if the server offers it."""
    security = settings.smtp_security
    return {
        "hostname": settings.smtp_host,
        "port": smtp_port(settings),
        "username": settings.smtp_user,
        "password": settings.smtp_password,
        "use_tls": security == "tls",
        "start_tls": security == "starttls",
        "timeout": TIMEOUT,
    }


def build_message(
    settings: Settings, job_id: int | None, to: list[str], subject: str, body: str, *, key: str = ""
) -> EmailMessage:
    """The e-mail; its Message-ID names the job (or `key`, e.g. "notification-7": what a
    duplicate delivery would share)."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    # One Message-ID per job (or key): a duplicate delivery (docs/jobs.md) carries the same one,
    # which lets mail clients and servers drop it.
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<bemserver-{key or f'job-{job_id}'}@{domain}>"
    message.set_content(body)
    return message


def refused_for_good(exc: Exception) -> bool:
    """The server refused the recipients or the message itself for good (a 5xx answer): a retry
    would get the same answer. Other failures, a refused login included, are retried."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= refusal.code < 600 for refusal in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return 500 <= exc.code < 600
    return False


@task("send_mail", pass_context=True)
async def send_mail(context: JobContext, *, to: list[str], subject: str, body: str) -> None:
    """Send one e-mail; any failure raises, and the job is retried with backoff (retry.py)."""
    settings: Settings = context.additional_context["settings"]
    if not mail_enabled(settings):
        logger.warning("Mail is off (BEMSERVER_SMTP_HOST unset): e-mail %r to %s dropped", subject, to)
        return
    message = build_message(settings, context.job.id, to, subject, body)
    try:
        await aiosmtplib.send(message, **smtp_options(settings))
    except aiosmtplib.SMTPException as exc:
        if refused_for_good(exc):
            raise GiveUp(f"The mail server refused the e-mail for good: {exc}") from exc
        raise
