"""The e-mails of an event's notifications: one job per event sends them over one SMTP connection.

The fan-out (service.py) queues one `send_notification_mails` job in the event's transaction, with
the last id of the notifications it made. The job sends their e-mails in id order and records, after
each one the mail server accepted, that it got so far (`notification_mail_progress`): a retry (the
mail server down, the worker killed) sends only the rest, and an e-mail goes twice only if the worker
loses that record after the server accepted it (docs/jobs.md). An e-mail refused for good is logged
and kept in `notification_mail_refusals`; the others still go.
"""

from __future__ import annotations

import logging
from typing import Any

import aiosmtplib
import psycopg
from procrastinate import JobContext

from bemserver.jobs.mail import build_message, mail_enabled, refused_for_good, smtp_options
from bemserver.jobs.registry import task
from bemserver.settings import Settings

logger = logging.getLogger(__name__)

TASK = "send_notification_mails"

_TO_SEND = """
SELECT n.id, u.email, concat('[', c.name, '] ', e.level::text, ': ', k.name) AS subject,
       coalesce(e.description, '') AS body
FROM notifications AS n
JOIN users AS u ON u.id = n.user_id
JOIN events AS e ON e.id = n.event_id
JOIN campaigns AS c ON c.id = n.campaign_id
JOIN event_categories AS k ON k.id = e.category_id
WHERE n.event_id = %(event_id)s AND n.id <= %(last_id)s
  AND n.id > coalesce((SELECT sent_up_to FROM notification_mail_progress WHERE event_id = %(event_id)s), 0)
ORDER BY n.id
"""
_SENT = """
INSERT INTO notification_mail_progress AS p (event_id, sent_up_to) VALUES (%(event_id)s, %(id)s)
ON CONFLICT (event_id) DO UPDATE SET sent_up_to = greatest(p.sent_up_to, EXCLUDED.sent_up_to)
"""
_REFUSED = """
INSERT INTO notification_mail_refusals (notification_id, event_id, error)
VALUES (%(id)s, %(event_id)s, %(error)s) ON CONFLICT (notification_id) DO NOTHING
"""


@task(TASK, pass_context=True)
async def send_notification_mails(context: JobContext, *, event_id: int, last_id: int) -> None:
    """Send the e-mails still to send of the event's notifications up to `last_id`; a failure other
    than a refusal for good raises, and the job is retried with backoff (jobs/retry.py)."""
    settings: Settings = context.additional_context["settings"]
    connector: Any = context.app.connector
    to_send = await connector.execute_query_all_async(_TO_SEND, event_id=event_id, last_id=last_id)
    if not to_send:
        return
    if not mail_enabled(settings):
        logger.warning("Mail is off (BEMSERVER_SMTP_HOST unset): %d e-mails dropped", len(to_send))
        return
    # One database connection for the whole batch, in autocommit: each record is one round trip.
    async with connector.pool.connection() as connection:
        await connection.set_autocommit(True)
        try:
            async with aiosmtplib.SMTP(**smtp_options(settings)) as smtp:
                for row in to_send:
                    await _send(smtp, connection, settings, event_id, row)
        finally:
            await connection.set_autocommit(False)


async def _send(
    smtp: aiosmtplib.SMTP,
    connection: psycopg.AsyncConnection[Any],
    settings: Settings,
    event_id: int,
    row: dict[str, Any],
) -> None:
    message = build_message(
        settings, None, [row["email"]], row["subject"], row["body"], key=f"notification-{row['id']}"
    )
    try:
        await smtp.send_message(message)
    except aiosmtplib.SMTPException as exc:
        if not refused_for_good(exc):
            raise
        logger.error("The mail server refused the e-mail of notification %s for good: %s", row["id"], exc)
        await connection.execute(_REFUSED, {"id": row["id"], "event_id": event_id, "error": str(exc)})
        await smtp.rset()  # the session goes on with the next e-mail
    await connection.execute(_SENT, {"event_id": event_id, "id": row["id"]})
