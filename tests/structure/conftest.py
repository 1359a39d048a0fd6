import pytest

from tests.helpers import create

# element -> (collection path, parent id field)
ELEMENTS = {
    "site": ("/sites/", "campaign_id"),
    "building": ("/buildings/", "site_id"),
    "storey": ("/storeys/", "building_id"),
    "space": ("/spaces/", "storey_id"),
    "zone": ("/zones/", "campaign_id"),
}


@pytest.fixture
async def tree(client, admin) -> dict[str, dict]:
    """A campaign with one site > building > storey > space, and one zone."""
    made = {"campaign": await create(client, "/campaigns/", admin.headers, name="Campaign", timezone="UTC")}
    parents = {
        "site": "campaign",
        "building": "site",
        "storey": "building",
        "space": "storey",
        "zone": "campaign",
    }
    for element, (path, key) in ELEMENTS.items():
        made[element] = await create(
            client, path, admin.headers, name=element.capitalize(), **{key: made[parents[element]]["id"]}
        )
    return made
