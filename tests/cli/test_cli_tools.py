"""The utility commands: output, exit codes (0 ok, 1 runtime, 2 usage/config) and help."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from core.services.emaid import normalise_emaid
from csms_tui.cli_tools import SUB_APPS, standalone_app

runner = CliRunner()
APP = standalone_app()


def self_signed(cn: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def test_encode_password_prints_base64_sha256() -> None:
    result = runner.invoke(APP, ["auth", "encode-password", "one", "two"])
    assert result.exit_code == 0
    expected = base64.b64encode(hashlib.sha256(b"two").digest()).decode()
    assert result.stdout.splitlines()[1] == f"two: {expected}"


def test_generate_credential_is_64_random_characters() -> None:
    first = runner.invoke(APP, ["auth", "generate-credential"]).stdout.strip()
    second = runner.invoke(APP, ["auth", "generate-credential"]).stdout.strip()
    assert len(first) == 64
    assert first.isalnum()
    assert first != second


def test_hash_certificate(tmp_path: Path) -> None:
    cert = self_signed("CS1")
    pem = tmp_path / "cs1.pem"
    pem.write_bytes(cert.public_bytes(Encoding.PEM))
    result = runner.invoke(APP, ["auth", "hash-certificate", str(pem)])
    assert result.exit_code == 0
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
    assert (
        result.stdout.strip() == f"{pem}: {base64.urlsafe_b64encode(digest).decode().rstrip('=')}"
    )


def test_hash_certificate_refuses_non_certificates(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    result = runner.invoke(APP, ["auth", "hash-certificate", str(junk)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {junk}: not a PEM certificate\n"
    missing = runner.invoke(APP, ["auth", "hash-certificate", str(tmp_path / "nope.pem")])
    assert missing.exit_code == 2
    assert missing.stderr.count("\n") == 1


def test_emaid_normalize() -> None:
    expected = normalise_emaid("GB-TWK-C12345678")
    result = runner.invoke(APP, ["emaid", "normalize", "gb-twk-c12345678"])
    assert result.exit_code == 0
    assert result.stdout == f"gb-twk-c12345678: {expected}\n"
    result = runner.invoke(APP, ["emaid", "normalize", "nonsense"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: nonsense: ")


def test_config_check_ok_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[api]\naddr = "127.0.0.1:9999"\n')
    result = runner.invoke(APP, ["config", "check", str(good)])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"{good}: ok"
    bad = tmp_path / "bad.toml"
    bad.write_text('[api]\naddr = "127.0.0.1:9999"\nport = 1\n[storage]\ntype = "firestore"\n')
    result = runner.invoke(APP, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}: api.port: unknown key",
        f"{bad}: storage.type: Input should be 'sqlite' or 'postgres' (got 'firestore')",
    ]


def test_shipped_config_checks_ok() -> None:
    root = Path(__file__).resolve().parents[2]
    result = runner.invoke(APP, ["config", "check", str(root / "config.toml")])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        (
            '[tui]\ntheme = "nosuch"\n',
            "tui.theme: unknown theme 'nosuch' (one of: ansi-dark, ",
        ),
        (
            '[tui.keymap]\n"station.nope" = "k"\n',
            'tui.keymap."station.nope": unknown binding id (one of: action_form.cancel, ',
        ),
        (
            '[tui.keymap]\n"station.actions" = "ctrl+"\n',
            "tui.keymap.\"station.actions\": invalid key 'ctrl+' (no key after the modifier",
        ),
        (
            '[tui.keymap]\n"station.actions" = "not a key"\n',
            "tui.keymap.\"station.actions\": invalid key 'not a key' ('not a key' is not a key ",
        ),
        (
            '[gateway]\ndefault_subprotocol = "ocpp2.1"\n',
            "gateway.default_subprotocol: 'ocpp2.1' is not an OCPP subprotocol the gateway speaks "
            "(one of: ocpp1.6, ocpp2.0.1)",
        ),
    ],
)
def test_config_check_names_each_bad_console_or_gateway_value(
    tmp_path: Path, toml: str, line: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(toml)
    result = runner.invoke(APP, ["config", "check", str(bad)])
    assert result.exit_code == 2
    assert result.stdout == ""
    (printed,) = result.stderr.splitlines()
    assert printed.startswith(f"{bad}: {line}")


def test_config_check_accepts_good_console_and_gateway_values(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[gateway]\ndefault_subprotocol = "ocpp1.6"\n'
        '[tui]\ntheme = "nord"\n'
        '[tui.keymap]\n"station.actions" = "ctrl+a"\n"app.help" = "f1,question_mark"\n'
        'mode.messages = "m"\n'
    )
    result = runner.invoke(APP, ["config", "check", str(good)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{good}: ok\n", result.stderr


def test_config_check_as_a_process(tmp_path: Path) -> None:
    """The installed command's path: one line per problem on stderr, exit 2, no traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[tui]\ntheme = "nosuch"\n[tui.keymap]\n"station.actions" = "ctrl+"\n')
    result = subprocess.run(
        [sys.executable, "-m", "csms_tui", "config", "check", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert [line.split(": ")[:2] for line in result.stderr.splitlines()] == [
        [str(bad), "tui.theme"],
        [str(bad), 'tui.keymap."station.actions"'],
    ]


def test_bad_config_for_a_store_command_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[nope]\n")
    result = runner.invoke(APP, ["token", "list", "--config", str(bad)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {bad}: nope: unknown key\n"


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(APP, ["auth", "encode-password"]).exit_code == 2
    assert runner.invoke(APP, ["auth", "no-such-command"]).exit_code == 2


def _commands() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for sub_app, name in SUB_APPS:
        group = typer.main.get_group(sub_app)
        out.extend((name, command) for command in group.commands)
    return out


@pytest.mark.parametrize(("group", "command"), _commands())
def test_every_command_has_help_with_an_example(group: str, command: str) -> None:
    result = runner.invoke(APP, [group, command, "--help"])
    assert result.exit_code == 0
    assert "Example: csms-tui " + group in " ".join(result.stdout.split())


def test_the_issue_s_commands_exist() -> None:
    commands = set(_commands())
    for expected in [
        ("auth", "encode-password"),
        ("auth", "generate-credential"),
        ("auth", "hash-certificate"),
        ("emaid", "normalize"),
        ("contract", "validate"),
        ("transaction", "get"),
        ("station", "register"),
        ("token", "add"),
        ("token", "list"),
        ("token", "remove"),
        ("api-token", "create"),
        ("db", "migrate"),
        ("config", "check"),
    ]:
        assert expected in commands


def test_contract_validate_refuses_an_unreadable_trust_root(tmp_path: Path) -> None:
    pem = tmp_path / "c.pem"
    pem.write_text("x")
    result = runner.invoke(APP, ["contract", "validate", "-r", str(pem), f"GBTWKC12345678:{pem}"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: trust root 1")
