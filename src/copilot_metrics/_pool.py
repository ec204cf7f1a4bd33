"""Worker processes for large loads: fresh interpreters that never import the caller's script.

``multiprocessing`` with ``spawn`` (or ``forkserver``) re-imports the caller's ``__main__`` in
every worker, so a plain script calling :func:`copilot_metrics.load` without an
``if __name__ == "__main__":`` guard runs again in each worker and fails; a daemonic process
(a ``multiprocessing.Pool`` worker) may not start children at all; and ``fork`` is unsafe
once Polars' thread pool is running.  This pool sidesteps all three: each worker is
``python -m copilot_metrics._worker``, started with :mod:`subprocess`, which imports only
this package.  Tasks and results travel as length-prefixed pickles over the worker's
stdin and a private copy of its stdout (the worker's own ``sys.stdout`` is sent to stderr, so
a stray print cannot corrupt the stream).

Only functions of this package run in workers (the caller names one by module and name), so
nothing of the caller's needs to be importable there.  A function running in a worker may call
:func:`report` to tell the parent how far it got (``imap``'s ``on_progress`` receives it, in the
calling thread, before the task's result); outside a worker :func:`report` does nothing.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from copilot_metrics.errors import CopilotMetricsError

__all__ = ["imap", "report"]

_HEADER = struct.Struct("!Q")

#: Set in a worker process only: sends a progress message to the parent (see :func:`report`).
_reporter: Callable[[Any], None] | None = None


def report(payload: Any) -> None:
    """In a worker, send ``payload`` (picklable) to the parent as progress; elsewhere, nothing."""
    if _reporter is not None:
        _reporter(payload)


def _send(stream: IO[bytes], obj: Any) -> None:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or raise EOFError when the other side has gone."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError
    return pickle.loads(payload)  # our own worker, over a private pipe


def _function(module: str, name: str) -> Callable[[Any], Any]:
    if module != "copilot_metrics" and not module.startswith("copilot_metrics."):
        raise ValueError(f"workers only run copilot_metrics functions, not {module}.{name}")
    function: Callable[[Any], Any] = getattr(importlib.import_module(module), name)
    return function


def serve() -> None:
    """Worker loop: read (module, name, argument), answer ("ok", result) or ("error", exception).

    While the function runs, each :func:`report` it makes is sent first, as ("progress", payload).
    """
    global _reporter  # noqa: PLW0603 - this process is a worker from here on
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints of any library go to stderr
    requests = sys.stdin.buffer
    _reporter = functools.partial(_progress, out)
    while True:
        try:
            module, name, argument = _receive(requests)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("ok", _function(module, name)(argument))
        except Exception as exc:  # returned to the parent, which raises it
            answer = ("error", exc)
        try:
            _send(out, answer)
        except Exception as exc:  # an unpicklable result or exception
            _send(out, ("error", CopilotMetricsError(f"a worker could not return its result: {exc!r}")))


def _progress(out: IO[bytes], payload: Any) -> None:
    _send(out, ("progress", payload))


def _package_root() -> str:
    return str(Path(__file__).resolve().parent.parent)


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        # the worker imports this very copy of the package, wherever the caller found it
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "copilot_metrics._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def call(self, module: str, name: str, argument: Any, on_progress: Callable[[Any], None]) -> tuple[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:  # pragma: no cover - both are pipes by construction
            return "died", self.process.poll()
        try:
            _send(stdin, (module, name, argument))
            answer: tuple[str, Any] = _receive(stdout)
            while answer[0] == "progress":
                on_progress(answer[1])
                answer = _receive(stdout)
        except (EOFError, BrokenPipeError, OSError):
            code = self.process.wait()
            return "died", code
        return answer

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # a pipe already broken
                    stream.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a worker stuck on exit
            self.process.kill()
            self.process.wait()


def imap(
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    workers: int,
    describe: Callable[[Any], str] = repr,
    on_progress: Callable[[int, Any], None] | None = None,
) -> Iterator[Any]:
    """Run ``function`` over ``tasks`` in ``workers`` fresh processes; yield results in task order.

    ``function`` must be a module-level function of this package.  An exception raised in a
    worker is raised here, with its type and attributes (library errors survive pickling);
    a worker that dies (killed, out of memory) raises :class:`CopilotMetricsError` naming
    ``describe(task)``.  ``on_progress(task index, payload)`` is called in this thread for each
    :func:`report` a worker makes, as the reports arrive (while earlier results are awaited
    too), and every report of a task before its result is yielded.
    """
    module, name = function.__module__, function.__name__
    if module == "__main__":  # pragma: no cover - a programming error, not user input
        raise ValueError("workers cannot run functions of __main__")
    results: dict[int, tuple[str, Any]] = {}
    reports: list[tuple[int, Any]] = []  # progress from the workers, not yet given to on_progress
    done = threading.Condition()
    next_task = iter(range(len(tasks)))
    stop = threading.Event()

    def run(worker: _Worker) -> None:
        while not stop.is_set():
            with done:
                index = next(next_task, None)
            if index is None:
                return
            answer = worker.call(module, name, tasks[index], functools.partial(reported, index))
            with done:
                results[index] = answer
                done.notify_all()
            if answer[0] == "died":
                return

    def reported(index: int, payload: Any) -> None:
        if on_progress is not None:
            with done:
                reports.append((index, payload))
                done.notify_all()

    pool = [_Worker() for _ in range(max(1, min(workers, len(tasks))))]
    threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in pool]
    for thread in threads:
        thread.start()
    try:
        for index in range(len(tasks)):
            while True:
                with done:
                    while index not in results and not reports:
                        if not any(t.is_alive() for t in threads) and index not in results:
                            raise CopilotMetricsError(  # every worker died before reaching this task
                                f"no worker process was left to read {describe(tasks[index])}"
                            )
                        done.wait(timeout=1.0)
                    pending = reports[:]
                    reports.clear()
                    # a task's reports come before its result: once none is pending, it may be yielded
                    answer = results.pop(index) if not pending else None
                for task, payload in pending:
                    if on_progress is not None:
                        on_progress(task, payload)
                if answer is not None:
                    break
            status, value = answer
            if status == "ok":
                yield value
            elif status == "error":
                raise value
            else:
                raise CopilotMetricsError(
                    f"a worker process ended (exit code {value}) while reading {describe(tasks[index])}; "
                    "load with workers=1 to read in this process",
                    hint="a negative exit code is the signal that ended it (-9: killed, often for lack of memory)",
                )
    finally:
        stop.set()
        for worker in pool:
            if worker.process.poll() is None and any(t.is_alive() for t in threads):
                worker.process.kill()
            worker.close()
        for thread in threads:
            thread.join(timeout=10)
