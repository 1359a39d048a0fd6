"""Every mounted resource can make rows for the convention tests."""

from tests.conventions.resources import RESOURCES, need_factory, over
from tests.factories import FACTORIES, PENDING, Maker, make_row


def test_every_mounted_resource_has_a_factory():
    missing = sorted(
        resource.path for resource in RESOURCES if resource.path not in FACTORIES.keys() | PENDING
    )
    assert not missing, f"add a factory to its domain's tests/<domain>/factories.py for: {', '.join(missing)}"


def test_pending_lists_only_mounted_resources_without_factory():
    mounted = {resource.path for resource in RESOURCES}
    assert not PENDING - mounted, "PENDING names resources that are not mounted"
    assert not PENDING & FACTORIES.keys(), "PENDING names resources that have a factory"


@over()
async def test_factory_makes_distinct_rows(resource, maker: Maker):
    need_factory(resource)
    first, second = await make_row(maker, resource.path, 1), await make_row(maker, resource.path, 2)
    assert first["id"] != second["id"]
