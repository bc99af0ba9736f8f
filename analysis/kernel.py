"""One IPython kernel for the stages of a run: started once, its user namespace reset before each stage.

A fresh kernel per stage costs, four times over, the kernel's start, the imports of pandas, pyarrow, spaCy and
``analysis``, and the load of the spaCy model (``analysis.models.load`` keeps it per process). ``Warm`` starts
one kernel and hands its manager to papermill, which passes it to nbclient (``km=``): nbclient then runs the
notebook's cells in that kernel and leaves it running, because it does not own it. Papermill still injects the
parameters, writes the executed notebook and reports a failing cell as it always does.

Before each stage, outside the stage's notebook, the kernel's user namespace is reset as in a new session
(``InteractiveShell.reset(new_session=True)``: every variable, the output cache and the execution count go), the
working directory is set to the notebook's folder and the garbage collector runs, so a stage never sees a
variable of the stage before it, and what that stage built is released (what outlives the reset is then frozen,
so that later collections skip it: ``PREPARE``). Modules stay imported, with their
state: the loaded spaCy pipeline, and any option a notebook set on a module (``pd.set_option``).

``FRAMING_FRESH_KERNEL=1`` in the environment gives every stage a fresh kernel again (``fresh()``).
"""
from __future__ import annotations

import functools
import logging
import os
import queue
import time

# jupyter_client is imported when the first stage executes: a run that reuses every stage starts no kernel.

log = logging.getLogger(__name__)

ENV = "FRAMING_FRESH_KERNEL"
START_TIMEOUT = 60.0  # seconds for the kernel to answer the reset before a stage (papermill's start_timeout)

# Run in the kernel before each stage. Only builtins are used and nothing is assigned, so the namespace the
# stage starts with is exactly a new session's. What survives the collection (modules, the spaCy pipeline, their
# caches) is then frozen (``gc.freeze``): the next reset's collection, and the collections during the next stage,
# scan only what was made since, not spaCy's and pandas' hundreds of thousands of objects again (0.1-0.2 s a
# reset). A frozen object is still freed when nothing refers to it; only a reference cycle among objects that
# outlived a stage would stay until the kernel ends.
#
# The reset also strips the module ``__main__`` (the namespace) of the ``__spec__``, ``__loader__``, ``__package__``
# and ``__doc__`` a new session has: without ``__spec__``, a stage could not start a ``spawn`` worker
# process (multiprocessing reads ``__main__.__spec__``), so they are put back.
PREPARE = """\
(lambda shell, kept: (shell.reset(new_session=True), shell.user_ns.update(kept)))(get_ipython(), {{
    key: value for key, value in get_ipython().user_ns.items()
    if key in ("__spec__", "__loader__", "__package__", "__doc__")}})
__import__("os").chdir({cwd!r})
__import__("gc").collect()
__import__("gc").freeze()
"""


class KernelLost(RuntimeError):
    """The shared kernel died or stopped answering between stages."""


def fresh() -> bool:
    """True when ``FRAMING_FRESH_KERNEL`` asks for a fresh kernel per stage (any value but '', '0', 'no', 'false')."""
    return os.environ.get(ENV, "").strip().lower() not in ("", "0", "no", "false")


