"""Adding a domain edits no central list: a toy domain, added as docs/architecture.md says.

The toy package is written to a temporary folder joined to the `bemserver` package's path, as if
it were src/bemserver/toys/: a table, a resource, a permission rule and a test factory. Its table
is created directly here, where a real domain has its Alembic migration. The app, the rules, the
models and the test factories then find it with no other edit.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import bemserver
from bemserver import domain, permissions
from bemserver.app import create_app
from bemserver.db.base import Base
from bemserver.db.models import load_all_models
from tests import factories
from tests.conftest import Users, make_settings
from tests.factories import Maker, make_row

TOY_PACKAGE = {
    "__init__.py": '''
        """Toys: a collection per campaign."""

        from bemserver.domain import Domain

        DOMAIN = Domain(
            "toys",
            position=35,
            models=("bemserver.toys.models",),
            routes=("bemserver.toys.resources",),
            rules="bemserver.toys.rules",
            factories="bemserver.toys.factories",
        )
    ''',
    "models.py": """
        from sqlalchemy import ForeignKey, String
        from sqlalchemy.orm import Mapped, mapped_column

        from bemserver.db.base import Base, IdMixin


        class Toy(IdMixin, Base):
            __tablename__ = "toys"
            name: Mapped[str] = mapped_column(String(80))
            campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    """,
    "resources.py": """
        from bemserver.crud import Resource
        from bemserver.crud.schemas import FilterSchema, InputSchema, OutputSchema
        from bemserver.toys.models import Toy


        class ToyOut(OutputSchema):
            id: int
            name: str
            campaign_id: int


        class ToyWrite(InputSchema):
            name: str
            campaign_id: int


        class ToyFilters(FilterSchema):
            name: str | None = None


        RESOURCES = (
            Resource(
                "/toys/", Toy, ToyOut, tag="Toy", name="toy",
                create=ToyWrite, update=ToyWrite, filters=ToyFilters, sort=("name",),
            ),
        )
    """,
    "rules.py": """
        from bemserver.permissions import campaign_member, rule
        from bemserver.toys.models import Toy


        def rules() -> None:
            rule(Toy, campaign_member(Toy.campaign_id))
    """,
    "factories.py": """
        from tests.campaigns.factories import shared_campaign
        from tests.factories import factory


        @factory("/toys/")
        async def toy(maker, n):
            return {"name": f"Toy {n}", "campaign_id": (await shared_campaign(maker))["id"]}
    """,
}


def _forget_toys() -> None:
    for name in [
        name for name in sys.modules if name == "bemserver.toys" or name.startswith("bemserver.toys.")
    ]:
        del sys.modules[name]


@pytest.fixture
def toy_domain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    package = tmp_path / "bemserver" / "toys"
    package.mkdir(parents=True)
    for name, text in TOY_PACKAGE.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())
    monkeypatch.setattr(bemserver, "__path__", [*bemserver.__path__, str(tmp_path / "bemserver")])
    yield
    # Undo what importing the toy domain registered in this process.
    table = Base.metadata.tables.get("toys")
    for model in [model for model in permissions.RULES if model.__tablename__ == "toys"]:
        del permissions.RULES[model]
    domain._RULED.discard("toys")
    factories.FACTORIES.pop("/toys/", None)
    if table is not None:
        Base.metadata.remove(table)
    _forget_toys()


@pytest.fixture
async def toy_app(toy_domain: None, database_url: str, engine: AsyncEngine) -> AsyncIterator[Any]:
    load_all_models()  # as Alembic's env.py and the test session do
    toys = Base.metadata.tables["toys"]
    async with engine.begin() as connection:  # in place of the domain's migration
        await connection.run_sync(toys.create)
    app = create_app(make_settings(), database_url)
    yield app
    await app.state.database.dispose()
    async with engine.begin() as connection:
        await connection.run_sync(toys.drop)


def tag_order(app: Any) -> list[str]:
    paths = app.openapi()["paths"]
    return list(dict.fromkeys(tag for ops in paths.values() for op in ops.values() for tag in op["tags"]))


async def test_a_new_domain_package_is_served_with_no_central_edit(toy_app: Any, users: Users):
    # Discovered, and documented in its place of the tag order.
    names = [found.name for found in domain.discover()]
    assert names.index("campaigns") < names.index("toys") < names.index("timeseries")
    tags = tag_order(toy_app)
    at = tags.index("Toy")
    assert tags[at - 1 : at + 2] == ["UserGroupByCampaignScope", "Toy", "TimeseriesProperty"]

    transport = httpx.ASGITransport(app=toy_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        # Its factory is found by the test registry, and makes rows through the API.
        factories.load_factories()
        made = await make_row(Maker(client, users), "/toys/", 1)
        assert made["name"] == "Toy 1"

        # Its rule applies: the admin sees the toy, a user outside the campaign does not.
        listed = await client.get("/toys/", headers=users.admin.headers)
        assert [toy["id"] for toy in listed.json()] == [made["id"]]
        assert (await client.get("/toys/", headers=users.active.headers)).json() == []
        forbidden = await client.get(f"/toys/{made['id']}", headers=users.active.headers)
        assert forbidden.status_code == 403


def test_the_toy_domain_is_gone_after_its_test():
    assert "toys" not in [found.name for found in domain.discover()]
    assert "toys" not in Base.metadata.tables
