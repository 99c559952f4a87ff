import os
import random
import socket

import pytest

from tests.conftest import TEST_PAYLOAD_KEYS

# Below the kernel's ephemeral range (32768-60999 here): the stack's processes are started well
# after their ports are chosen, and Temporal's dev server binds several ephemeral ports of its
# own on start, so a port the kernel handed out as "free" could be taken by then (the UI once
# found its port bound by its own server's internals).
STACK_PORTS = range(20000, 32000)


def stack_ports(names: tuple[str, ...]) -> dict[str, int]:
    """A free port for each name, distinct, outside the ephemeral range."""
    chosen: dict[str, int] = {}
    while len(chosen) < len(names):
        port = random.choice(STACK_PORTS)
        if port in chosen.values():
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use: try another
        chosen[names[len(chosen)]] = port
    return chosen


@pytest.fixture
def stack_env(tmp_path) -> tuple[dict, dict]:
    """Environment for an embedded stack of its own: free ports and a home under tmp_path."""
    ports = stack_ports(("temporal", "ui", "register", "providers", "codec", "metrics", "inbound"))
    env = {
        **os.environ,
        "WKP_HOME": str(tmp_path / ".wkp"),
        "WKP_TEMPORAL_ADDRESS": f"localhost:{ports['temporal']}",
        "WKP_UI_PORT": str(ports["ui"]),
        "WKP_REGISTER_URL": f"http://127.0.0.1:{ports['register']}",
        "WKP_PROVIDERS_URL": f"http://127.0.0.1:{ports['providers']}",
        "WKP_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        "WKP_CODEC_PORT": str(ports["codec"]),
        "WKP_METRICS_PORT": str(ports["metrics"]),
        "WKP_INBOUND_PORT": str(ports["inbound"]),
    }
    return ports, env
