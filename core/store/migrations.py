"""Versioned schema migrations for the SQL stores. Append a new script; never edit an old one.

Statements are separated by ``;`` + newline. SQLite and PostgreSQL share these scripts, so they
stick to the common dialect (TEXT timestamps in fixed-width UTC, so text order is time order).
A step that must change rows in ways SQL cannot say in both dialects is a function of the
connection instead of a script; like a script, it runs in its version's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from core.store.message_packs import INSERT_PACK, PACK_SLOTS, PackedFrame, pack

Migration = str | Callable[[Any], None]


def pack_the_message_log(c: Any) -> None:
    """The message log's rows become packs (core/store/message_packs.py), oldest first, each
    row's frame in order; then its table goes."""
    c.execute(
        """CREATE TABLE message_packs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    frames INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    last_at TEXT NOT NULL,
    stations TEXT NOT NULL,
    actions TEXT NOT NULL,
    errors INTEGER NOT NULL,
    body TEXT NOT NULL
)"""
    )
    after = 0
    while True:
        rows = c.execute(
            "SELECT id, station_id, at, direction, message_type, message_id, action, payload,"
            " error_code, error_description FROM message_log WHERE id > ? ORDER BY id LIMIT ?",
            (after, PACK_SLOTS),
        ).fetchall()
        if not rows:
            break
        frames: list[PackedFrame] = [(*row[1:7], _json_or_note(row[7]), *row[8:]) for row in rows]
        c.execute(f"{INSERT_PACK} VALUES (?,?,?,?,?,?,?)", pack(frames))
        after = rows[-1][0]
    c.execute("DROP TABLE message_log")


def _json_or_note(payload: str | None) -> str | None:
    """A pack holds its payloads as JSON (they are put in as they are): a row's that is not,
    which no version wrote, becomes a note rather than the whole pack's loss."""
    if payload is None:
        return None
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError:
        return orjson.dumps({"notLogged": "the payload stored was not JSON"}).decode()
    return payload


