"""The caller lookup names the users table in plain SQL: it must be the User model's table."""

from bemserver.auth.caller import SYSTEM, USERS_TABLE
from bemserver.users.models import User


def test_the_caller_lookup_names_the_users_table():
    assert User.__tablename__ == USERS_TABLE


def test_the_system_caller_is_no_user():
    assert SYSTEM.id == 0  # user ids start at 1
