"""deploy/: the compose file, the systemd units and the config files they share agree with
each other, every config file passes ``csms-tui config check``, and the compose topology runs.

The run starts what compose.yaml starts (2 gateways, 2 managers, 1 ``manager --api``), with
the same arguments and the same deploy/config files, as local ``csms-tui`` processes around a
real mosquitto and PostgreSQL. Only the addresses are rewritten: the broker URL, the DSN and
the listening ports, which on a test machine must be free ones on 127.0.0.1."""

from __future__ import annotations

import configparser
import re
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import tomlkit
import yaml  # type: ignore[import-untyped, unused-ignore]

from core.config import split_addr
from tests.e2e.conftest import password_hash
from tests.e2e.test_scale_out import _start, _wait_for_log
from tests.e2e.test_scale_out_presence import (
    V0,
    Station16,
    Station201,
    _call,
    _station,
    _until,
)
from tests.fixtures.services import free_port, run_mosquitto

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CONFIG = DEPLOY / "config"
CLI = (sys.executable, "-m", "csms_tui")  # the csms-tui command of this environment
ETC = "/etc/csms-tui"  # where both deployments read the config files
COUNTS = {"gateway": 2, "manager": 2, "api": 1}
# What each role listens on (section, key): the addresses a local run must move.
LISTENERS = {
    "gateway": [("gateway", "ws_addr"), ("gateway", "status_addr")],
    "manager": [],
    "api": [("api", "addr")],
}


@dataclass(frozen=True)
class Process:
    """One csms-tui process of a deployment: its role, arguments and config file."""

    name: str
    role: str
    args: tuple[str, ...]
    config: Path  # the file in deploy/config

    def args_with(self, config: Path) -> list[str]:
        args = list(self.args)
        args[args.index("--config") + 1] = str(config)
        return args


def _role(args: list[str]) -> str:
    if args[0] == "gateway":
        return "gateway"
    assert args[0] == "manager", args
    return "api" if "--api" in args else "manager"


def _config_file(args: list[str], mounts: dict[str, Path]) -> Path:
    path = args[args.index("--config") + 1]
    directory, _, name = path.rpartition("/")
    assert directory in mounts, f"{path} is not in a mounted config folder {sorted(mounts)}"
    return mounts[directory] / name


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def compose_processes() -> list[Process]:
    out = []
    for name, service in compose()["services"].items():
        if "build" not in service:  # mosquitto, postgres
            continue
        mounts = {}
        for volume in service["volumes"]:
            source, target = volume.split(":")[:2]
            mounts[target] = (DEPLOY / source).resolve()
        args = [str(a) for a in service["command"]]
        out.append(Process(name, _role(args), tuple(args), _config_file(args, mounts)))
    return out


def _unit(path: Path) -> configparser.ConfigParser:
    """A unit file's sections; of a key given on several lines, the last value."""
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read_string(path.read_text())
    return parser


def systemd_processes() -> list[Process]:
    """The units csms-tui.target pulls in, template instances resolved."""
    units = DEPLOY / "systemd"
    text = (units / "csms-tui.target").read_text()
    wanted = [w for line in re.findall(r"^Wants=(.*)$", text, re.M) for w in line.split()]
    out = []
    for instance in wanted:
        name, _, rest = instance.partition("@")
        template = f"{name}@.service" if rest else instance
        unit = _unit(units / template)
        exec_start = unit["Service"]["ExecStart"].replace("%i", rest.removesuffix(".service"))
        binary, *args = exec_start.split()
        assert binary.endswith("/csms-tui"), exec_start
        process = Process(instance, _role(args), tuple(args), _config_file(args, {ETC: CONFIG}))
        out.append(process)
    return out


def _toml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomlkit.parse(path.read_text()).unwrap()
    return data


def _port(addr: str) -> int:
    return split_addr(addr)[1]


