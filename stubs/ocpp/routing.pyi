from collections.abc import Callable
from typing import Any, TypeVar

# The decorators return the handler with the same signature (functools.wraps around it).
_F = TypeVar("_F", bound=Callable[..., Any])

def on(action: str, *, skip_schema_validation: bool = False) -> Callable[[_F], _F]: ...
def after(action: str) -> Callable[[_F], _F]: ...
