"""What a process, the PostgreSQL cluster and the whole machine have used so far, read from /proc:
the benches' measuring tape (bench/wave.py, bench/contention.py, bench/administration.py)."""

import os
from pathlib import Path

from store.throwaway_postgres import ThrowawayPostgres


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name: [0] state, [1] parent pid, [11] utime, [12] stime,
    [13] cutime, [14] cstime (clock ticks)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def ticks_to_seconds(fields: list[str], children: bool = False) -> float:
    """The CPU time (user + system) in `stat_fields`; with `children`, also that of the children
    the process has reaped."""
    return sum(int(fields[i]) for i in ((11, 12, 13, 14) if children else (11, 12))) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU time a process has used so far (`ticks_to_seconds`)."""
    return ticks_to_seconds(stat_fields(pid), children)


def cluster_cpu_seconds(postgres: ThrowawayPostgres | None) -> float:
    """CPU time the PostgreSQL cluster has used so far (0 with SQLite): its postmaster, the
    backends that ended (reaped into the postmaster's children's time) and those still running."""
    if postgres is None:
        return 0.0
    postmaster = int((postgres.data / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(postmaster, children=True)
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit():
                continue
            fields = stat_fields(int(proc.name))  # read once: its parent and its time
            if int(fields[1]) == postmaster:
                total += ticks_to_seconds(fields)
        except (OSError, ValueError):
            continue  # a backend that ended meanwhile: counted in the postmaster's children's time
    return total


def machine_ticks() -> tuple[int, int, int]:
    """The whole machine's CPU so far, from the first line of /proc/stat (clock ticks, all cores):
    busy (user, nice, system, irq, softirq), stolen by the hypervisor, and the total."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + steal + idle + iowait


def dev_server_pid() -> int:
    """The Temporal dev server this bench started (the `temporal server start-dev` process)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                command = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            pid = int(proc.name)
            if command[0].endswith(b"temporal") and b"start-dev" in command and pid not in (os.getpid(), os.getppid()):
                return pid
    raise RuntimeError("the dev server process was not found")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
