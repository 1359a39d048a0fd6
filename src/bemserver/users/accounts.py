"""User accounts outside HTTP: the CLI's `users create` and the first admin at start-up."""

from __future__ import annotations

import secrets

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.auth.passwords import hash_password
from bemserver.db.database import Database
from bemserver.http.fields import normalized_text
from bemserver.settings import Settings
from bemserver.users.models import User


async def create_user(
    session: AsyncSession, name: str, email: str, password: str, *, is_admin: bool = False
) -> None:
    """Raises IntegrityError when the email is taken (whatever its case). The name and e-mail are
    normalised as the API's are (trimmed, NFC)."""
    name, email = normalized_text(name), normalized_text(email)
    await session.execute(
        insert(User).values(
            name=name, email=email, password=hash_password(password), is_admin=is_admin, is_active=True
        )
    )


async def ensure_first_admin(database: Database, settings: Settings) -> tuple[str, str] | None:
    """On a database with no user, create the first admin. Returns (email, password) if generated."""
    async with database.unit_of_work() as session:
        if await session.scalar(select(func.count()).select_from(User)):
            return None
        email = settings.admin_email or "admin@localhost"
        password = settings.admin_password or secrets.token_urlsafe(12)
        await create_user(session, "Admin", email, password, is_admin=True)
    return None if settings.admin_password else (email, password)
