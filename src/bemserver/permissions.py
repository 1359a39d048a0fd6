"""All authorization, as SQL filters.

Each table has one Rule: for a non-admin caller, which rows they may read, create, update or delete.
Rules are SQL, so a list costs one query and an item read tells 404 from 403 in one round trip.
Admins bypass every rule; a table without a rule cannot be served. Domains write their rules
(rules.py) with this vocabulary; only this module joins the membership tables (memberships.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Column, ColumnElement, Integer, Select, bindparam, false, select, true
from sqlalchemy.sql.visitors import replacement_traverse

from bemserver import domain
from bemserver.auth.caller import Caller
from bemserver.memberships import UserByUserGroup, UserGroupByCampaign, UserGroupByCampaignScope

Audience = Literal["everyone", "campaign", "scope", "own", "groups", "nobody"]


@dataclass(frozen=True)
class Access:
    """A row filter for one operation (`where` decides), tagged with the audience it lets through
    for documentation and the permission-matrix test (`inherits`: that of the parent's rule)."""

    where: Callable[[Caller], ColumnElement[bool]]
    audience: Audience | None = None
    inherits: tuple[type[Any], str] | None = None

    def __call__(self, caller: Caller) -> ColumnElement[bool]:
        return self.where(caller)


everyone = Access(lambda _: true(), "everyone")
nobody = Access(lambda _: false(), "nobody")


def own(user_id_column: Any) -> Access:
    """Rows that belong to the caller."""
    return Access(lambda caller: user_id_column == caller.id, "own")


def group_ids_of_user(user_id: Any) -> Select[Any]:
    return select(UserByUserGroup.user_group_id).where(UserByUserGroup.user_id == user_id)


def scope_ids_of_user(user_id: Any) -> Select[Any]:
    """The campaign scopes linked to a group of that user."""
    return select(UserGroupByCampaignScope.campaign_scope_id).where(
        UserGroupByCampaignScope.user_group_id.in_(group_ids_of_user(user_id))
    )


def campaign_ids_of(caller: Caller) -> Select[Any]:
    return select(UserGroupByCampaign.campaign_id).where(
        UserGroupByCampaign.user_group_id.in_(group_ids_of_user(caller.id))
    )


def in_my_groups(user_group_id_column: Any) -> Access:
    return Access(lambda caller: user_group_id_column.in_(group_ids_of_user(caller.id)), "groups")


def campaign_member(campaign_id_column: Any) -> Access:
    return Access(lambda caller: campaign_id_column.in_(campaign_ids_of(caller)), "campaign")


def scope_member(campaign_scope_id_column: Any) -> Access:
    return Access(lambda caller: campaign_scope_id_column.in_(scope_ids_of_user(caller.id)), "scope")


def readable_through(fk_column: Any, parent: type[Any]) -> Access:
    """Rows whose parent (reached through `fk_column`) the caller may read."""
    return Access(
        lambda caller: fk_column.in_(select(parent.id).where(read_filter(parent, caller))),
        inherits=(parent, "read"),
    )


def writable_through(fk_column: Any, parent: type[Any]) -> Access:
    """Rows whose parent the caller may update (e.g. links of an event they can edit)."""
    return Access(
        lambda caller: fk_column.in_(select(parent.id).where(update_filter(parent, caller))),
        inherits=(parent, "update"),
    )


@dataclass(frozen=True)
class Rule:
    read: Access = nobody
    create: Access = nobody
    update: Access = nobody
    delete: Access = nobody


RULES: dict[type[Any], Rule] = {}


def rule(model: type[Any], read: Access = nobody, *, write: Access | None = None, **ops: Access) -> None:
    """Declare the rule of a table; `write` sets create, update and delete at once."""
    if model in RULES:
        raise RuntimeError(f"Two rules for {model.__name__}")
    if write is not None:
        ops = {"create": write, "update": write, "delete": write, **ops}
    RULES[model] = Rule(read=read, **ops)


def rule_of(model: type[Any]) -> Rule:
    try:
        return RULES[model]
    except KeyError:
        raise RuntimeError(f"No permission rule for {model.__name__}: access denied by default") from None


# Callers whose id is the :caller_id placeholder, for statements prepared once (db/prepared.py):
# rules use the caller's id in SQL only, and branch in Python on is_admin alone.
_CALLER_ID = bindparam("caller_id", type_=Integer)
_SQL_CALLERS = {
    admin: Caller(_CALLER_ID, "", admin, True)  # type: ignore[arg-type]
    for admin in (False, True)
}


def sql_caller(caller: Caller) -> Caller:
    """The placeholder caller with the same admin status as `caller`."""
    return _SQL_CALLERS[caller.is_admin]


def _filter(model: type[Any], caller: Caller, operation: str) -> ColumnElement[bool]:
    if caller.is_admin:
        return true()
    return getattr(rule_of(model), operation)(caller)


def read_filter(model: type[Any], caller: Caller) -> ColumnElement[bool]:
    return _filter(model, caller, "read")


def create_filter(model: type[Any], caller: Caller) -> ColumnElement[bool]:
    return _filter(model, caller, "create")


def create_filter_on(model: type[Any], values: dict[str, Any]) -> ColumnElement[bool]:
    """The create rule of a non-admin caller (`caller_id`, see sql_caller) on the values of a row
    about to be inserted: the rule's columns of the model's table replaced by those values (SQL
    expressions, e.g. bind parameters), for an INSERT … SELECT that writes only what is allowed."""
    table = model.__table__

    def on_values(element: Any) -> Any:
        if isinstance(element, Column) and element.table is table:
            return values[element.name]
        return None

    condition = create_filter(model, _SQL_CALLERS[False])
    return replacement_traverse(condition, {}, on_values)  # type: ignore[no-any-return]


def update_filter(model: type[Any], caller: Caller) -> ColumnElement[bool]:
    return _filter(model, caller, "update")


def delete_filter(model: type[Any], caller: Caller) -> ColumnElement[bool]:
    return _filter(model, caller, "delete")


def may(model: type[Any], caller: Caller, operation: str) -> bool:
    """False when the rule can never allow the operation (so no query is needed to refuse)."""
    return caller.is_admin or getattr(rule_of(model), operation) is not nobody


def audience_of(model: type[Any], operation: str) -> Audience:
    """Who, besides admins, may do `operation` on rows of `model` (following inherited access)."""
    access: Access = getattr(rule_of(model), operation)
    while access.audience is None:
        assert access.inherits is not None, "an Access needs an audience or a parent to inherit from"
        parent, parent_operation = access.inherits
        access = getattr(rule_of(parent), parent_operation)
    return access.audience


def declare_rules() -> None:
    """Every discovered domain's rules (each domain's rules.py), once. Called at app start."""
    domain.declare_rules(domain.discover())


def user_ids_of_scope(campaign_scope_id: Any) -> Select[Any]:
    """The users in a group linked to that campaign scope (its members)."""
    return select(UserByUserGroup.user_id).where(
        UserByUserGroup.user_group_id.in_(
            select(UserGroupByCampaignScope.user_group_id).where(
                UserGroupByCampaignScope.campaign_scope_id == campaign_scope_id
            )
        )
    )
