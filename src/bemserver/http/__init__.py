"""HTTP conventions shared by every endpoint: errors, ETags, pagination, query parsing, JSON and CSV."""

from bemserver.http.fast import convertors

# Before any route compiles its path.
convertors.register()
