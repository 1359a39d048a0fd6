"""The fast request path of the most frequent routes (measurements: docs/performance.md)."""