@functools.cache
def _manager_class() -> type:
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    class Client(AsyncKernelClient):
        """A client that can be connected before nbclient gets it. Once the runner has seen its IOPub channel
        receive the kernel's messages (``connected``), waiting for it to be ready again would only cost
        jupyter_client's 0.2 s of listening for a quiet IOPub."""

        connected = False

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self.connected:
                await super().wait_for_ready(timeout=timeout)

    class Manager(AsyncKernelManager):
        """A kernel manager that hands out the client connected ahead (``ahead``) and remembers the clients it
        made, so that each stage's client can be stopped: nbclient leaves a client's channels (and its heartbeat
        thread) open when it does not own the kernel."""

        def __init__(self, **kwargs):
            super().__init__(client_factory=Client, **kwargs)
            self.made: list = []
            self.ahead = None

        def client(self, **kwargs):
            made = super().client(**kwargs) if kwargs or self.ahead is None else self.ahead
            if made is self.ahead:
                self.ahead = None
            self.made.append(made)
            return made

        def connect_ahead(self):
            """A client for the next stage, its channels (but the heartbeat, which nbclient starts) connected."""
            self.ahead = super().client()
            self.ahead.start_channels(hb=False)
            return self.ahead

        def stop_clients(self) -> None:
            if self.ahead is not None:
                self.made.append(self.ahead)
                self.ahead = None
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
    stops the kernel."""

    def __init__(self, *, kernel_name: str = "python3", arguments: list[str] | None = None):
        self.kernel_name, self.arguments = kernel_name, list(arguments or [])
        self.km = None
        self.kc = None  # the runner's own client: its shell channel only, for the reset between stages

    def __enter__(self) -> Warm:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def start(self, cwd: str | os.PathLike) -> None:
        """Start the kernel in folder ``cwd``, unless it runs already. Returns once its process is launched, before
        it is ready: the runner prepares the stage meanwhile."""
        if self.km is not None:
            return
        self.km = _manager_class()(kernel_name=self.kernel_name)
        # nbclient keeps the IPython history in memory; a kernel started here does the same.
        _sync(self.km.start_kernel)(extra_arguments=[*self.arguments, "--HistoryManager.hist_file=:memory:"],
                                    cwd=str(cwd))
        # Clients of one manager share its session, whose id is their shell socket's identity: a client of the
        # same identity connecting later (the stage's) would take the replies over, so this one has its own.
        from jupyter_client.session import Session

        own = Session(key=self.km.session.key, signature_scheme=self.km.session.signature_scheme)
        self.kc = self.km.client(session=own)
        self.km.made.remove(self.kc)
        # A request on the shell channel waits in its socket until the kernel is up, and its reply comes back on
        # the same channel: no kernel_info handshake and no IOPub subscription are needed.
        self.kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        log.debug("started the run's kernel (%s)", self.kernel_name)

    def options(self, cwd: str | os.PathLike) -> dict:
        """papermill.execute_notebook's keyword arguments that run the next notebook in this kernel, prepared for
        it (namespace reset, working directory ``cwd``, garbage collected). Starts the kernel the first time.
        Raises ``KernelLost`` when the kernel died since the last stage or does not answer."""
        self.start(cwd)
        self.km.stop_clients()  # the previous stage's
        ahead = self.km.connect_ahead()
        msg_id = self._prepare(str(cwd))
        ahead.connected = self._heard(ahead, msg_id)
        return {"km": self.km}

    def _prepare(self, cwd: str) -> str:
        msg_id = self.kc.execute(PREPARE.format(cwd=cwd), silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                reply = _sync(self.kc.get_shell_msg)(timeout=1)
            except queue.Empty:
                if not _sync(self.km.is_alive)():
                    raise KernelLost("the run's kernel died between stages") from None
                if time.monotonic() > deadline:
                    raise KernelLost(f"the run's kernel did not answer the reset between stages in "
                                     f"{START_TIMEOUT:.0f} s") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise KernelLost(f"the reset between stages failed in the kernel: {content.get('ename')}: "
                             f"{content.get('evalue')}")
        return msg_id

    @staticmethod
    def _heard(client, msg_id: str, *, timeout: float = 1.0) -> bool:
        """Whether ``client``'s IOPub channel received the kernel's "idle" after request ``msg_id``: then it is
        subscribed, and will see every message of the stage's cells. When not (a slow machine), nbclient checks
        the client as usual."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = _sync(client.iopub_channel.get_msg)(timeout=left)
            except queue.Empty:
                return False
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return True
        return False

    def shutdown(self) -> None:
        """Stop the kernel and every client of it (nothing to do when it never started). The kernel is killed,
        not asked to exit: every stage has finished and its notebook is written, and a Python process with spaCy
        and pandas loaded takes about a second to tear itself down. The kill reaches the kernel's process group,
        so no process it started is left behind."""
        if self.km is None:
            return
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        km.stop_clients()
        kc.stop_channels()
        try:
            if _sync(km.is_alive)():
                _sync(km.shutdown_kernel)(now=True)
        finally:
            _sync(km.cleanup_resources)()
