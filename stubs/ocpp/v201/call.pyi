from typing import Any

# One dataclass per action, generated from the OCPP schemas: left untyped here.
def __getattr__(name: str) -> Any: ...
