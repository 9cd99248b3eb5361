"""The client is what the worker's judge posts statuses with (`judge.Poster`)."""

from __future__ import annotations

import gwforge

from gitward.receiver.forge_client import ForgeClient
from gitward.receiver.judge import Poster


def test_a_forge_client_is_a_poster_for_the_judge() -> None:
    client = ForgeClient(gwforge.instance("gitea", "https://tea.example/api/v1"), "t0ken")
    poster: Poster = client  # mypy --strict checks this line
    assert poster.post_status == client.post_status
    assert client.token_for("acme/app") == "t0ken"
