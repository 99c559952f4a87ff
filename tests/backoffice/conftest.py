import os

import pytest

from stubs.serve import free_port
from tests.conftest import TEST_PAYLOAD_KEYS


@pytest.fixture
def stack_env(tmp_path) -> tuple[dict, dict]:
    """Environment for an embedded stack of its own: free ports and a home under tmp_path."""
    ports = {name: free_port() for name in ("temporal", "ui", "register", "providers", "codec", "metrics", "inbound")}
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
