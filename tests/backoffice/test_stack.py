"""The embedded stack knows its own processes: `wkp down` stops what `wkp up` started and never a
process that has since taken a recorded pid."""

import json
import subprocess
import sys

from backoffice.stack import ours, pid_file, stop
from config.settings import Settings


def sleeper(*marker: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *marker], start_new_session=True)


def test_down_stops_its_own_services_and_leaves_a_process_that_reused_a_pid(tmp_path):
    settings = Settings(home=tmp_path / ".wkp")
    settings.home.mkdir()
    register, stranger = sleeper("-m", "stubs.register"), sleeper("something-else")
    try:
        assert ours("register", register.pid) and not ours("worker", stranger.pid)
        pid_file(settings).write_text(json.dumps({"register": register.pid, "worker": stranger.pid}))
        said: list[str] = []
        stop(settings, say=said.append)
        assert register.wait(timeout=30) is not None  # stopped
        assert stranger.poll() is None  # not ours: still running
        assert said == [f"  register   stopped (pid {register.pid})"] and not pid_file(settings).exists()
    finally:
        for process in (register, stranger):
            process.kill()
            process.wait()
