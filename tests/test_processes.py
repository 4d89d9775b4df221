"""The process executor against the executor seam, with a stub `Fire` that records calls.

Jobs (tests/proc_jobs.py) tell the test that they run through a TCP inbox on
127.0.0.1 and, when they hold their worker, wait for the test to release
them: every step waits on an event, a socket or a process, never a sleep.
The timeouts below are failure guards only.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

import proc_jobs
import pytest

import cronsec._processes
from cronsec._executor import ShutdownReport
from cronsec._processes import ProcessExecutor, RemoteTraceback, check_picklable

GUARD = 30.0  # seconds: a failure guard, never reached when things work
INSTANT = datetime(2026, 3, 29, 3, 0, 5, tzinfo=ZoneInfo("Europe/Riga"))


class StubFire:
    """Records begin/end/drop; ``allow=False`` makes the gate refuse."""

    def __init__(
        self,
        func: Callable[..., Any],
        *args: Any,
        pin: int | None = None,
        timeout: float | None = None,
        allow: bool = True,
        name: str = "job",
    ) -> None:
        self.job_name = name
        self.instant = INSTANT
        self.func = func
        self.args = args
        self.kwargs: dict[str, Any] = {}
        self.timeout = timeout
        self.pin = pin
        self.allow = allow
        self.calls: list[str] = []
        self.outcome: str | None = None
        self.error: BaseException | str | None = None
        self.why: str | None = None
        self.done = threading.Event()

    def begin(self) -> bool:
        self.calls.append("begin")
        return self.allow

    def end(self, outcome: str, error: BaseException | str | None = None) -> None:
        self.calls.append("end")
        self.outcome, self.error = outcome, error
        self.done.set()

    def overran(self) -> None:
        self.calls.append("overran")

    def drop(self, why: str) -> None:
        self.calls.append("drop")
        self.why = why
        self.done.set()

    def wait(self) -> StubFire:
        assert self.done.wait(GUARD), f"{self.func.__name__} never ended: {self.calls}"
        return self


class Inbox:
    """The test's end of the jobs' sockets: one JSON line per job, kept open to release it."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(GUARD)
        self.addr = self.server.getsockname()[:2]
        self.held: dict[str, socket.socket] = {}

    def get(self) -> dict[str, Any]:
        conn, _ = self.server.accept()
        conn.settimeout(GUARD)
        line = conn.makefile("rb").readline()
        message: dict[str, Any] = json.loads(line)
        self.held[message["tag"]] = conn
        return message

    def release(self, tag: str) -> None:
        conn = self.held.pop(tag)
        conn.sendall(b"go\n")
        conn.close()

    def close(self) -> None:
        for conn in self.held.values():
            conn.close()
        self.server.close()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    yield box
    box.close()


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessExecutor]:
    """Four workers shared by the tests that leave the pool as they found it."""
    ex = ProcessExecutor(4, name="test-pool")
    ex.start()
    yield ex
    ex.shutdown(wait=False)


def run(ex: ProcessExecutor, *fires: StubFire) -> None:
    ex.submit(fires)
    for fire in fires:
        fire.wait()


def wait_idle(ex: ProcessExecutor, index: int, old_pid: int | None = None) -> int:
    """Run a marker fire on worker ``index``; the pid it ran in (a new one after a crash)."""
    box = Inbox()
    try:
        fire = StubFire(proc_jobs.report, box.addr, "marker", pin=index)
        ex.submit([fire])
        pid: int = box.get()["pid"]
        fire.wait()
    finally:
        box.close()
    assert fire.outcome == "ok"
    assert pid != old_pid
    return pid


# -- placement -----------------------------------------------------------------


def test_start_runs_every_worker_before_the_first_fire(pool: ProcessExecutor) -> None:
    assert pool.kind == "processes" and pool.can_cancel
    pids = pool.pids()
    assert len(pids) == 4 and None not in pids and len(set(pids)) == 4
    assert pool.idle() == 4


def test_busy_fires_spread_over_all_workers(pool: ProcessExecutor, inbox: Inbox) -> None:
    fires = [StubFire(proc_jobs.hold, inbox.addr, f"h{i}") for i in range(4)]
    pool.submit(fires)
    seen = [inbox.get() for _ in fires]
    assert {m["pid"] for m in seen} == set(pool.pids())
    assert {pool.worker_of(f) for f in fires} == {0, 1, 2, 3}
    assert pool.idle() == 0
    for m in seen:
        inbox.release(m["tag"])
    assert [f.wait().outcome for f in fires] == ["ok"] * 4
    assert all(f.calls == ["begin", "end"] for f in fires)


