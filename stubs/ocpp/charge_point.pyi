import logging
from typing import Any

class ChargePoint:
    id: str
    route_map: dict[str, dict[str, Any]]
    logger: logging.Logger
    def __init__(
        self,
        id: str,
        connection: Any,
        response_timeout: float = 30,
        logger: logging.Logger = ...,
    ) -> None: ...
    async def start(self) -> None: ...
    async def route_message(self, raw_msg: str) -> None: ...
    # The payload is one of the version's call dataclasses, the answer its call_result one.
    async def call(
        self,
        payload: Any,
        suppress: bool = True,
        unique_id: str | None = None,
        skip_schema_validation: bool = False,
    ) -> Any: ...
