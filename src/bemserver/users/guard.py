"""What changes a user's access: the last active administrator stays one, and losing a right
(deactivation, demotion, a new password, deletion) voids the user's tokens at once."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bemserver.http.errors import Conflict
from bemserver.users.models import TokenFamily, User

LAST_ADMIN = (
    "The last active administrator cannot be {action}: make another user an active administrator first."
)


async def keep_an_active_admin(session: AsyncSession, user_id: int, action: str) -> None:
    """409 when `user_id` is the only active administrator. The active admins' rows are locked
    first: two admins removing each other at once cannot both succeed."""
    admins = (
        await session.scalars(
            select(User.id).where(User.is_admin, User.is_active).order_by(User.id).with_for_update()
        )
    ).all()
    if admins == [user_id]:
        raise Conflict(LAST_ADMIN.format(action=action))


async def void_tokens(session: AsyncSession, user_id: int) -> None:
    """Every token issued to the user so far stops working (access and refresh)."""
    await session.execute(update(User).where(User.id == user_id).values(token_version=User.token_version + 1))
    await session.execute(delete(TokenFamily).where(TokenFamily.user_id == user_id))
