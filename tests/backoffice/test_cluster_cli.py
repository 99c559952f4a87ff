"""`wkp cluster setup` on a fresh cluster (the dev server standing in for a real one): the
namespace and every search attribute are created once; a second run changes nothing."""

import subprocess
import sys
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from config.binaries import temporal_cli
from workflows.search_attributes import ALL

WKP = str(Path(sys.executable).parent / "wkp")


async def test_setup_creates_the_namespace_and_search_attributes_once(tmp_path):
    async with await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli(), ui=False) as env:
        env_vars = {
            "PATH": "/usr/bin:/bin",
            "WKP_HOME": str(tmp_path),
            "WKP_NAMESPACE": "pensions",
            "WKP_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        }

        def setup() -> str:
            done = subprocess.run([WKP, "cluster", "setup"], capture_output=True, text=True, env=env_vars, timeout=120)
            assert done.returncode == 0, done.stderr
            return done.stdout

        first, second = setup(), setup()
        listed = await env.client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="pensions")
        )
    assert first.startswith("namespace pensions: created; search attributes added: WkpPhase, ")
    assert second == "namespace pensions: exists; search attributes added: none (all registered)\n"
    assert {key.name: key.indexed_value_type for key in ALL} == {
        name: listed.custom_attributes[name] for name in (key.name for key in ALL)
    }
