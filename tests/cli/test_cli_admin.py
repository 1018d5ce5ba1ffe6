"""Admin commands on the configured store (a real SQLite file per test): API tokens, station
registration that refuses an existing id, and password rotation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from core.config import load_config
from csms_tui.cli_tools import _store, standalone_app

runner = CliRunner()
APP = standalone_app()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    db = (tmp_path / "csms.db").as_posix()
    path.write_text(
        f'[api]\nhost = "csms.example"\nws_port = 9310\n[storage.sqlite]\npath = "{db}"\n',
        encoding="utf-8",
    )
    return path


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(APP, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def in_store(config: Path, job: Any) -> Any:
    async def go() -> Any:
        async with _store(load_config(config)) as store:
            return await job(store)

    return asyncio.run(go())


# -- api-token -------------------------------------------------------------------------------


def test_api_token_list_and_revoke(config: Path) -> None:
    from core.api.auth import hash_api_token

    code, out, _ = run("api-token", "list", "--config", str(config))
    assert code == 0
    assert out.startswith("no API tokens")
    _, ci, _ = run("api-token", "create", "ci", "--config", str(config))
    run("api-token", "create", "ops", "--config", str(config))
    used = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    in_store(config, lambda s: s.touch_api_token(hash_api_token(ci.strip()), used))

    code, out, err = run("api-token", "list", "--config", str(config))
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "CREATED", "LAST", "USED"]
    assert rows[0].startswith("ci ")
    assert rows[0].endswith("2026-03-04 05:06:07 UTC")
    assert rows[1].startswith("ops ")
    assert rows[1].endswith("never")
    assert ci.strip() not in out
    assert hash_api_token(ci.strip()) not in out

    code, out, _ = run("api-token", "revoke", "ci", "--config", str(config))
    assert code == 0
    assert out == "revoked ci\n"
    assert in_store(config, lambda s: s.lookup_api_token(hash_api_token(ci.strip()))) is None
    code, out, err = run("api-token", "revoke", "ci", "--config", str(config))
    assert code == 1
    assert out == ""
    assert err == "error: no API token named 'ci' (see: csms-tui api-token list)\n"


def test_a_token_name_in_use_is_replaced_only_when_asked(config: Path) -> None:
    from core.api.auth import hash_api_token

    _, first, _ = run("api-token", "create", "ci", "--config", str(config))
    code, out, err = run("api-token", "create", "ci", "--config", str(config))
    assert code == 1
    assert out == ""
    assert "a token named 'ci' exists" in err
    assert "--replace" in err
    assert in_store(config, lambda s: s.lookup_api_token(hash_api_token(first.strip())))
    code, second, _ = run("api-token", "create", "ci", "--replace", "--config", str(config))
    assert code == 0
    assert second.strip() != first.strip()
    assert in_store(config, lambda s: s.lookup_api_token(hash_api_token(first.strip()))) is None


def test_api_token_name_is_checked(config: Path) -> None:
    code, _, err = run("api-token", "create", "two words", "--config", str(config))
    assert code == 2
    assert err.startswith("error: name: 1-64 characters")


@pytest.mark.parametrize("group", ["api-token", "station"])
def test_every_command_has_help(group: str) -> None:
    code, out, _ = run(group, "--help")
    assert code == 0
    commands = [c for c in ("list", "revoke", "create", "register", "rotate-password") if c in out]
    for command in commands:
        code, text, _ = run(group, command, "--help")
        assert code == 0
        assert "Example: csms-tui" in text


# -- station register / rotate-password -------------------------------------------------------


def stored_hash(config: Path, station_id: str) -> str | None:
    async def job(store: Any) -> str | None:
        auth = await store.lookup_station_auth(station_id)
        return None if auth is None else auth.password_hash

    return in_store(config, job)  # type: ignore[no-any-return]


def fields(out: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_register_refuses_an_existing_id_and_keeps_its_password(config: Path) -> None:
    from core.credentials import hash_password

    code, out, err = run("station", "register", "CS001", "-p", "0", "--config", str(config))
    assert code == 0, err
    password = fields(out)["password"]
    code, out, err = run("station", "register", "CS001", "-p", "0", "--config", str(config))
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: station CS001 is already registered")
    assert "csms-tui station rotate-password CS001" in err
    assert stored_hash(config, "CS001") == hash_password(password)


def test_rotate_password_asks_first_and_replaces_the_hash(config: Path) -> None:
    from core.credentials import hash_password

    _, out, _ = run("station", "register", "CS001", "-p", "0", "--config", str(config))
    old = fields(out)["password"]
    code, out, err = run(
        "station", "rotate-password", "CS001", "--config", str(config), stdin="n\n"
    )
    assert code == 1
    assert "old password stops working at once" in err
    assert stored_hash(config, "CS001") == hash_password(old)

    code, out, err = run(
        "station", "rotate-password", "CS001", "--config", str(config), stdin="y\n"
    )
    assert code == 0, err
    new = fields(out)["password"]
    assert new != old
    assert len(new) == 16
    assert stored_hash(config, "CS001") == hash_password(new)

    code, out, err = run("station", "rotate-password", "CS001", "--yes", "--config", str(config))
    assert code == 0
    assert fields(out)["password"] not in (old, new)
    assert fields(out)["url"] == "ws://csms.example:9310/ws/CS001"

    code, _, err = run("station", "rotate-password", "NOPE", "--yes", "--config", str(config))
    assert code == 1
    assert err == "error: station NOPE is not registered\n"


# -- profile 2: certificates from the local CA ------------------------------------------------


@pytest.fixture
def ca_config(config: Path, tmp_path: Path) -> Path:
    from core.services.certificates import create_ca

    cert, key = create_ca("Test CSO CA", "Test Org")
    (tmp_path / "ca.pem").write_text(cert, encoding="utf-8")
    (tmp_path / "ca.key").write_text(key, encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace("[api]\n", '[api]\norg_name = "Acme CPO"\n')
    text += (
        '[charge_station_cert_provider]\ntype = "local"\n'
        f'local.cert.file = "{(tmp_path / "ca.pem").as_posix()}"\n'
        f'local.key.file = "{(tmp_path / "ca.key").as_posix()}"\n'
    )
    config.write_text(text, encoding="utf-8")
    return config


def _pem_blocks(out: str, kind: str) -> list[str]:
    import re

    return re.findall(rf"-----BEGIN {kind}-----.*?-----END {kind}-----\n?", out, re.S)


def test_issue_certificate_generates_key_and_certificate(ca_config: Path, tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    code, out, err = run(
        "station", "register", "CS002", "--issue-certificate", "--config", str(ca_config)
    )
    assert code == 0, err
    assert fields(out)["url"] == "wss://csms.example:9311/ws/CS002"
    leaf_pem, ca_pem = _pem_blocks(out, "CERTIFICATE")
    (key_pem,) = _pem_blocks(out, "PRIVATE KEY")
    leaf = x509.load_pem_x509_certificate(leaf_pem.encode())
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CS002"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Acme CPO"
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.pem").read_bytes())
    leaf.verify_directly_issued_by(ca)
    assert x509.load_pem_x509_certificate(ca_pem.encode()) == ca
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    assert key.public_key() == leaf.public_key()
    assert "password" not in fields(out)
    # The station is registered with profile 2 and no password.
    assert stored_hash(ca_config, "CS002") is None


def test_register_signs_an_operators_csr(ca_config: Path, tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())

    def csr(cn: str, org: str) -> Path:
        request = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.COMMON_NAME, cn),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                    ]
                )
            )
            .sign(key, hashes.SHA256())
        )
        path = tmp_path / f"{cn}-{org}.csr"
        path.write_bytes(request.public_bytes(serialization.Encoding.PEM))
        return path

    code, _, err = run(
        "station", "register", "CS003", "--csr", str(csr("CS999", "Acme CPO")),
        "--config", str(ca_config),
    )  # fmt: skip
    assert code == 2
    assert "common name (CN) must be the station id 'CS003'" in err
    code, _, err = run(
        "station", "register", "CS003", "--csr", str(csr("CS003", "Other")),
        "--config", str(ca_config),
    )  # fmt: skip
    assert code == 2
    assert "organisation (O) must be 'Acme CPO'" in err
    registered = in_store(ca_config, lambda s: s.lookup_station("CS003"))
    assert registered is None  # refused: nothing registered
    code, out, err = run(
        "station", "register", "CS003", "--csr", str(csr("CS003", "Acme CPO")),
        "--config", str(ca_config),
    )  # fmt: skip
    assert code == 0, err
    leaf_pem, _ = _pem_blocks(out, "CERTIFICATE")
    assert _pem_blocks(out, "PRIVATE KEY") == []  # the key stays with the station
    leaf = x509.load_pem_x509_certificate(leaf_pem.encode())
    assert leaf.public_key() == key.public_key()


def test_certificate_without_a_local_ca_says_what_to_configure(config: Path) -> None:
    code, out, err = run(
        "station", "register", "CS004", "--issue-certificate", "--config", str(config)
    )
    assert code == 1
    assert out == ""
    assert err.startswith("error: no local CA is configured to issue station certificates")
    assert '[charge_station_cert_provider] type = "local"' in err
    assert err.count("\n") == 1
    code, _, err = run(
        "station", "register", "CS004", "-p", "0", "--issue-certificate", "--config", str(config)
    )
    assert code == 2
    assert "security profile 2" in err
