"""Exceptions and the record of a failed panel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PanelError:
    """What went wrong in one panel; handed to ``Layout.on_panel_error()``."""

    panel_name: str
    source: object
    exception: BaseException
    traceback_str: str = ""
    #: The status a panel view answered with, when that was the problem (403, 404...).
    status_code: int | None = None

    @property
    def is_http_error(self) -> bool:
        """Whether the panel answered with a non-200 status (rather than raising)."""
        return self.status_code is not None


class PanelRenderError(Exception):
    """Raised in debug mode when a panel fails; ``.panel_error`` holds the details."""

    def __init__(self, panel_error: PanelError) -> None:
        exc = panel_error.exception
        super().__init__(
            f"Panel {panel_error.panel_name!r} failed to render: {type(exc).__name__}: {exc}"
        )
        self.panel_error = panel_error


class PanelTimeout(TimeoutError):
    """A panel did not answer within its ``timeout``."""

    def __init__(self, panel_name: str, timeout: float) -> None:
        super().__init__(f"Panel {panel_name!r} did not answer within {timeout:g} s.")
        self.panel_name = panel_name
        self.timeout = timeout


class PanelResponseError(Exception):
    """A panel view answered with something that cannot fill a slot."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class PanelCircuitOpen(PanelTimeout):
    """A panel was not run: its source kept timing out and its circuit breaker is open."""

    def __init__(self, panel_name: str, timeout: float, *, key: str, retry_in: float) -> None:
        TimeoutError.__init__(
            self,
            f"Panel {panel_name!r} was not run: its source {key!r} kept timing out, so its "
            f"circuit breaker is open for another {retry_in:.1f} s. Fix the upstream it "
            "waits on, or tune DJ_LAYOUTS['CIRCUIT_BREAKER_FAILURES'].",
        )
        self.panel_name = panel_name
        self.timeout = timeout
        self.key = key
        self.retry_in = retry_in


class PanelThreadsExhausted(PanelTimeout):
    """A sync panel was not run: every thread that could run it is stuck in a hung panel."""

    def __init__(self, panel_name: str, timeout: float, reason: str) -> None:
        TimeoutError.__init__(self, f"Panel {panel_name!r} was not run: {reason}")
        self.panel_name = panel_name
        self.timeout = timeout