MIGRATIONS: list[Migration] = [
    """
CREATE TABLE stations (
    station_id TEXT PRIMARY KEY,
    security_profile INTEGER NOT NULL,
    password_hash TEXT,
    invalid_username_allowed INTEGER NOT NULL DEFAULT 0,
    registered_at TEXT NOT NULL,
    pending_boot INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE runtime (
    station_id TEXT PRIMARY KEY,
    ocpp_version TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    serial_number TEXT NOT NULL DEFAULT '',
    firmware_version TEXT NOT NULL DEFAULT '',
    boot_reason TEXT NOT NULL DEFAULT '',
    boot_status TEXT NOT NULL DEFAULT '',
    last_boot_at TEXT,
    last_seen_at TEXT
);
CREATE TABLE connectors (
    station_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT NOT NULL DEFAULT '',
    info TEXT NOT NULL DEFAULT '',
    updated_at TEXT,
    PRIMARY KEY (station_id, evse_id, connector_id)
);
CREATE TABLE settings (
    station_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    status TEXT NOT NULL,
    send_after TEXT,
    PRIMARY KEY (station_id, name)
);
CREATE INDEX settings_due ON settings (status, send_after);
CREATE TABLE install_certificates (
    station_id TEXT NOT NULL,
    certificate_id TEXT NOT NULL,
    certificate_type TEXT NOT NULL,
    certificate_data TEXT NOT NULL,
    status TEXT NOT NULL,
    send_after TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station_id, certificate_id)
);
CREATE TABLE triggers (
    station_id TEXT PRIMARY KEY,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    send_after TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tokens (
    uid TEXT PRIMARY KEY,
    country_code TEXT NOT NULL,
    party_id TEXT NOT NULL,
    type TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    valid INTEGER NOT NULL,
    cache_mode TEXT NOT NULL,
    visual_number TEXT,
    group_id TEXT,
    language_code TEXT,
    status TEXT,
    expiry_date TEXT,
    last_updated TEXT
);
CREATE TABLE transactions (
    station_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    id_token TEXT NOT NULL DEFAULT '',
    token_type TEXT NOT NULL DEFAULT '',
    evse_id INTEGER NOT NULL DEFAULT 0,
    connector_id INTEGER NOT NULL DEFAULT 0,
    started_at TEXT,
    ended_at TEXT,
    meter_start_wh DOUBLE PRECISION,
    meter_stop_wh DOUBLE PRECISION,
    start_seq_no INTEGER,
    ended_seq_no INTEGER,
    updated_seq_no_count INTEGER NOT NULL DEFAULT 0,
    last_seq_no INTEGER,
    seq_no_gaps TEXT NOT NULL DEFAULT '[]',
    offline INTEGER NOT NULL DEFAULT 0,
    trigger_reason TEXT NOT NULL DEFAULT '',
    charging_state TEXT NOT NULL DEFAULT '',
    stopped_reason TEXT NOT NULL DEFAULT '',
    remote_start_id INTEGER,
    stop_id_token TEXT NOT NULL DEFAULT '',
    cost DOUBLE PRECISION,
    currency TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (station_id, transaction_id)
);
CREATE INDEX transactions_started ON transactions (started_at);
CREATE TABLE transaction_events (
    station_id TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    seq_no INTEGER NOT NULL,
    event_type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    PRIMARY KEY (station_id, transaction_id, seq_no)
);
CREATE TABLE tx16_starts (
    station_id TEXT NOT NULL,
    connector_id INTEGER NOT NULL,
    id_tag TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    transaction_id INTEGER NOT NULL,
    PRIMARY KEY (station_id, connector_id, id_tag, timestamp)
);
CREATE TABLE meter_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    transaction_id TEXT,
    timestamp TEXT NOT NULL,
    sampled_values TEXT NOT NULL
);
CREATE INDEX meter_values_tx ON meter_values (station_id, transaction_id, timestamp);
CREATE TABLE device_model (
    station_id TEXT NOT NULL,
    component TEXT NOT NULL,
    component_instance TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    connector_id INTEGER NOT NULL,
    variable TEXT NOT NULL,
    variable_instance TEXT NOT NULL,
    attribute_type TEXT NOT NULL,
    value TEXT,
    mutability TEXT NOT NULL DEFAULT '',
    characteristics TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (station_id, component, component_instance, evse_id, connector_id, variable,
                 variable_instance, attribute_type)
);
CREATE TABLE station_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id TEXT NOT NULL,
    at TEXT NOT NULL,
    event_type TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX station_events_station ON station_events (station_id, id);
CREATE TABLE message_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id TEXT NOT NULL,
    at TEXT NOT NULL,
    direction TEXT NOT NULL,
    message_type INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT '',
    payload TEXT,
    error_code TEXT NOT NULL DEFAULT '',
    error_description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_log_station ON message_log (station_id, id);
CREATE TABLE calls (
    call_id TEXT PRIMARY KEY,
    station_id TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    ocpp_version TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    response TEXT,
    error_code TEXT NOT NULL DEFAULT '',
    error_description TEXT NOT NULL DEFAULT '',
    completed_at TEXT
);
CREATE INDEX calls_station ON calls (station_id, created_at);
CREATE TABLE certificates (
    hash TEXT PRIMARY KEY,
    pem TEXT NOT NULL
);
CREATE TABLE ocpi_registrations (
    token TEXT PRIMARY KEY,
    status TEXT NOT NULL
);
CREATE TABLE ocpi_parties (
    role TEXT NOT NULL,
    country_code TEXT NOT NULL,
    party_id TEXT NOT NULL,
    url TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (role, country_code, party_id)
);
CREATE TABLE locations (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    last_updated TEXT
);
CREATE TABLE api_tokens (
    name TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
)
""",
    """
CREATE TABLE reservations (
    reservation_id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    id_token TEXT NOT NULL,
    token_type TEXT NOT NULL,
    group_id TEXT,
    expires_at TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    external_id TEXT
);
CREATE INDEX reservations_station ON reservations (station_id, reservation_id);
CREATE INDEX reservations_external ON reservations (external_id)
""",
    # When each admin API token was last used (minute resolution), shown by
    # `csms-tui api-token list` and GET /api/v0/api-tokens so an unused token can be revoked.
    """
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT
""",
    # Where each station logged in from: its known addresses keep their own login budget
    # (core/gateway/guard.py), so strangers' failed guesses never lock it out.
    """
CREATE TABLE login_addresses (
    station_id TEXT NOT NULL,
    address TEXT NOT NULL,
    last_login TEXT NOT NULL,
    PRIMARY KEY (station_id, address)
)
""",
    # ISO 15118 smart charging per EVSE (core/handlers/ocpp201/ev_charging.py): the EV's needs and
    # the profile the station accepted, so the EV's schedule can be checked against it and the
    # schedule renegotiated by whichever manager handles the next message.
    """
CREATE TABLE ev_charging (
    station_id TEXT NOT NULL,
    evse_id INTEGER NOT NULL,
    transaction_id TEXT NOT NULL DEFAULT '',
    needs TEXT,
    profile TEXT,
    rejections INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (station_id, evse_id)
)
""",
    # The token status of each transaction: a started transaction the CSMS refused is stored
    # (not authorised) rather than dropped with its energy. Earlier rows were all accepted.
    """
ALTER TABLE transactions ADD COLUMN auth_status TEXT NOT NULL DEFAULT ''
""",
    # Why an operator closed a transaction the station would never end (a station replaced, a
    # StopTransaction lost for good); '' for every transaction its station ended.
    """
ALTER TABLE transactions ADD COLUMN close_reason TEXT NOT NULL DEFAULT ''
""",
    # Per-station leniency (core/leniency): grants made through the API (configuration grants
    # are read at start), and the violations accepted under any grant, counted in the store so
    # every process's station detail shows the same numbers.
    """
CREATE TABLE leniency_grants (
    station_id TEXT PRIMARY KEY,
    names TEXT NOT NULL,
    no_subprotocol TEXT NOT NULL DEFAULT ''
);
CREATE TABLE leniency_counts (
    station_id TEXT NOT NULL,
    name TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_at TEXT NOT NULL,
    last_detail TEXT NOT NULL,
    PRIMARY KEY (station_id, name)
)
""",
    # The message log's per-station index leads with the block of ids a row is in (the
    # reason, and the queries that use it: core/store/sqlite/message_log.py). Keyed by station
    # first, every batch of frames from many stations dirtied a page of the index per station
    # and every trim as many again: some 14 µs of CPU a row against 2.6 without it.
    """
DROP INDEX message_log_station;
CREATE INDEX message_log_recent ON message_log ((id / 8192), station_id, id)
""",
    # A transaction's register span (core.store.energy.RegisterSpan, as text): what its meter
    # start/stop and cost are read from, kept as its readings come so that an event does not read
    # every earlier reading again. NULL: not known (a transaction stored before it was kept); the
    # next read of the transaction reads it from the readings and keeps it.
    """
ALTER TABLE transactions ADD COLUMN register_span TEXT
""",
    # The message log in packs of frames, many to a row (the reason: core/store/message_packs.py).
    pack_the_message_log,
]
