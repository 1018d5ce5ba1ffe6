"""A station command: one pydantic model per CSMS-initiated operation, declared once.

The model carries the operation's fields (names, types, bounds, defaults, labels), the OCPP
versions that have it and the payload it builds per version. Everything an operator reaches a
station through derives from it: the REST endpoint and its OpenAPI body
(:mod:`core.api.commands`), the remote client's ``execute``, the console's action menu and forms,
and OCPI's commands. :mod:`core.commands.registry` lists them all.

A command runs against a :class:`CommandContext` — the application service — which knows the
station's connected version, sends the call and waits for its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from core import limits
from core.application.errors import Conflict, Invalid
from core.application.ports import ServiceStore
from core.application.views import CallView, PasswordRotation, SecurityProfileUpgrade, View
from core.clock import Clock
from core.ocpp.types import JsonObject, OcppVersion
from core.store.models import CallRecord

R = TypeVar("R", bound=View)
Build = Callable[[OcppVersion], tuple[str, JsonObject]]

BOTH: frozenset[OcppVersion] = frozenset({OcppVersion.V16, OcppVersion.V201})
V201_ONLY: frozenset[OcppVersion] = frozenset({OcppVersion.V201})


class CommandContext(Protocol):
    """What commands need of the application service."""

    @property
    def clock(self) -> Clock: ...

    @property
    def store(self) -> ServiceStore: ...

    async def connected_version(self, station_id: str) -> OcppVersion: ...

    async def send(
        self,
        station_id: str,
        action: str,
        request: JsonObject,
        *,
        version: OcppVersion,
        origin: str,
    ) -> CallRecord: ...

    async def wait_for(self, record: CallRecord, wait: float | None) -> CallRecord: ...

    async def command(
        self, station_id: str, build: Build, wait: float | None, origin: str
    ) -> CallView: ...

    async def command_in_parts(
        self,
        station_id: str,
        action: str,
        key: str,
        result_key: str,
        items: list[JsonObject],
        wait: float | None,
        origin: str,
    ) -> CallView: ...

    async def rotate_password(
        self, station_id: str, password: str | None, wait: float | None
    ) -> PasswordRotation: ...

    async def upgrade_security_profile(
        self, station_id: str, security_profile: int, configuration_slot: int, wait: float | None
    ) -> SecurityProfileUpgrade: ...


class Command(BaseModel, Generic[R]):
    """One operation on one station. Subclasses declare fields and either :meth:`build` (the
    action and payload for a version) or, when they need the store or several calls,
    :meth:`run`."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
    )

    # The registry key, the console's action id and (camelCased) the OpenAPI operationId.
    name: ClassVar[str]
    # Under ``/cs/{csId}/``; ``{field}`` segments are taken from the URL.
    path: ClassVar[str]
    title: ClassVar[str]  # the console's menu entry
    summary: ClassVar[str]  # what it sends, per version: OpenAPI summary and console help
    versions: ClassVar[frozenset[OcppVersion]] = BOTH
    feature: ClassVar[str] = ""  # "OCPP 1.6 has no <feature>" when a version lacks it
    confirm: ClassVar[bool] = False  # the console asks first
    warning: ClassVar[str] = ""  # said in that question: what it changes beyond the obvious
    # The REST body is this one field (a raw call's payload) instead of an object of fields.
    body_field: ClassVar[str | None] = None
    # Console form values for fields whose API default differs from what an operator at a
    # station types (a reservation held "+30m" rather than an absolute time).
    form_defaults: ClassVar[Mapping[str, str]] = {}
    result: ClassVar[type[View]] = CallView

    def build(self, version: OcppVersion) -> tuple[str, JsonObject]:
        raise NotImplementedError(f"{type(self).__name__} runs by itself")

    def supports(self, version: OcppVersion) -> None:
        """Refuse a version that lacks the operation (409, nothing sent)."""
        if version not in self.versions:
            what = self.feature or self.title
            raise Conflict(f"OCPP {version.short} has no {what}", field="csId")

    def request_for(self, version: OcppVersion) -> tuple[str, JsonObject]:
        """:meth:`build` for a version that has the operation."""
        self.supports(version)
        return self.build(version)

    async def run(self, ctx: CommandContext, station_id: str, wait: float | None, origin: str) -> R:
        view = await ctx.command(station_id, self.request_for, wait, origin)
        return view  # type: ignore[return-value]  # CallView commands leave ``run`` as it is

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        """The command from a client's fields (camelCase or snake_case names), or
        :class:`~core.application.errors.Invalid` naming the first wrong field and why."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise invalid_from(exc, cls) from exc

    def body(self) -> dict[str, Any]:
        """The REST body that makes the same command (what the remote client sends)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.body_field is not None:
            return dict(data[to_camel(self.body_field)])
        return data


def invalid_from(exc: ValidationError, model: type[BaseModel]) -> Invalid:
    """The first error of ``exc`` as :class:`Invalid`: the field's JSON path in the API's names
    (``keys/0``, ``evseId``) and the reason — a :mod:`core.limits` bound's own where one refused
    it."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    if loc and loc[0] in model.model_fields:
        loc[0] = model.model_fields[loc[0]].alias or loc[0]
    field = "/".join(loc) or "body"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, limits.OutOfRange):
        reason = cause.reason
        if cause.field.startswith("/"):  # inside a JSON value: its path within the field
            field += cause.field
    elif isinstance(cause, ValueError):
        reason = str(cause)
    elif error["type"] == "missing":
        reason = "is required"
    elif error["type"] == "extra_forbidden":
        reason = "is not a field of this command"
    else:
        reason = error["msg"][:1].lower() + error["msg"][1:]
    return Invalid(reason, field=field)
