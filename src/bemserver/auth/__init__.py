"""Who is calling: JWT and HTTP Basic authentication, password hashing, token endpoints."""
