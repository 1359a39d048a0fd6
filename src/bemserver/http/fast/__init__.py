"""The fast request path of the API's most frequent routes, in one place.

- handlers.py: lean handlers. A route stays declared to FastAPI (OpenAPI documents it from its
  endpoint's signature) but runs through a plain `handler(request)` that validates path and query
  in one Pydantic call each; a route marked lean that cannot run so stops the app at start-up.
- queries.py: the query parsing of the generic list routes.
- dispatch.py: routing by first path segment.
- convertors.py: the `{name:int}` path convertor.
docs/performance.md gives the measurements behind each piece.
"""
