"""The CPU a module is compiled for: one table, and one place on the module.

    tinyir-opt model.tflite --mcpu cortex-m55 --fuse --partial-exec --reorder --arena-alloc -t c -o out/

`--mcpu` (`tinyir.import_model(..., mcpu=...)`, `tinyir.set_target_cpu`)
records the CPU on the module, and every pass and the C backend read it from
there:

    builtin.module attributes {tiny.target_cpu = "cortex-m55"} { ... }

partial-exec weighs, and arena-alloc sizes, CMSIS-NN scratch for its build
(`Family`); the C backend guards the build family; the Cortex-M build takes
its compiler flags; the report prints it. A module that records none is for
`DEFAULT_CPU`. A pass given its own `target-cpu` option records it when the
module has none, and a CPU that differs from the module's is an error naming
both, so no two stages of one compilation can assume different CPUs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from xdsl.dialects.builtin import ModuleOp, StringAttr

from tinyir.errors import TinyIRError

TARGET_CPU = "tiny.target_cpu"
"""The module attribute that records the CPU."""

DEFAULT_CPU = "cortex-m4"


class Family(str, Enum):
    """The CMSIS-NN build a CPU gets: which `#if` branch of its sources applies."""

    C = "c"  # neither ARM_MATH_DSP nor ARM_MATH_MVEI
    DSP = "dsp"  # ARM_MATH_DSP
    MVE = "mve"  # ARM_MATH_MVEI (and ARM_MATH_DSP)


@dataclass(frozen=True)
class Cpu:
    name: str
    family: Family
    gcc_flags: tuple[str, ...]
    """arm-none-eabi-gcc's code generation flags; empty where Debian's
    arm-none-eabi-gcc (12) cannot build for it."""


_SOFT_FLOAT = ("-mthumb", "-mfloat-abi=soft")

# Cortex-M33 has an optional DSP extension; parts sold for ML have it, gcc's
# -mcpu=cortex-m33 enables it, and TFLite Micro builds cortex-m33 with +dsp,
# so it is a DSP target here.
CPUS: dict[str, Cpu] = {
    cpu.name: cpu
    for cpu in (
        Cpu("cortex-m0", Family.C, ("-mcpu=cortex-m0", *_SOFT_FLOAT)),
        Cpu("cortex-m0plus", Family.C, ("-mcpu=cortex-m0plus", *_SOFT_FLOAT)),
        Cpu("cortex-m3", Family.C, ("-mcpu=cortex-m3", *_SOFT_FLOAT)),
        Cpu("cortex-m4", Family.DSP, ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16")),
        Cpu("cortex-m7", Family.DSP, ("-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16")),
        Cpu("cortex-m33", Family.DSP, ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")),
        Cpu("cortex-m55", Family.MVE, ("-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard", "-mfpu=auto")),
        Cpu("cortex-m85", Family.MVE, ()),  # gcc 13 has -mcpu=cortex-m85
    )
}


def cpu_named(name: str) -> Cpu:
    """The CPU of a `-mcpu` name; ValueError naming the choices (a pass
    option's ValueError is one line from xDSL's pipeline parser)."""
    if name not in CPUS:
        raise ValueError(f"unknown target cpu '{name}' (choices: {', '.join(CPUS)})")
    return CPUS[name]


def family_of(name: str) -> Family:
    """The CMSIS-NN build of a `-mcpu` name."""
    return cpu_named(name).family


def recorded_cpu(module: ModuleOp) -> str | None:
    """The CPU the module records, if any."""
    attr = module.attributes.get(TARGET_CPU)
    if attr is None:
        return None
    if not isinstance(attr, StringAttr) or attr.data not in CPUS:
        raise TinyIRError(f"module attribute {TARGET_CPU} must name a CPU ({', '.join(CPUS)}), got {attr}")
    return attr.data


def target_cpu(module: ModuleOp) -> str:
    """The CPU the module is compiled for: the one it records, else DEFAULT_CPU."""
    return recorded_cpu(module) or DEFAULT_CPU


def set_target_cpu(module: ModuleOp, cpu: str, *, by: str | None = None) -> None:
    """Record `cpu` on the module; an error naming both if it records another.

    `by` says who asks, for the message (default `--mcpu <cpu>`)."""
    by = by or f"--mcpu {cpu}"
    try:
        cpu_named(cpu)
    except ValueError as e:
        raise TinyIRError(f"{by}: {e}") from None
    recorded = recorded_cpu(module)
    if recorded is not None and recorded != cpu:
        raise TinyIRError(
            f"{by}, but the module is compiled for {recorded} ({TARGET_CPU}); set the CPU once, with --mcpu"
        )
    module.attributes[TARGET_CPU] = StringAttr(cpu)


def pass_cpu(module: ModuleOp, option: str, pass_name: str) -> str:
    """The CPU a pass works for: its `target-cpu` option if given (recorded on
    the module, which must agree), else the module's, else DEFAULT_CPU
    (recorded too, so that the passes after it agree)."""
    cpu = option or target_cpu(module)
    by = f"{pass_name}: target-cpu={cpu}" if option else pass_name
    set_target_cpu(module, cpu, by=by)
    return cpu
