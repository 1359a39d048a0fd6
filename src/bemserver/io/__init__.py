"""CSV imports of the building model and of timeseries descriptions."""
