"""The HTTP API: FastAPI routers and request schemas; the rules live in ``service``."""
