"""The log sends its checkpoints to its witnesses and serves their cosignatures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from plaudit.config import Settings
from plaudit.errors import ConfigError
from plaudit.ledger import (
    CosignatureSigner,
    parse_note,
    parse_verifier_key,
    verify_cosignature,
)
from plaudit.ledger.sources import StoreLog
from plaudit.ledger.verify import VerificationFailed, verify_log
from plaudit.platform import Platform
from plaudit.witness.client import WitnessClient, WitnessRefused, witness_clients
from plaudit.witness.core import Witness
from plaudit.witness.keystore import STATE_FILE, load_or_create_witness_key
from plaudit.witness.server import create_witness_app


@pytest.fixture
def signer(tmp_path: Path) -> CosignatureSigner:
    return load_or_create_witness_key(tmp_path / "w", "witness.example/w1")


@pytest.fixture
def platform(backend_settings: Settings, signer: CosignatureSigner) -> Iterator[Platform]:
    key = signer.verifier().key_string
    opened = Platform(backend_settings.with_values(ledger_witnesses=key)).open(writer_thread=True)
    yield opened
    opened.close()


@pytest.fixture
def witness(platform: Platform, signer: CosignatureSigner, tmp_path: Path) -> Witness:
    """A witness following the platform's log (by its verifier key)."""
    return Witness(signer, [parse_verifier_key(platform.ledger.vkey)], tmp_path / STATE_FILE)


def _likes(platform: Platform, count: int) -> None:
    creator, _ = platform.accounts.create(f"creator{count}", "creator")
    video = platform.videos.publish(creator.id, "a video", "education").id
    for i in range(count):
        fan, _ = platform.accounts.create(f"fan{count}-{i}")
        asyncio.run(platform.interactions.like(fan.id, video, "app"))
    platform.integrator.catch_up()


def _client(witness: Witness) -> WitnessClient:
    http = TestClient(create_witness_app(witness), base_url="http://witness.test")
    return WitnessClient("http://witness.test", witness.signer.verifier(), client=http)


def test_checkpoints_are_cosigned_and_served_with_the_log(
    platform: Platform, witness: Witness
) -> None:
    key = witness.signer.verifier()
    client = _client(witness)
    _likes(platform, 3)
    assert client.submit(platform.ledger)
    assert not client.submit(platform.ledger)  # already cosigned: nothing sent
    served = platform.ledger.checkpoint()
    assert verify_cosignature(served, key) > 0
    _likes(platform, 4)
    assert client.submit(platform.ledger)  # with a consistency proof from the last size
    served = platform.ledger.checkpoint()
    size = int(parse_note(served).text.split("\n")[1])
    assert size == 7
    summary = verify_log(
        StoreLog(platform.ledger), platform.ledger.vkey, witnesses=[key.key_string], quorum=1
    )
    assert summary.witnesses == ("witness.example/w1",)


def test_a_restarted_log_learns_the_witness_size_from_its_409(
    platform: Platform, witness: Witness
) -> None:
    _likes(platform, 2)
    assert _client(witness).submit(platform.ledger)
    _likes(platform, 3)
    fresh = _client(witness)  # knows nothing: sends old 0, gets 409 "2", retries from 2
    assert fresh.submit(platform.ledger)
    assert fresh.cosigned_size == 5


def test_a_checkpoint_the_witness_never_saw_fails_a_required_witness(
    platform: Platform, witness: Witness
) -> None:
    _likes(platform, 2)
    with pytest.raises(VerificationFailed, match="did not cosign"):
        verify_log(
            StoreLog(platform.ledger),
            platform.ledger.vkey,
            witnesses=[witness.signer.verifier().key_string],
        )


def test_a_witness_that_is_ahead_of_the_log_is_reported(
    platform: Platform, witness: Witness
) -> None:
    _likes(platform, 2)
    client = _client(witness)
    client.submit(platform.ledger)
    client.cosigned_size = 50
    with pytest.raises(WitnessRefused, match="rolled back"):
        client.submit(platform.ledger)


def test_witness_urls_must_name_configured_witnesses(witness: Witness) -> None:
    key = witness.signer.verifier().key_string
    [client] = witness_clients([key], "witness.example/w1=http://127.0.0.1:8100")
    assert client.url == "http://127.0.0.1:8100"
    with pytest.raises(ConfigError, match="not in ledger_witnesses"):
        witness_clients([key], "other.example/w=http://x")
    with pytest.raises(ConfigError, match="<witness name>=<http URL>"):
        witness_clients([key], "witness.example/w1")
