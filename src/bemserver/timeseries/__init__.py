"""Timeseries metadata: properties, data states, timeseries, their links to the building model."""
