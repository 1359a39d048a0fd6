"""Database access: engine, request sessions, declarative base, embedded server, migrations."""
