"""The one exception type for bad input: a model, IR or option tinyir refuses.

Its message is a single line naming what is wrong and where; the tools print it
as `error: <message>` and exit non-zero, never with a traceback.

Any other exception is tinyir's own fault. `stage` marks what was running
when one escaped (the import of a model, a pass, the C backend), so that the
tools can say where in one line (`error: internal error in pass
partial-exec: ...`, exit status 2) instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class TinyIRError(Exception):
    """Bad input to tinyir (unsupported operator, corrupt file, invalid option)."""


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Run the body as stage `name`: an unexpected exception escaping it
    remembers the innermost stage it came from (`stage_of`)."""
    try:
        yield
    except TinyIRError:
        raise
    except Exception as e:
        if not hasattr(e, "_tinyir_stage"):
            try:
                e._tinyir_stage = name
            except AttributeError:  # an exception type without attributes: the stage stays unknown
                pass
        raise


def one_line(message: str) -> str:
    """A message as the one line the tools print: a name read from a corrupt
    file may hold line breaks or control characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in message).split())


def stage_of(error: BaseException) -> str | None:
    """The stage an unexpected exception escaped from, if one was marked."""
    return getattr(error, "_tinyir_stage", None)
