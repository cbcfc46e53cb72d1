"""The one exception type for bad input: a model, IR or option tinyir refuses.

Its message is a single line naming what is wrong and where; the tools print it
as `error: <message>` and exit non-zero, never with a traceback.
"""


class TinyIRError(Exception):
    """Bad input to tinyir (unsupported operator, corrupt file, invalid option)."""