def test_fires_one_after_another_go_round_robin(pool: ProcessExecutor, inbox: Inbox) -> None:
    pids = []
    for i in range(8):
        fire = StubFire(proc_jobs.report, inbox.addr, f"r{i}")
        pool.submit([fire])
        pids.append(inbox.get()["pid"])
        fire.wait()
    assert len(set(pids[:4])) == 4
    assert pids[4:] == pids[:4]


def test_a_pinned_fire_waits_for_its_worker(pool: ProcessExecutor, inbox: Inbox) -> None:
    holder = StubFire(proc_jobs.hold, inbox.addr, "holder", pin=1)
    pool.submit([holder])
    held_pid = inbox.get()["pid"]
    pinned = StubFire(proc_jobs.report, inbox.addr, "pinned", pin=5)  # 5 % 4 == 1
    free = StubFire(proc_jobs.report, inbox.addr, "free")
    pool.submit([pinned, free])
    message = inbox.get()
    assert message["tag"] == "free" and message["pid"] != held_pid
    free.wait()
    assert pinned.calls == []  # still queued: worker 1 is busy
    inbox.release("holder")
    message = inbox.get()
    assert message == {**message, "tag": "pinned", "pid": held_pid}
    assert pinned.wait().outcome == "ok" and holder.wait().outcome == "ok"


def test_a_cpu_bound_job_does_not_block_the_others(pool: ProcessExecutor, inbox: Inbox) -> None:
    busy = StubFire(proc_jobs.spin, inbox.addr, "spin")
    pool.submit([busy])
    spin_pid = inbox.get()["pid"]
    others = [StubFire(proc_jobs.report, inbox.addr, f"o{i}") for i in range(6)]
    pool.submit(others)
    assert all(inbox.get()["pid"] != spin_pid for _ in others)
    assert [f.wait().outcome for f in others] == ["ok"] * 6
    assert busy.calls == ["begin"]  # still spinning
    inbox.release("spin")
    assert busy.wait().outcome == "ok"


def test_fire_time_is_the_instant_in_the_worker(pool: ProcessExecutor, inbox: Inbox) -> None:
    fire = StubFire(proc_jobs.report, inbox.addr, "ft")
    pool.submit([fire])
    assert inbox.get()["fire_time"] == INSTANT.isoformat()
    fire.wait()


def test_workers_run_below_the_schedulers_priority(pool: ProcessExecutor, inbox: Inbox) -> None:
    fire = StubFire(proc_jobs.report, inbox.addr, "nice")
    pool.submit([fire])
    assert inbox.get()["nice"] == min(os.nice(0) + 10, 19)  # the timer is woken first
    fire.wait()
    with pytest.raises(ValueError, match="nice"):
        ProcessExecutor(2, nice=25)


def test_a_refused_gate_never_runs_the_callable(pool: ProcessExecutor, inbox: Inbox) -> None:
    refused = StubFire(proc_jobs.report, inbox.addr, "refused", pin=2, allow=False)
    after = StubFire(proc_jobs.report, inbox.addr, "after", pin=2)
    pool.submit([refused, after])
    assert inbox.get()["tag"] == "after"  # the same worker, next in line
    after.wait()
    assert refused.calls == ["begin"]


# -- errors and crashes -------------------------------------------------------------


def test_an_exception_comes_back_with_its_traceback(pool: ProcessExecutor) -> None:
    fire = StubFire(proc_jobs.fail, "boom")
    run(pool, fire)
    assert fire.outcome == "error"
    assert isinstance(fire.error, ValueError) and str(fire.error) == "boom"
    cause = fire.error.__cause__
    assert isinstance(cause, RemoteTraceback) and "in fail" in cause.text


def test_an_unpicklable_exception_comes_back_as_text(pool: ProcessExecutor) -> None:
    fire = StubFire(proc_jobs.fail_unpicklable)
    run(pool, fire)
    assert fire.outcome == "error" and isinstance(fire.error, str)
    assert "Unpicklable: it holds a lock" in fire.error and "Traceback" in fire.error


