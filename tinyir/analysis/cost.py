"""Predicted instructions on the target: per op, and per model.

An op's calls (one, or one per tile of its loop) go to one kernel: the
CMSIS-NN function its wrapper dispatches to (`kernel_of`: scratch.py's
`convolve_kernel` and `depthwise_kernel`, which size the scratch too) or one of
tinyir's. Each kernel's cost is linear in what the calls do, summed over
them (`op_features`):

- calls:  kernel calls (per-call set-up, and for tiny calls the leftovers of
          SIMD loops);
- macs:   multiply-accumulates (tinyir.analysis.macs);
- out:    output elements written (requantization);
- in:     input elements the calls are given (an output-channel tile reads
          the whole input again);
- pixels: output pixels (per-pixel loops; a channel tile redoes them);
- channels: output channels of each call, summed over the calls (per-channel
          set-up: bias, multiplier, shift; a band of few pixels redoes it);
- taps:   output pixels x kernel window of a convolution (gathering a
          column costs per tap as well as per element: few input channels
          make it dear);
- im2col: output pixels x kernel window x input channels of a convolution
          that gathers columns (redone per output-channel tile);
- odd_macs, odd_out: the MACs and outputs of the last pixel of a call with
          an odd number of pixels, which the matrix multiplies (two pixels at
          a time) compute on a slower path: tiny bands pay it per call.

The coefficients per kernel are fitted, per CPU family, to instruction
counts of upstream CMSIS-NN in QEMU (scripts/calibrate_cost.py writes
cost_<family>.json beside this module: pure C counted on Cortex-M3, DSP on
Cortex-M4, MVE on Cortex-M55; bench/cortex_m_cost.py shows the error on every
shared model). Instructions are not cycles: QEMU counts a
load like an add.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue

from tinyir.analysis.liveness import enclosing_loop, main_function, walk
from tinyir.analysis.macs import repeats
from tinyir.analysis.scratch import Dims, conv_params, convolve_kernel, depthwise_kernel, nhwc
from tinyir.analysis.target import Family
from tinyir.dialects import tiny

FEATURES = ("calls", "macs", "out", "in", "pixels", "channels", "taps", "im2col", "odd_macs", "odd_out")
DATA_DIR = Path(__file__).resolve().parent


def _whole(op: tiny.ComputeOp, value: SSAValue) -> tiny.BufferType:
    """The type of what `value` holds over all of the op's calls: a row loop's
    line buffer stands for its whole tensor; a channel tile is one tile."""
    loop = enclosing_loop(op)
    return loop.tensor_type(value) if loop is not None and loop.by_rows else tiny.buffer_type(value)


def kernel_of(op: tiny.ComputeOp, family: Family, input_tile: bool | None = None) -> str:
    """The kernel the C backend's call of `op` runs: a CMSIS-NN function name
    after its wrapper's dispatch, or tinyir's. `input_tile`: whether `op`
    runs (would run) on input tiles, summing them (default: as in the IR)."""
    if input_tile is None:
        input_tile = isinstance(op, tiny.TiledOp) and op.tile_mode == "in"
    if input_tile:
        w = op.in_type(1).shape
        pointwise = isinstance(op, tiny.FullyConnectedOp) or (w[1], w[2]) == (1, 1)
        return "tinyir_pointwise_input_tile_s8" if pointwise else "tinyir_conv_input_tile_s8"
    if isinstance(op, tiny.Conv2DOp):
        _, kh, kw, c_in = op.in_type(1).shape
        return convolve_kernel(conv_params(op), nhwc(op.in_type(0)), Dims(op.out_type.shape[3], kh, kw, c_in))
    if isinstance(op, tiny.DepthwiseConv2DOp):
        _, kh, kw, _ = op.in_type(1).shape
        x, y = nhwc(op.in_type(0)), nhwc(op.out_type)
        return depthwise_kernel(conv_params(op), x, Dims(1, kh, kw, y.c), y, family)
    return op.name  # one kernel per op kind: fully connected, pools, elementwise, copies


def call_features(
    op: tiny.ComputeOp | None, x: tiny.BufferType, y: tiny.BufferType, calls: int, shared: bool
) -> dict[str, float]:
    """What `calls` calls of `op`'s kernel (None: a tile copy) do, summed:
    each on input `x` and output `y` (channel tiles), or, `shared`, all of
    them together on `x` and `y` (the bands of a row loop; one whole call)."""
    per_call = 1 if shared else calls
    pixels = math.prod(y.shape[:-1]) if y.shape else 1
    window = math.prod(op.in_type(1).shape[1:3]) if isinstance(op, tiny.ConvLikeOp) else 0
    im2col = pixels * window * x.shape[-1] if isinstance(op, tiny.Conv2DOp) else 0
    if isinstance(op, tiny.ConvLikeOp):
        macs = math.prod(y.shape) * window * (x.shape[-1] if isinstance(op, tiny.Conv2DOp) else 1)
    elif isinstance(op, tiny.FullyConnectedOp):  # rows x depth inputs, each into every output channel
        macs = math.prod(x.shape) * y.shape[-1]
    else:
        macs = 0
    out = math.prod(y.shape) * per_call
    call_pixels = pixels * per_call / calls  # a row loop's bands: equal rows, but for the last
    odd = (round(call_pixels) % 2) / max(call_pixels, 1)
    return {
        "calls": calls,
        "macs": macs * per_call,
        "out": out,
        "in": math.prod(x.shape) * per_call,
        "pixels": pixels * per_call,
        "channels": (y.shape[-1] if y.shape else 1) * calls,
        "taps": pixels * window * per_call,
        "im2col": im2col * per_call,
        "odd_macs": macs * per_call * odd,
        "odd_out": out * odd,
    }


def op_features(op: tiny.ComputeOp) -> dict[str, float]:
    """What `op`'s calls do in the IR, summed over them (see the module doc)."""
    loop = enclosing_loop(op)
    shared = loop is None or loop.by_rows
    return call_features(op if not isinstance(op, tiny.TileCopyOp) else None,
                         _whole(op, op.ins[0]), _whole(op, op.out), repeats(op), shared)  # fmt: skip


@functools.cache
def coefficients(family: Family) -> dict[str, dict[str, float]]:
    """{kernel: {feature: instructions per unit}} for a CPU family. A kernel
    its calibration never ran (no plan of scripts/calibrate_cost.py called
    it; or no calibration file at all) borrows the DSP family's coefficients,
    which rank plans, if not price them, alike: it must not look free."""
    kernels = json.loads((DATA_DIR / "cost_dsp.json").read_text())["kernels"]
    path = DATA_DIR / f"cost_{family.name.lower()}.json"
    if family is not Family.DSP and path.is_file():
        kernels = {**kernels, **json.loads(path.read_text())["kernels"]}
    return kernels


def calls_cost(kernel: str, features: dict[str, float], family: Family) -> float:
    """Predicted instructions of calls of `kernel` that do `features` (0 for
    a kernel the calibration has not seen)."""
    return sum(c * features[name] for name, c in coefficients(family).get(kernel, {}).items())


def op_cost(op: tiny.ComputeOp, family: Family) -> float:
    """Predicted instructions of all of `op`'s calls."""
    return calls_cost(kernel_of(op, family), op_features(op), family)


def module_cost(module: ModuleOp, family: Family) -> int:
    """Predicted instructions of the model's invoke: the sum over its ops."""
    ops = walk(main_function(module).body.block)
    return round(sum(op_cost(op, family) for op in ops if isinstance(op, tiny.ComputeOp)))
