"""Starting a helper process of the daemon (the delivery process, the BBDO reader process)."""

from __future__ import annotations

import socket
import subprocess
import sys
from multiprocessing.connection import Connection


def start_child(module: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """Runs ``python -m MODULE FD`` and returns it with our end of the socket pair FD is theirs of.

    A new interpreter (never fork a process that runs threads), on a socket pair of its own; not
    multiprocessing's spawn, which runs the parent's __main__ again in the child. What the child
    needs goes through the pair, never its command line (which others can read).
    """
    ours, theirs = socket.socketpair()
    try:
        command = [sys.executable, "-m", module, str(theirs.fileno())]
        process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return process, Connection(ours.detach())
