# The handler test environment, with the fixtures it depends on.
from tests.unit.handlers.conftest import env, running_cost_interval  # noqa: F401
