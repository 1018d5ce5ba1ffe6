from tests.unit.handlers.conftest import env  # noqa: F401  (the handler test environment)
