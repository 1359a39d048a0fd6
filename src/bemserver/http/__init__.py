"""HTTP conventions shared by every endpoint: errors, ETags, pagination, query parsing, JSON and CSV."""
