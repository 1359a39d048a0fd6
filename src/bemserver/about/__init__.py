"""GET /about/."""
