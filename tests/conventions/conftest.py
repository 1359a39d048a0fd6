import pytest

from tests.conftest import Users
from tests.factories import Maker


@pytest.fixture
def maker(client, users: Users) -> Maker:
    return Maker(client, users)
