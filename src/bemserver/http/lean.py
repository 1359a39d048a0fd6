"""Moved to bemserver.http.fast.handlers: this name stays for code not yet converted."""

from bemserver.http.fast.handlers import lean, lean_endpoint, lean_routes

__all__ = ["lean", "lean_endpoint", "lean_routes"]
