"""Timeseries data engine tests."""
