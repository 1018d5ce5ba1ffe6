"""The 2.0.1 device model each station reported."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import orjson

from core.store.models import DeviceModelVariable
from core.store.sqlite.codecs import dumps
from core.store.sqlite.engine import SqliteEngine


class SqliteDeviceModelStore(SqliteEngine):
    async def upsert_device_model(
        self, station_id: str, variables: Sequence[DeviceModelVariable]
    ) -> None:
        rows = [
            (
                station_id,
                v.component,
                v.component_instance,
                -1 if v.evse_id is None else v.evse_id,
                -1 if v.connector_id is None else v.connector_id,
                v.variable,
                v.variable_instance,
                v.attribute_type,
                v.value,
                v.mutability,
                dumps(v.characteristics),
            )
            for v in variables
        ]

        def job(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO device_model (station_id, component, component_instance, evse_id,"
                " connector_id, variable, variable_instance, attribute_type, value, mutability,"
                " characteristics) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (station_id,"
                " component, component_instance, evse_id, connector_id, variable,"
                " variable_instance, attribute_type) DO UPDATE SET value=excluded.value,"
                " mutability=CASE WHEN excluded.mutability='' THEN device_model.mutability"
                " ELSE excluded.mutability END,"
                " characteristics=CASE WHEN excluded.characteristics='{}'"
                " THEN device_model.characteristics ELSE excluded.characteristics END",
                rows,
            )

        await self.run(job)

    async def lookup_device_model(self, station_id: str) -> list[DeviceModelVariable]:
        def job(c: sqlite3.Connection) -> list[DeviceModelVariable]:
            rows = c.execute(
                "SELECT component, variable, component_instance, evse_id, connector_id,"
                " variable_instance, attribute_type, value, mutability, characteristics"
                " FROM device_model WHERE station_id=? ORDER BY component, component_instance,"
                " evse_id, connector_id, variable, variable_instance, attribute_type",
                (station_id,),
            ).fetchall()
            return [
                DeviceModelVariable(
                    component=r[0],
                    variable=r[1],
                    component_instance=r[2],
                    evse_id=None if r[3] == -1 else r[3],
                    connector_id=None if r[4] == -1 else r[4],
                    variable_instance=r[5],
                    attribute_type=r[6],
                    value=r[7],
                    mutability=r[8],
                    characteristics=orjson.loads(r[9]),
                )
                for r in rows
            ]

        return await self.run(job)
