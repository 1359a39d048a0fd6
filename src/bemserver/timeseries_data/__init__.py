"""The timeseries data engine: ingest, raw reads, aggregates, stats, deletes (JSON and CSV)."""
