"""Forge clients are what the worker's judge posts with (`judge.Poster`): statuses in token
mode, check runs in GitHub App mode."""

from __future__ import annotations

import gwforge

from gitward.receiver.forge_client import ForgeClient
from gitward.receiver.judge import Poster
from gitward.receiver.posters import CheckRunPoster, StatusPoster, poster_for


def test_a_token_forge_posts_statuses() -> None:
    client = ForgeClient(gwforge.instance("gitea", "https://tea.example/api/v1"), "t0ken")
    poster: Poster = poster_for(client)  # mypy --strict checks this line
    assert isinstance(poster, StatusPoster)
    assert client.token_for("acme/app") == "t0ken"


def test_checkrun_poster_is_a_poster() -> None:
    client = ForgeClient(gwforge.instance("github", "https://api.github.example"), "t0ken")
    poster: Poster = CheckRunPoster(client)
    assert poster is not None
