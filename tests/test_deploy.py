"""deploy/ checked statically: every file parses, and names only images listed in
deploy/images.yaml and environment variables that exist (the engine's WKP_* settings, or those
the pinned upstream image documents); the engine's commands exist; its configuration loads."""

import re
from pathlib import Path

import pytest
import yaml

from backoffice.cli import app
from codec.encryption import configured_key_ring
from config.settings import Settings
from store.factory import configured_bsn_key

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
IMAGES = yaml.safe_load((DEPLOY / "images.yaml").read_text())
ENGINE_IMAGES = set(IMAGES["project"])
UPSTREAM_ENV = {image: set(spec["env"]) for image, spec in IMAGES["upstream"].items()}
SETTINGS_ENV = {f"WKP_{name.upper()}" for name in Settings.model_fields}
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))


def k8s_documents() -> list[dict]:
    return [doc for path in K8S for doc in yaml.safe_load_all(path.read_text()) if doc]


def containers() -> list[tuple[str, str, dict]]:
    """(where, image, container) for every container of compose and the manifests."""
    found = []
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        environment = service.get("environment") or {}
        found.append(
            (
                f"compose:{name}",
                service["image"],
                {"env": environment, "command": service.get("command"), "entrypoint": service.get("entrypoint")},
            )
        )
    for doc in k8s_documents():
        spec = doc.get("spec", {})
        pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get(
            "template", {}
        ).get("spec")
        for container in (pod or {}).get("containers", []):
            env = {item["name"]: item.get("value") for item in container.get("env", [])}
            found.append(
                (f"k8s:{doc['kind']}/{doc['metadata']['name']}", container["image"], {**container, "env": env})
            )
    return found


def test_every_file_parses_and_the_kustomization_lists_them_all():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert {
        "postgresql",
        "temporal",
        "temporal-ui",
        "worker",
        "codec-server",
        "wkp-setup",
        "register-stub",
        "providers-stub",
        "inbound",
    } <= set(compose["services"])
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(path.name for path in K8S if path.name != "kustomization.yaml")
    for doc in k8s_documents():
        if doc.get("kind") != "Kustomization":
            assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]


@pytest.mark.parametrize(
    "where,image,container", containers(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_images_and_environment_variables_exist(where, image, container):
    if image in ENGINE_IMAGES:
        unknown = set(container["env"]) - SETTINGS_ENV
        assert not unknown, f"{where}: {sorted(unknown)} are not settings of the engine (config/settings.py)"
    else:
        assert image in UPSTREAM_ENV, f"{where}: image {image} is not listed in deploy/images.yaml"
        unknown = set(container["env"]) - UPSTREAM_ENV[image]
        assert not unknown, f"{where}: {sorted(unknown)} are not documented for {image} in deploy/images.yaml"


def test_the_engine_configuration_keys_are_settings_and_load(monkeypatch):
    config = {doc["metadata"]["name"]: doc for doc in k8s_documents() if doc["kind"] in {"ConfigMap", "Secret"}}
    values = {**config["wkp-config"]["data"], **config["wkp-secrets"]["stringData"]}
    assert set(values) <= SETTINGS_ENV
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert configured_key_ring(settings).current == "k1" and len(configured_bsn_key(settings)) == 32
    assert settings.codec_token_list() == ["change-me-codec-token"]
    assert set(settings.inbound_token_map()) == {"PF-B", "PF-C"}
    compose_env = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["x-wkp-env"]
    for name, value in compose_env.items():
        monkeypatch.setenv(name, value)
    assert len(configured_bsn_key(Settings())) == 32


def test_the_commands_the_containers_run_exist():
    commands = {command.name or command.callback.__name__ for command in app.registered_commands}
    groups = {
        group.name: {c.name or c.callback.__name__ for c in group.typer_instance.registered_commands}
        for group in app.registered_groups
    }
    for where, image, container in containers():
        if image not in ENGINE_IMAGES:
            continue
        words = " ".join(
            str(part)
            for part in (container.get("command") or [])
            + (container.get("args") or [])
            + (container.get("entrypoint") or [])
        )
        for group, sub in re.findall(r"wkp (\w+) (\w+)", words):
            assert sub in groups[group], f"{where}: wkp {group} {sub}"
        for module in re.findall(r"-m ([\w.]+)", words):
            assert hasattr(__import__(module, fromlist=["main"]), "main"), f"{where}: python -m {module}"
        bare = [
            word
            for word in (container.get("command") or []) + (container.get("args") or [])
            if word in {"worker", "codec-server", "inbound"}
        ]
        assert all(word in commands for word in bare), where
    assert {"admin", "cluster"} <= set(groups) and "init" in groups["admin"] and "setup" in groups["cluster"]


def test_the_dockerfile_copies_every_package_the_engine_installs():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \./", dockerfile, re.M)) | set(
        re.findall(r"^COPY ([^\n]+) \./$", dockerfile, re.M)[0].split()
    )
    for source in copied:
        assert (DEPLOY.parent / source).exists(), source
    pyproject = (DEPLOY.parent / "pyproject.toml").read_text()
    packages = re.findall(r'"(\w+)\*"', re.search(r"include = \[(.*?)\]", pyproject).group(1))
    assert set(packages) <= copied


def test_every_kubernetes_secret_is_in_a_secret_and_none_on_a_command_line():
    """The test secrets (`change-me-…`) appear only in Secret objects: not in a container's
    command, args or plain env values, where `kubectl describe` and the process list show them."""
    for doc in k8s_documents():
        if doc.get("kind") == "Secret":
            continue
        for spec in [doc.get("spec", {}).get("template", {}).get("spec", {})]:
            for container in spec.get("containers", []) + spec.get("initContainers", []):
                shown = [*container.get("command", []), *container.get("args", [])]
                shown += [str(env.get("value", "")) for env in container.get("env", [])]
                leaked = [text for text in shown if "change-me" in str(text)]
                assert not leaked, f"{doc['metadata']['name']}/{container['name']}: a secret outside a Secret"
