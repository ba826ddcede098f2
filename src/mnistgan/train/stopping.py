"""Ctrl-C asks training to stop at the next step boundary instead of killing it mid-write."""

from __future__ import annotations

import contextlib
import signal
import threading


class StopSignal:
    """SIGINT raises a flag that the loop reads after every generator step."""

    def __init__(self):
        self.seen = False

    def _handle(self, signum, frame) -> None:
        self.seen = True

    def requested(self) -> bool:
        return self.seen

    @contextlib.contextmanager
    def listening(self):
        """Catch SIGINT while training (only the main thread may set signal handlers)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
