"""tinyir: fits int8 neural networks into microcontroller SRAM.

The public API (see `tinyir.api`): `import_model`, `parse_ir`, `print_ir`,
`run_pipeline`, `set_target_cpu`, `execute`, `random_inputs`, `memory_report`,
`resources` and `layer_sensitivity` (a resource model for pruning and
architecture search), and `TinyIRError` for bad input.
"""

from tinyir.api import (  # noqa: E402  (after TinyIRError: the API modules use it)
    available_passes,
    execute,
    import_model,
    layer_sensitivity,
    memory_report,
    parse_ir,
    print_ir,
    random_inputs,
    resources,
    run_pipeline,
    set_target_cpu,
)
from tinyir.errors import TinyIRError

__all__ = [
    "TinyIRError",
    "available_passes",
    "execute",
    "import_model",
    "layer_sensitivity",
    "memory_report",
    "parse_ir",
    "print_ir",
    "random_inputs",
    "resources",
    "run_pipeline",
    "set_target_cpu",
]
