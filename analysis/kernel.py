"""One IPython kernel for the stages of a run: started once, its user namespace reset before each stage.

A fresh kernel per stage costs, four times over, the kernel's start, the imports of pandas, pyarrow, spaCy and
``analysis``, and the load of the spaCy model (``analysis.models.load`` keeps it per process). ``Warm`` starts
one kernel and hands its manager to papermill, which passes it to nbclient (``km=``): nbclient then runs the
notebook's cells in that kernel and leaves it running, because it does not own it. Papermill still injects the
parameters, writes the executed notebook and reports a failing cell as it always does.

Before each stage, outside the stage's notebook, the kernel's user namespace is reset as in a new session
(``InteractiveShell.reset(new_session=True)``: every variable, the output cache and the execution count go), the
working directory is set to the notebook's folder and the garbage collector runs, so a stage never sees a
variable of the stage before it, and what that stage built is released. Modules stay imported, with their
state: the loaded spaCy pipeline, and any option a notebook set on a module (``pd.set_option``).

``FRAMING_FRESH_KERNEL=1`` in the environment gives every stage a fresh kernel again (``fresh()``).
"""
from __future__ import annotations

import functools
import logging
import os

# jupyter_client is imported when the first stage executes: a run that reuses every stage starts no kernel.

log = logging.getLogger(__name__)

ENV = "FRAMING_FRESH_KERNEL"
START_TIMEOUT = 60.0  # seconds for the kernel to answer its first request, as papermill's start_timeout
PREPARE_TIMEOUT = 60.0  # seconds for the reset between stages (a few milliseconds normally; the gc may take more)

# Run in the kernel before each stage. Only builtins are used and nothing is assigned, so the namespace the
# stage starts with is exactly a new session's.
PREPARE = """\
get_ipython().reset(new_session=True)
__import__("os").chdir({cwd!r})
__import__("gc").collect()
"""


class KernelLost(RuntimeError):
    """The shared kernel died or stopped answering between stages."""


def fresh() -> bool:
    """True when ``FRAMING_FRESH_KERNEL`` asks for a fresh kernel per stage (any value but '', '0', 'no', 'false')."""
    return os.environ.get(ENV, "").strip().lower() not in ("", "0", "no", "false")


@functools.cache
def _manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class Manager(AsyncKernelManager):
        """A kernel manager that remembers the clients it made, so that each stage's client can be stopped:
        nbclient leaves a client's channels (and its heartbeat thread) open when it does not own the kernel."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.made: list = []

        def client(self, **kwargs):
            made = super().client(**kwargs)
            self.made.append(made)
            return made

        def stop_clients(self) -> None:
            while self.made:
                self.made.pop().stop_channels()

    return Manager


def _sync(method):
    """Call one of jupyter_client's coroutine methods from synchronous code, on the loop nbclient uses too."""
    from jupyter_core.utils import run_sync

    return run_sync(method)


class Warm:
    """One kernel for the notebooks a run executes, started on first use (``options``) with ``arguments`` (the
    kernel's command-line options) and the environment of that moment. Use as a context manager: leaving it
    shuts the kernel down."""

    def __init__(self, *, kernel_name: str = "python3", arguments: list[str] | None = None):
        self.kernel_name, self.arguments = kernel_name, list(arguments or [])
        self.km = None
        self.stages = 0

    def __enter__(self) -> Warm:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def options(self, cwd: str | os.PathLike) -> dict:
        """papermill.execute_notebook's keyword arguments that run the next notebook in this kernel, prepared for
        it (namespace reset, working directory ``cwd``, garbage collected). Starts the kernel the first time.
        Raises ``KernelLost`` when the kernel died since the last stage."""
        if self.km is None:
            self.km = _manager_class()(kernel_name=self.kernel_name)
            # nbclient keeps the IPython history in memory; a kernel started here does the same.
            _sync(self.km.start_kernel)(extra_arguments=[*self.arguments, "--HistoryManager.hist_file=:memory:"],
                                           cwd=str(cwd))
            log.debug("started the run's kernel (%s)", self.kernel_name)
        else:
            self.km.stop_clients()
        self._prepare(str(cwd))
        self.stages += 1
        return {"km": self.km}

    def _prepare(self, cwd: str) -> None:
        if not _sync(self.km.is_alive)():
            raise KernelLost("the run's kernel died between stages")
        kc = self.km.client()
        try:
            kc.start_channels()
            _sync(kc.wait_for_ready)(timeout=START_TIMEOUT)
            reply = _sync(kc.execute_interactive)(PREPARE.format(cwd=cwd), silent=True, allow_stdin=False,
                                                     timeout=PREPARE_TIMEOUT, output_hook=lambda msg: None)
        except (RuntimeError, TimeoutError) as err:
            raise KernelLost(f"the run's kernel did not answer the reset between stages: {err}") from err
        finally:
            self.km.stop_clients()
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise KernelLost(f"the reset between stages failed in the kernel: {content.get('ename')}: "
                             f"{content.get('evalue')}")

    def shutdown(self) -> None:
        """Stop the kernel and every client of it (nothing to do when it never started)."""
        if self.km is None:
            return
        km, self.km = self.km, None
        km.stop_clients()
        try:
            if _sync(km.is_alive)():
                _sync(km.shutdown_kernel)(now=False)
        finally:
            _sync(km.cleanup_resources)()
