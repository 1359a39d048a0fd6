"""Analyses of timeseries data: completeness, energy consumption and production breakdowns, degree days.

They own no table: they read the data through bemserver.timeseries_data.numeric, so the checks and the
bucket grid are those of /timeseries_data/aggregate.
"""

from bemserver.domain import Domain

# After the imports (Input/Output) and before the tasks, as in the reference's tag order.
DOMAIN = Domain("analysis", position=85, routes=("bemserver.analysis.routes",))
