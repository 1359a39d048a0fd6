"""GET /about/: the API versions clients check before talking to the server."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from bemserver import API_COMPAT_VERSION, CORE_COMPAT_VERSION, __version__
from bemserver.crud.schemas import OutputSchema
from bemserver.http.etag import etag_of, with_etag
from bemserver.http.responses import JSONBytes, dumps

router = APIRouter(tags=["About"])


class Versions(OutputSchema):
    bemserver_core: str
    bemserver_api: str


class About(OutputSchema):
    versions: Versions
    server: dict[str, str]


# `versions` holds exactly these two keys: the official UI breaks on any other.
_ABOUT = dumps(
    {
        "versions": {"bemserver_core": CORE_COMPAT_VERSION, "bemserver_api": API_COMPAT_VERSION},
        "server": {"name": "bemserver", "version": __version__},
    }
)


@router.get("/about/", operation_id="get_about", summary="Versions", response_model=About)
async def about(request: Request) -> Response:
    return with_etag(request, JSONBytes(_ABOUT), etag_of(_ABOUT))
