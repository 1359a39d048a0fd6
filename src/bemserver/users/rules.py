"""Who may see and change users, groups and memberships."""

from bemserver.permissions import in_my_groups, own, rule
from bemserver.users.models import User, UserByUserGroup, UserGroup


def rules() -> None:
    rule(User, own(User.id), update=own(User.id))
    rule(UserGroup, in_my_groups(UserGroup.id))
    rule(UserByUserGroup, own(UserByUserGroup.user_id))