@pytest.mark.parametrize(
    ("job", "cause"),
    [
        ((proc_jobs.exit_with, 3), "worker exited with code 3"),
        ((proc_jobs.kill_self,), "killed by signal 9 (SIGKILL)"),
        ((proc_jobs.segfault,), f"killed by signal {signal.SIGSEGV.value} (SIGSEGV)"),
    ],
    ids=["os._exit", "SIGKILL", "segfault"],
)
def test_a_dead_worker_is_replaced_and_its_fire_crashed(
    pool: ProcessExecutor, job: tuple[Any, ...], cause: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = pool.pids()[3]
    fire = StubFire(*job, pin=3)
    with caplog.at_level(logging.ERROR, logger="cronsec"):
        run(pool, fire)
    assert fire.outcome == "crashed" and isinstance(fire.error, str) and cause in fire.error
    assert cause in caplog.text
    new = wait_idle(pool, 3, old)
    assert old is not None and not _exists(old)
    assert pool.pids()[3] == new and pool.idle() == 4


def test_a_fire_past_its_timeout_has_its_worker_replaced(
    pool: ProcessExecutor, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    fire = StubFire(proc_jobs.hold, inbox.addr, "slow", pin=0, timeout=0.2)
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        pool.submit([fire])
        old = inbox.get()["pid"]
        fire.wait()
    assert fire.outcome == "timeout" and "timeout of 0.2 s" in str(fire.error)
    assert "ran past its timeout" in caplog.text
    wait_idle(pool, 0, old)


def test_a_fire_deaf_to_sigterm_is_killed_after_the_grace(
    pool: ProcessExecutor, inbox: Inbox
) -> None:
    fire = StubFire(proc_jobs.hold_ignoring_sigterm, inbox.addr, "deaf", pin=1, timeout=0.2)
    pool.submit([fire])
    old = inbox.get()["pid"]
    assert fire.wait().outcome == "timeout"
    wait_idle(pool, 1, old)


def test_cancel_terminates_only_that_fire(pool: ProcessExecutor, inbox: Inbox) -> None:
    target = StubFire(proc_jobs.hold, inbox.addr, "target", pin=2)
    other = StubFire(proc_jobs.hold, inbox.addr, "other", pin=3)
    pool.submit([target, other])
    pids = {m["tag"]: m["pid"] for m in (inbox.get(), inbox.get())}
    assert pool.cancel(target)
    assert target.wait().outcome == "cancelled"
    assert not pool.cancel(target)  # no longer running
    assert other.calls == ["begin"]  # untouched
    inbox.release("other")
    assert other.wait().outcome == "ok"
    wait_idle(pool, 2, pids["target"])
    assert pool.pids()[3] == pids["other"]


def test_cancel_of_a_fire_not_running_is_false(pool: ProcessExecutor) -> None:
    assert not pool.cancel(StubFire(proc_jobs.report, ("127.0.0.1", 1), "never"))


# -- what may cross ----------------------------------------------------------------


def test_check_picklable_accepts_importable_callables_and_plain_arguments() -> None:
    check_picklable(proc_jobs.report, (("127.0.0.1", 1), "tag"), {"x": [1, 2]})
    check_picklable(proc_jobs.Plain().method)
    check_picklable(os.getpid)


def test_check_picklable_refuses_what_a_worker_cannot_import() -> None:
    def nested() -> None:
        pass

    cases: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], str]] = [
        (lambda: None, (), {}, "cannot run a lambda in a worker process"),
        (nested, (), {}, "nested function"),
        (proc_jobs.WithLock().method, (), {}, "bound method of a WithLock object"),
        (proc_jobs.report, (threading.Lock(),), {}, "its argument 0 cannot be pickled"),
        (proc_jobs.report, (), {"lock": threading.Lock()}, "keyword argument 'lock'"),
    ]
    for func, args, kwargs, message in cases:
        with pytest.raises(TypeError, match=message):
            check_picklable(func, args, kwargs)


def test_a_job_that_stopped_pickling_ends_in_error(pool: ProcessExecutor) -> None:
    fire = StubFire(proc_jobs.fail, threading.Lock())
    run(pool, fire)
    assert fire.calls == ["begin", "end"]
    assert fire.outcome == "error" and "cannot pickle" in str(fire.error)


# -- shutdown ----------------------------------------------------------------------


