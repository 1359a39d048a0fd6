"""BEMServer: a Building Energy Management server."""

__version__ = "0.1.0"

# The reference API surface this server implements (reported by GET /about/).
API_COMPAT_VERSION = "0.26.0"
CORE_COMPAT_VERSION = "0.22.0"