def _mosquitto_conf() -> dict[str, str]:
    lines = (DEPLOY / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    pairs = (line.split(None, 1) for line in lines if line.strip() and not line.startswith("#"))
    return {key: value.strip() for key, value in pairs}


# ---------------------------------------------------------------------------------------------


def test_compose_and_systemd_run_the_same_processes() -> None:
    composed, units = compose_processes(), systemd_processes()
    assert Counter(p.role for p in composed) == COUNTS
    assert Counter(p.role for p in units) == COUNTS
    # Same arguments and the same config file per role, instance by instance.
    assert sorted((p.role, p.args[:-1], p.config) for p in composed) == sorted(
        (p.role, p.args[:-1], p.config) for p in units
    )
    # Two gateways never share a file: on one host, each needs ports of its own.
    gateways = [p.config for p in composed if p.role == "gateway"]
    assert len(set(gateways)) == len(gateways)
    # Every config file is used.
    assert {p.config for p in composed} == set(CONFIG.glob("*.toml"))


def test_config_files_pass_config_check() -> None:
    checks = [
        subprocess.Popen(
            [*CLI, "config", "check", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for path in sorted(CONFIG.glob("*.toml"))
    ]
    assert checks
    for check in checks:
        out, _ = check.communicate(timeout=60)
        assert check.returncode == 0, out.decode()
        assert out.decode().rstrip().endswith(": ok"), out.decode()


def test_addresses_and_ports_agree() -> None:
    services = compose()["services"]
    broker = _mosquitto_conf()
    assert broker["set_tcp_nodelay"] == "true"
    assert int(broker["max_queued_messages"]) >= 10_000  # well above the default of 1,000
    broker_port = int(broker["listener"].split()[0])
    db_env = services["postgres"]["environment"]
    ws_ports, status_ports = [], []
    for p in compose_processes():
        config, service = _toml(p.config), services[p.name]
        health = " ".join(service["healthcheck"]["test"])
        published = [str(port) for port in service.get("ports", [])]
        for url in config["transport"]["mqtt"]["urls"]:
            parts = urlsplit(url)
            assert (parts.hostname, parts.port) == ("mosquitto", broker_port), url
        dsn = urlsplit(config["storage"]["postgres"]["dsn"])
        assert (dsn.hostname, dsn.port) == ("postgres", 5432)
        assert dsn.username == db_env["POSTGRES_USER"]
        assert dsn.path == "/" + db_env["POSTGRES_DB"]
        assert dsn.password is None  # PGPASSWORD, from the environment
        assert "PGPASSWORD" in service["environment"]
        if p.role == "gateway":
            ws, status = (
                _port(config["gateway"]["ws_addr"]),
                _port(config["gateway"]["status_addr"]),
            )
            ws_ports.append(ws)
            status_ports.append(status)
            assert published == [f"{ws}:{ws}"]  # the same station URL as under systemd
            assert f"http://127.0.0.1:{status}/health" in health
        elif p.role == "api":
            api = _port(config["api"]["addr"])
            assert config["api"]["auth_required"] is True
            assert published == [f"127.0.0.1:{api}:{api}"]
            assert f"http://127.0.0.1:{api}/health" in health
        else:
            assert not published
            assert health.endswith(f"--mqtt {broker_port}")
    assert len(set(ws_ports + status_ports)) == len(ws_ports + status_ports)
    api_config = _toml(CONFIG / "api.toml")["api"]
    assert api_config["ws_port"] in ws_ports  # the connection URL shown on registration
    exposed = re.search(r"^EXPOSE (.*)$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert exposed is not None
    assert {*ws_ports, _port(api_config["addr"])} <= {int(x) for x in exposed.group(1).split()}


def test_images_and_units() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    installs = re.findall(r"pip install (.*)", dockerfile)
    assert installs
    assert not any("[" in i for i in installs)  # no extras (tests, tools)
    assert "COPY schemas" not in dockerfile  # the OCPP schemas are package data, in the wheel
    for p in compose_processes():
        service = compose()["services"][p.name]
        assert service["healthcheck"]["test"][0] == "CMD"
        assert service["restart"] == "unless-stopped"
        assert set(service["depends_on"]) == {"mosquitto", "postgres"}
    env = (DEPLOY / "systemd" / "csms-tui.env").read_text()
    for unit_file in (DEPLOY / "systemd").glob("*.service"):
        parsed = _unit(unit_file)
        unit = parsed["Service"]
        assert unit["User"] == "csms-tui", unit_file
        assert unit["Restart"] == "on-failure", unit_file
        assert unit["NoNewPrivileges"] == "yes"
        assert unit["ProtectSystem"] == "strict"
        assert unit["EnvironmentFile"].lstrip("-") == f"{ETC}/csms-tui.env"
        assert parsed["Install"]["WantedBy"] == "csms-tui.target"
    assert "PGPASSWORD=" in env


# ---------------------------------------------------------------------------------------------


def _local(p: Process, directory: Path, mqtt_port: int, dsn: str) -> tuple[Path, dict[str, int]]:
    """p's config file with the broker, the database and free ports on 127.0.0.1: nothing else
    changes. Returns the file and the ports it now listens on."""
    doc = tomlkit.parse(p.config.read_text())
    transport, storage = doc["transport"], doc["storage"]
    transport["mqtt"]["urls"] = [f"mqtt://127.0.0.1:{mqtt_port}"]
    storage["postgres"]["dsn"] = dsn
    ports: dict[str, int] = {}
    for section, key in LISTENERS[p.role]:
        ports[key] = free_port()
        doc[section][key] = f"127.0.0.1:{ports[key]}"
    path = directory / f"{p.name}.toml"
    path.write_text(tomlkit.dumps(doc))
    return path, ports


@dataclass
class Running:
    process: Process
    config: Path
    ports: dict[str, int]
    proc: subprocess.Popen[bytes]
    log: Path


@pytest.fixture
def deployed(tmp_path: Path, postgres_cluster: str) -> Iterator[tuple[int, list[Running]]]:
    import psycopg

    name = f"deploy_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_cluster, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    dsn = postgres_cluster.rsplit("/", 1)[0] + f"/{name}"
    with run_mosquitto(tmp_path) as mqtt_port:
        running: list[Running] = []
        try:
            for p in compose_processes():
                config, ports = _local(p, tmp_path, mqtt_port, dsn)
                log = tmp_path / f"{p.name}.log"
                running.append(Running(p, config, ports, _start(p.args_with(config), log), log))
            for r in running:
                _wait_for_log(r.log, r.proc, "csms-tui running", timeout=30)
            yield mqtt_port, running
        finally:
            alive = [r for r in running if r.proc.poll() is None]
            for r in alive:
                r.proc.send_signal(signal.SIGTERM)
            for r in alive:
                try:
                    assert r.proc.wait(timeout=10) == 0, r.log.read_text()
                except subprocess.TimeoutExpired:
                    r.proc.kill()
                    raise


def _healthcheck(*args: str) -> int:
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py"), *args]).returncode


@pytest.mark.mqtt
@pytest.mark.postgres
async def test_the_compose_topology_runs(deployed: tuple[int, list[Running]]) -> None:
    mqtt_port, running = deployed
    by_role: dict[str, list[Running]] = {}
    for r in running:
        by_role.setdefault(r.process.role, []).append(r)
    assert {role: len(rs) for role, rs in by_role.items()} == COUNTS
    (api,) = by_role["api"]
    gateways = by_role["gateway"]

    # The containers' health checks, pointed at the local processes.
    for g in gateways:
        assert _healthcheck(f"http://127.0.0.1:{g.ports['status_addr']}/health") == 0
    assert _healthcheck(f"http://127.0.0.1:{api.ports['addr']}/health") == 0
    assert _healthcheck("--mqtt", str(mqtt_port)) == 0

    # api.toml requires bearer tokens: one from the CLI, as deploy/README.md says.
    created = subprocess.run(
        [*CLI, "api-token", "create", "deploy-test", "--config", str(api.config)],
        capture_output=True,
        check=True,
    )
    token = created.stdout.decode().strip()
    headers = {"Authorization": f"Bearer {token}"}

    async with aiohttp.ClientSession(f"http://127.0.0.1:{api.ports['addr']}") as anonymous:
        status, _ = await _call(anonymous, "GET", f"{V0}/cs")
        assert status == 401

    async with aiohttp.ClientSession(
        f"http://127.0.0.1:{api.ports['addr']}", headers=headers
    ) as http:
        for sid in ("CSA", "CSB"):
            body = {"securityProfile": 0, "base64SHA256Password": password_hash()}
            status, view = await _call(http, "POST", f"{V0}/cs/{sid}", body)
            assert status == 201, view
        g1, g2 = (g.ports["ws_addr"] for g in gateways)
        async with (
            _station(g1, "CSA", Station16, "ocpp1.6") as a,
            _station(g2, "CSB", Station201, "ocpp2.0.1") as b,
        ):
            await _until(http, {"CSA": True, "CSB": True}, timeout=5.0)
            for cp in (a, b):
                status, view = await _call(
                    http, "POST", f"{V0}/cs/{cp.id}/reset?wait=10", {"type": "Soft"}
                )
                assert status == 200, view
                assert view["state"] == "answered", view
                assert view["response"]["status"] == "Accepted", view
                assert cp.received == ["Reset"]