def test_shutdown_waits_for_running_fires_and_drops_queued_ones(inbox: Inbox) -> None:
    ex = ProcessExecutor(2, name="t-wait")
    ex.start()
    running = StubFire(proc_jobs.hold, inbox.addr, "running", pin=0)
    ex.submit([running])
    inbox.get()
    queued = [StubFire(proc_jobs.report, inbox.addr, f"q{i}", pin=0) for i in range(3)]
    ex.submit(queued)
    reports: list[ShutdownReport] = []
    stopper = threading.Thread(target=lambda: reports.append(ex.shutdown(wait=True)))
    stopper.start()
    for fire in queued:
        assert fire.wait().calls == ["drop"] and fire.why == "stopped"
    assert running.calls == ["begin"] and stopper.is_alive()
    inbox.release("running")
    stopper.join(GUARD)
    assert reports == [ShutdownReport(finished=1, cancelled=0, abandoned=0, dropped=3)]
    assert running.outcome == "ok"
    late = StubFire(proc_jobs.report, inbox.addr, "late")
    ex.submit([late])
    assert late.wait().calls == ["drop"]


def test_shutdown_terminates_what_outlives_the_wait(
    inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    ex = ProcessExecutor(2, name="t-timeout")
    ex.start()
    stuck = StubFire(proc_jobs.hold, inbox.addr, "stuck", name="stuck-job")
    ex.submit([stuck])
    inbox.get()
    with caplog.at_level(logging.WARNING, logger="cronsec"):
        report = ex.shutdown(wait=True, timeout=0.2)
    assert report == ShutdownReport(finished=0, cancelled=1, abandoned=0, dropped=0)
    assert stuck.outcome == "cancelled"
    assert "terminated 1 running fire(s)" in caplog.text and "'stuck-job'" in caplog.text


def test_shutdown_without_wait_cancels_at_once(inbox: Inbox) -> None:
    ex = ProcessExecutor(1, name="t-nowait")
    ex.start()
    stuck = StubFire(proc_jobs.hold, inbox.addr, "stuck")
    ex.submit([stuck])
    inbox.get()
    assert ex.shutdown(wait=False).cancelled == 1
    assert stuck.calls == ["begin", "end"] and stuck.outcome == "cancelled"
    assert ex.shutdown() == ShutdownReport(0, 1, 0, 0)  # a second call says the same


def test_shutdown_leaves_no_process_thread_or_descriptor(inbox: Inbox) -> None:
    warm = ProcessExecutor(1, name="t-warm")  # the start method's own helper, if any, starts
    warm.start()
    warm.shutdown()
    fds, threads = _fds(), set(threading.enumerate())
    ex = ProcessExecutor(2, name="t-leak")
    ex.start()
    pids = [pid for pid in ex.pids() if pid is not None]
    fires = [StubFire(proc_jobs.report, inbox.addr, f"l{i}") for i in range(4)]
    crash = StubFire(proc_jobs.exit_with, 7)
    ex.submit([*fires, crash])
    for _ in fires:
        inbox.get()
    for fire in [*fires, crash]:
        fire.wait()
    pids += [pid for pid in ex.pids() if pid is not None]
    ex.shutdown()
    assert not any(_exists(pid) for pid in pids)  # exited and reaped: no zombie
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("cronsec-t-")]
    assert set(threading.enumerate()) == threads
    inbox.close()
    assert _fds() <= fds


def _exists(pid: int) -> bool:
    """Whether a process (a zombie included) with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")} - {-1}


def test_a_program_that_forgets_shutdown_still_exits(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from cronsec._processes import ProcessExecutor

        class Fire:
            job_name, instant, kwargs, pin, timeout = "forever", None, {}, None, None
            func, args = time.sleep, (3600,)
            def begin(self):
                print("begin", flush=True)
                return True
            def end(self, outcome, error=None):
                print("end", outcome, flush=True)
            def drop(self, why):
                pass

        if __name__ == "__main__":
            ex = ProcessExecutor(2)
            ex.start()
            print(*ex.pids(), flush=True)
            ex.submit([Fire()])
            sys.stdin.readline()  # the test says when the fire is running
        """
    )
    path = tmp_path / "forgets.py"
    path.write_text(script)
    root = os.path.dirname(os.path.dirname(os.path.abspath(cronsec._processes.__file__)))
    child = subprocess.Popen(
        [sys.executable, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert child.stdin is not None and child.stdout is not None
    pids = [int(p) for p in child.stdout.readline().split()]
    assert child.stdout.readline() == "begin\n"
    child.stdin.write("\n")
    child.stdin.close()
    assert child.wait(GUARD) == 0
    assert child.stdout.read() == "end cancelled\n"
    assert len(pids) == 2 and not any(_exists(pid) for pid in pids)
