"""The C backend: allocated tiny IR -> C that calls CMSIS-NN (issue #4).

    tinyir-opt model.tflite --fuse --arena-alloc -t c -o out/          # out/<name>.h, out/<name>.c
    tinyir-opt model.mlir -t 'c{model=kws arena=external}'              # both files on stdout

`emit_c(module, name)` returns {file name: text} for `<name>.h` and `<name>.c`:

- weights and biases become `static const` arrays (flash), aligned to the
  module's `tiny.alignment`; so do the requantization parameters, which come
  from `tinyir.quantization` (per-channel multipliers and shifts, ADD/MUL
  parameters, softmax's) and never from arithmetic of our own;
- one static arena of exactly `tiny.arena_size` bytes (`arena=external`: the
  caller passes it as the first argument of the entry point instead);
- `int tinyir_<name>_invoke(const int8_t *input, int8_t *output)` (one pointer
  per model input and output, `float` for float edges) copies the inputs to
  their arena slots, runs the ops in schedule order and copies the outputs
  out. It returns 0, or the number (from 1) of the op whose kernel refused
  its arguments.

Every SRAM buffer is a pointer into the arena at its offset (a view: at its
source's offset); a compute op's `scratch` operand becomes the
`cmsis_nn_context` of its CMSIS-NN call. CMSIS-NN runs conv, depthwise conv,
fully connected (per-channel variant for per-channel weights), pools,
softmax, same-shape add/mul, transpose and concatenation; tinyir's portable
kernels (`backends/runtime/tinyir_kernels.c`) run the rest (see its header).
Their parameters come from tinyir.quantization, as the reference executor's do.

The emitter refuses IR without an arena (`--arena-alloc` first). The part
below `# -- building on the host` compiles the C with gcc against a CMSIS-NN
(the host runtime in backends/cmsis_nn_host, or a CMSIS-NN checkout) and runs
it: `tinyir-run --backend c`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.utils.target import Target

from tinyir import arena as arena_attrs
from tinyir import quantization
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError
from tinyir.scratch import is_inplace_depthwise

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
RUNTIME_SOURCES = ("tinyir_kernels.h", "tinyir_kernels.c")

_C_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "float32": "float", "uint8": "uint8_t"}


def c_identifier(name: str) -> str:
    """A C identifier from a model or value name."""
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_") or "model"
    return f"m_{ident}" if ident[0].isdigit() else ident


def _c_type(t: tiny.BufferType) -> str:
    try:
        return _C_TYPES[t.dtype.name]
    except KeyError:
        raise TinyIRError(f"C backend: no C type for {t.element_type}") from None


def _dims(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape)


def _float_literal(value: float) -> str:
    """An exact C float literal (hexadecimal)."""
    value = float(np.float32(value))
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if math.isnan(value):
        return "NAN"
    return f"{value.hex()}f"


def _array_body(values: np.ndarray, per_line: int = 24) -> str:
    flat = values.reshape(-1)
    if flat.dtype == np.float32:
        items = [_float_literal(v) for v in flat.tolist()]
    elif flat.dtype == np.int32:
        items = [f"{v}" if v != -(2**31) else "INT32_MIN" for v in flat.tolist()]
    else:
        items = [str(v) for v in flat.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n    ".join(lines)


@dataclass
class _Values:
    """C expressions of IR values: pointers into the arena, or const arrays."""

    names: dict[SSAValue, str]  # for comments: %hint
    offsets: dict[SSAValue, int]  # SRAM values: byte offset in the arena
    consts: dict[SSAValue, str]  # flash values: the array's name

    def ptr(self, value: SSAValue, const: bool = False) -> str:
        t = tiny.buffer_type(value)
        if value in self.consts:
            return self.consts[value]
        q = "const " if const else ""
        return f"({q}{_c_type(t)} *)(arena + {self.offsets[value]})"

    def name(self, value: SSAValue) -> str:
        return self.names[value]


class _Emitter:
    def __init__(self, module: ModuleOp, name: str, external_arena: bool):
        size = arena_attrs.arena_size(module)
        if size is None:
            raise TinyIRError("C backend: the module has no arena (tiny.arena_size): run --arena-alloc first")
        self.module = module
        self.name = c_identifier(name)
        self.arena_size = size
        self.alignment = arena_attrs.alignment(module) or 16
        self.external_arena = external_arena
        self.function = _entry(module)
        self.globals: list[str] = []  # flash data and parameter tables
        self.body: list[str] = []
        self.uses_cmsis = False
        self.values = self._values()

    # -- values -------------------------------------------------------------

    def _values(self) -> _Values:
        names: dict[SSAValue, str] = {}
        offsets: dict[SSAValue, int] = {}
        consts: dict[SSAValue, str] = {}
        arg_offsets = arena_attrs.argument_offsets(self.function)
        block = self.function.body.block
        for i, arg in enumerate(block.args):
            names[arg] = f"%{arg.name_hint or i}"
            if arg_offsets[i] is None:
                raise TinyIRError(f"C backend: input {i} has no arena offset (tiny.offset): run --arena-alloc first")
            offsets[arg] = arg_offsets[i]
        counter = 0
        for op in block.ops:
            for result in op.results:
                names[result] = f"%{result.name_hint or counter}"
                counter += 1
            if isinstance(op, tiny.AllocOp):
                if op.arena_offset is None:
                    raise TinyIRError(f"C backend: {names[op.result]} has no arena offset: run --arena-alloc first")
                offsets[op.result] = op.arena_offset
            elif isinstance(op, tiny.ViewOp):
                if op.source in consts:
                    consts[op.result] = consts[op.source]
                else:
                    offsets[op.result] = offsets[op.source]
            elif isinstance(op, tiny.ConstOp):
                consts[op.result] = self._const_array(op, names[op.result], len(consts))
        return _Values(names, offsets, consts)

    def _const_array(self, op: tiny.ConstOp, name: str, index: int) -> str:
        t = tiny.buffer_type(op.result)
        ident = f"c{index}_{c_identifier(name.lstrip('%'))}"[:48]
        self.globals.append(f"/* {name}: {_dims(t.shape)} {t.element_type} */")
        self.globals.append(
            f"static const {_c_type(t)} {ident}[{t.num_elements}] TINYIR_ALIGN({self.alignment}) = {{\n"
            f"    {_array_body(op.as_array().astype(t.dtype.newbyteorder('=')))}\n}};"
        )
        return ident

    def table(self, ident: str, c_type: str, values: np.ndarray, comment: str | None = None) -> str:
        """A const parameter table in flash; returns its name."""
        if comment:
            self.globals.append(f"/* {comment} */")
        self.globals.append(
            f"static const {c_type} {ident}[{values.size}] TINYIR_ALIGN(4) = {{\n    {_array_body(values)}\n}};"
        )
        return ident

    # -- the function ---------------------------------------------------------

    def emit(self) -> dict[str, str]:
        block = self.function.body.block
        step = 0
        for op in block.ops:
            if isinstance(op, tiny.ComputeOp):
                step += 1
                self.emit_op(op, step)
        return {f"{self.name}.h": self.header(), f"{self.name}.c": self.source()}

    def signature(self) -> str:
        params = ["uint8_t *arena"] if self.external_arena else []
        block = self.function.body.block
        ins = block.args
        for i, arg in enumerate(ins):
            params.append(f"const {_c_type(tiny.buffer_type(arg))} *{self._io_name('input', i, len(ins))}")
        outs = self.outputs()
        for i, value in enumerate(outs):
            params.append(f"{_c_type(tiny.buffer_type(value))} *{self._io_name('output', i, len(outs))}")
        return f"int tinyir_{self.name}_invoke({', '.join(params)})"

    @staticmethod
    def _io_name(kind: str, i: int, n: int) -> str:
        return kind if n == 1 else f"{kind}{i}"

    def outputs(self) -> list[SSAValue]:
        ret = self.function.body.block.last_op
        return list(ret.arguments) if isinstance(ret, func.ReturnOp) else []

    def header(self) -> str:
        guard = f"TINYIR_{self.name.upper()}_H"
        upper = self.name.upper()
        lines = [
            f"/* {self.name}.h: generated by tinyir (C backend). Do not edit. */",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            "#include <stdint.h>",
            "",
            "#ifdef __cplusplus",
            'extern "C" {',
            "#endif",
            "",
            f"/* SRAM: one arena of {self.arena_size} bytes (target {self.target_cpu()}). */",
            f"#define TINYIR_{upper}_ARENA_SIZE {self.arena_size}",
            f"#define TINYIR_{upper}_ARENA_ALIGNMENT {self.alignment}",
        ]
        block = self.function.body.block
        for kind, values in (("INPUT", list(block.args)), ("OUTPUT", self.outputs())):
            for i, v in enumerate(values):
                t = tiny.buffer_type(v)
                q = t.quant
                qtext = f", scale {quantization_text(q)}" if q is not None else ""
                lines.append(f"/* {kind.lower()} {i}: {_dims(t.shape)} {t.element_type}{qtext} */")
                lines.append(f"#define TINYIR_{upper}_{kind}{i}_SIZE {t.num_elements}")
        lines += [
            "",
            "/* Runs the model: 0 on success, else the number (from 1) of the op whose",
            "   kernel refused its arguments."
            + (
                f" `arena`: TINYIR_{upper}_ARENA_SIZE bytes aligned to TINYIR_{upper}_ARENA_ALIGNMENT."
                if self.external_arena
                else ""
            )
            + " */",
            f"{self.signature()};",
            "",
            "#ifdef __cplusplus",
            "}",
            "#endif",
            "",
            f"#endif /* {guard} */",
            "",
        ]
        return "\n".join(lines)

    def build_guard(self) -> list[str]:
        """An #error when CMSIS-NN is built for a CPU family whose kernels need
        more scratch than the arena holds (the allocation's family, see
        tinyir.scratch). The pure C build (no ARM_MATH_DSP / ARM_MATH_MVEI, as
        on a host) needs the least, so it accepts every allocation."""
        from tinyir.scratch import Family, family_of

        cpu = self.target_cpu()
        try:
            family = family_of(cpu)
        except ValueError:
            return []
        condition = {
            Family.C: "defined(ARM_MATH_DSP) || defined(ARM_MATH_MVEI)",
            Family.DSP: "defined(ARM_MATH_MVEI)",
            Family.MVE: "defined(ARM_MATH_DSP) && !defined(ARM_MATH_MVEI)",
        }[family]
        return [
            f"/* Scratch buffers were sized for {cpu} ({family.value} build of CMSIS-NN). */",
            f"#if {condition}",
            f'#error "arena allocated for {cpu}: CMSIS-NN built for another CPU family needs other scratch '
            f'sizes (run --arena-alloc=target-cpu=...)"',
            "#endif",
            "",
        ]

    def target_cpu(self) -> str:
        attr = self.module.attributes.get(arena_attrs.TARGET_CPU)
        return getattr(attr, "data", "unknown")

    def source(self) -> str:
        upper = self.name.upper()
        lines = [
            f"/* {self.name}.c: generated by tinyir (C backend). Do not edit. */",
            f'#include "{self.name}.h"',
            "",
            "#include <stddef.h>",
            "#include <string.h>",
            "",
            '#include "arm_nnfunctions.h"',
            '#include "tinyir_kernels.h"',
            "",
            "#if defined(__GNUC__) || defined(__clang__)",
            "#define TINYIR_ALIGN(n) __attribute__((aligned(n)))",
            "#else",
            "#define TINYIR_ALIGN(n)",
            "#endif",
            "",
        ]
        lines += self.build_guard()
        if not self.external_arena:
            lines += [
                "/* The SRAM arena: every activation, input, output and scratch buffer at its offset. */",
                f"static uint8_t tinyir_{self.name}_arena[TINYIR_{upper}_ARENA_SIZE > 0 ? TINYIR_{upper}_ARENA_SIZE : 1] "
                f"TINYIR_ALIGN({self.alignment});",
                "",
            ]
        lines += ["/* Flash: weights, biases and requantization parameters. */", *self.globals, ""]
        lines.append(f"{self.signature()}")
        lines.append("{")
        if not self.external_arena:
            lines.append(f"    uint8_t *const arena = tinyir_{self.name}_arena;")
        block = self.function.body.block
        for i, arg in enumerate(block.args):
            t = tiny.buffer_type(arg)
            lines.append(
                f"    memcpy(arena + {self.values.offsets[arg]}, {self._io_name('input', i, len(block.args))}, "
                f"{t.nbytes}); /* input {i} {self.values.name(arg)}: {_dims(t.shape)} {t.element_type} */"
            )
        lines += self.body
        outs = self.outputs()
        for i, value in enumerate(outs):
            t = tiny.buffer_type(value)
            src = self.values.consts.get(value) or f"arena + {self.values.offsets[value]}"
            lines.append(
                f"    memcpy({self._io_name('output', i, len(outs))}, {src}, {t.nbytes}); "
                f"/* output {i} {self.values.name(value)}: {_dims(t.shape)} {t.element_type} */"
            )
        lines += ["    return 0;", "}", ""]
        return "\n".join(lines)

    # -- ops ----------------------------------------------------------------

    def emit_op(self, op: tiny.ComputeOp, step: int) -> None:
        method = getattr(self, "op_" + op.name.split(".", 1)[1], None)
        if method is None:
            raise TinyIRError(f"C backend: no kernel for {op.name}")
        v = self.values
        # the activations read (weights and biases show in the detail)
        ins = ", ".join(f"{v.name(x)} {_dims(tiny.buffer_type(x).shape)}" for x in op.ins if x not in v.consts)
        ins = ins or "(constants)"
        out = f"{v.name(op.out)} {_dims(op.out_type.shape)}"
        call, detail = method(op, f"op{step}")
        self.body.append("")
        self.body.append(f"    /* {step}: {op.name} {ins} -> {out}{detail} */")
        self.body.extend("    " + line for line in call)

    def _check(self, call: str, step: str) -> list[str]:
        """A call returning a status: a nonzero status ends the invocation."""
        number = step[2:]
        return [f"if ({call} != 0) {{", f"    return {number};", "}"]

    def _cmsis_check(self, call: str, step: str) -> list[str]:
        self.uses_cmsis = True
        number = step[2:]
        return [f"if ({call} != ARM_CMSIS_NN_SUCCESS) {{", f"    return {number};", "}"]

    def _ctx(self, op: tiny.ComputeOp) -> str:
        if op.scratch is None:
            return "const cmsis_nn_context ctx = {NULL, 0};"
        t = tiny.buffer_type(op.scratch)
        return f"const cmsis_nn_context ctx = {{arena + {self.values.offsets[op.scratch]}, {t.nbytes}}};"

    def _bias(self, op: tiny.ComputeOp, step: str, channels: int) -> str:
        if len(op.ins) == 3:
            return self.values.ptr(op.ins[2], const=True)
        return self.table(f"{step}_bias", "int32_t", np.zeros(channels, np.int32), f"{step}: no bias")

    def _per_channel(self, op, step, mult, shift) -> tuple[str, str]:
        m = self.table(f"{step}_multiplier", "int32_t", np.asarray(mult, np.int32), f"{step}: requantization")
        s = self.table(f"{step}_shift", "int32_t", np.asarray(shift, np.int32))
        return m, s

    @staticmethod
    def _tile(pair: Sequence[int]) -> str:
        """cmsis_nn_tile from (h, w): {w, h}, named."""
        h, w = pair
        return f"{{.w = {w}, .h = {h}}}"

    def op_conv_2d(self, op: tiny.Conv2DOp, step: str):
        x, w, y = op.in_type(0), op.in_type(1), op.out_type
        c_out, kh, kw, c_in = w.shape
        mult, shift = quantization.conv_output_multipliers(x.quant, w.quant, y.quant, c_out)
        m, s = self._per_channel(op, step, mult, shift)
        top, bottom, left, right = op.ints("pad")
        lo, hi = op.ints("clamp")
        v = self.values
        call = [
            "{",
            f"    {self._ctx(op)}",
            f"    const cmsis_nn_conv_params params = {{.input_offset = {-x.quant.zp}, .output_offset = {y.quant.zp}, "
            f".stride = {self._tile(op.ints('stride'))}, .padding = {self._tile((top, left))}, "
            f".dilation = {self._tile(op.ints('dilation'))}, .activation = {{{lo}, {hi}}}}};",
            f"    const cmsis_nn_per_channel_quant_params quant = {{(int32_t *){m}, (int32_t *){s}}};",
            f"    const cmsis_nn_dims input_dims = {{{', '.join(map(str, x.shape))}}};",
            f"    const cmsis_nn_dims filter_dims = {{{c_out}, {kh}, {kw}, {c_in}}};",
            f"    const cmsis_nn_dims bias_dims = {{1, 1, 1, {c_out}}};",
            f"    const cmsis_nn_dims output_dims = {{{', '.join(map(str, y.shape))}}};",
            *(
                "    " + line
                for line in self._cmsis_check(
                    f"arm_convolve_wrapper_s8(&ctx, &params, &quant, &input_dims, {v.ptr(op.ins[0], True)}, "
                    f"&filter_dims, {v.ptr(op.ins[1], True)}, &bias_dims, {self._bias(op, step, c_out)}, "
                    f"&output_dims, {v.ptr(op.out)})",
                    step,
                )
            ),
            "}",
        ]
        detail = (
            f", filter {_dims(w.shape)}, stride {_dims(op.ints('stride'))}, pad {top},{bottom},{left},{right}"
            f", dilation {_dims(op.ints('dilation'))}: arm_convolve_wrapper_s8"
        )
        return call, detail

    def op_depthwise_conv_2d(self, op: tiny.DepthwiseConv2DOp, step: str):
        x, w, y = op.in_type(0), op.in_type(1), op.out_type
        _, kh, kw, c_out = w.shape
        mult, shift = quantization.conv_output_multipliers(x.quant, w.quant, y.quant, c_out)
        m, s = self._per_channel(op, step, mult, shift)
        top, bottom, left, right = op.ints("pad")
        (sh, sw), (dh, dw) = op.ints("stride"), op.ints("dilation")
        lo, hi = op.ints("clamp")
        v = self.values
        detail = f", filter {_dims(w.shape)}, stride {sh}x{sw}, pad {top},{bottom},{left},{right}, dilation {dh}x{dw}"
        if is_inplace_depthwise(op):
            n, ih, iw, c = x.shape
            scratch = tiny.buffer_type(op.scratch)
            call = [
                "{",
                f"    const tinyir_dw_inplace_params params = {{.in_h = {ih}, .in_w = {iw}, .channels = {c}, "
                f".out_h = {y.shape[1]}, .out_w = {y.shape[2]}, .kernel_h = {kh}, .kernel_w = {kw}, "
                f".stride_h = {sh}, .stride_w = {sw}, .pad_top = {top}, .pad_left = {left}, .dilation_h = {dh}, "
                f".dilation_w = {dw}, .input_offset = {-x.quant.zp}, .output_offset = {y.quant.zp}, "
                f".activation_min = {lo}, .activation_max = {hi}}};",
                *(
                    "    " + line
                    for line in self._check(
                        f"tinyir_depthwise_conv_inplace_s8(&params, {v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, "
                        f"{v.ptr(op.scratch)}, {scratch.nbytes}, {v.ptr(op.ins[1], True)}, "
                        f"{self._bias(op, step, c_out)}, {m}, {s})",
                        step,
                    )
                ),
                "}",
            ]
            return call, detail + ": in place, one channel at a time (tinyir_depthwise_conv_inplace_s8)"
        call = [
            "{",
            f"    {self._ctx(op)}",
            f"    const cmsis_nn_dw_conv_params params = {{.input_offset = {-x.quant.zp}, .output_offset = {y.quant.zp}, "
            f".ch_mult = {c_out // x.shape[3]}, .stride = {self._tile((sh, sw))}, .padding = {self._tile((top, left))}, "
            f".dilation = {self._tile((dh, dw))}, .activation = {{{lo}, {hi}}}}};",
            f"    const cmsis_nn_per_channel_quant_params quant = {{(int32_t *){m}, (int32_t *){s}}};",
            f"    const cmsis_nn_dims input_dims = {{{', '.join(map(str, x.shape))}}};",
            f"    const cmsis_nn_dims filter_dims = {{1, {kh}, {kw}, {c_out}}};",
            f"    const cmsis_nn_dims bias_dims = {{1, 1, 1, {c_out}}};",
            f"    const cmsis_nn_dims output_dims = {{{', '.join(map(str, y.shape))}}};",
            *(
                "    " + line
                for line in self._cmsis_check(
                    f"arm_depthwise_conv_wrapper_s8(&ctx, &params, &quant, &input_dims, {v.ptr(op.ins[0], True)}, "
                    f"&filter_dims, {v.ptr(op.ins[1], True)}, &bias_dims, {self._bias(op, step, c_out)}, "
                    f"&output_dims, {v.ptr(op.out)})",
                    step,
                )
            ),
            "}",
        ]
        return call, detail + ": arm_depthwise_conv_wrapper_s8"

    def op_fully_connected(self, op: tiny.FullyConnectedOp, step: str):
        x, w, y = op.in_type(0), op.in_type(1), op.out_type
        c_out, depth = w.shape
        rows = x.num_elements // depth
        mult, shift = quantization.fully_connected_multipliers(x.quant, w.quant, y.quant)
        lo, hi = op.ints("clamp")
        v = self.values
        per_channel = w.quant.is_per_channel
        filter_offset = 0 if per_channel else -w.quant.zp
        bias = self._bias(op, step, c_out)
        if per_channel:
            m, s = self._per_channel(op, step, mult, shift)
            quant = f"const cmsis_nn_per_channel_quant_params quant = {{(int32_t *){m}, (int32_t *){s}}};"
            kernel = "arm_fully_connected_per_channel_s8"
        else:
            quant = f"const cmsis_nn_per_tensor_quant_params quant = {{{int(mult[0])}, {int(shift[0])}}};"
            kernel = "arm_fully_connected_s8"
        call = [
            "{",
            f"    {self._ctx(op)}",
            f"    const cmsis_nn_fc_params params = {{.input_offset = {-x.quant.zp}, .filter_offset = {filter_offset}, "
            f".output_offset = {y.quant.zp}, .activation = {{{lo}, {hi}}}}};",
            f"    {quant}",
            f"    const cmsis_nn_dims input_dims = {{{rows}, 1, 1, {depth}}};",
            f"    const cmsis_nn_dims filter_dims = {{{depth}, 1, 1, {c_out}}};",
            f"    const cmsis_nn_dims bias_dims = {{1, 1, 1, {c_out}}};",
            f"    const cmsis_nn_dims output_dims = {{{rows}, 1, 1, {c_out}}};",
        ]
        if op.scratch is not None:
            # The MVE build reads the filter's row sums (with the bias) from the scratch,
            # as TFLite Micro's CMSIS-NN port computes them (its kernel_sums).
            call += [
                "#if defined(ARM_MATH_MVEI)",
                f"    arm_vector_sum_s8((int32_t *)ctx.buf, {depth}, {c_out}, {v.ptr(op.ins[1], True)}, "
                f"{-x.quant.zp}, {filter_offset}, {bias});",
                "#endif",
            ]
        call += [
            *(
                "    " + line
                for line in self._cmsis_check(
                    f"{kernel}(&ctx, &params, &quant, &input_dims, {v.ptr(op.ins[0], True)}, &filter_dims, "
                    f"{v.ptr(op.ins[1], True)}, &bias_dims, {bias}, &output_dims, {v.ptr(op.out)})",
                    step,
                )
            ),
            "}",
        ]
        kind = "per-channel" if per_channel else "per-tensor"
        return call, f", filter {_dims(w.shape)} {kind}, {rows} row(s): {kernel}"

    def _binary(self, op, step, kind: str):
        a, b, y = op.in_type(0), op.in_type(1), op.out_type
        lo, hi = op.ints("clamp")
        v = self.values
        pa, pb, po = v.ptr(op.ins[0], True), v.ptr(op.ins[1], True), v.ptr(op.out)
        if kind == "add":
            p = quantization.add_params(a.quant, b.quant, y.quant)
        else:
            multiplier, shift = quantization.mul_params(a.quant, b.quant, y.quant)
        if a.shape == b.shape == y.shape:
            if kind == "add":
                call = (
                    f"arm_elementwise_add_s8({pa}, {pb}, {p.input1_offset}, {p.input1_multiplier}, {p.input1_shift}, "
                    f"{p.input2_offset}, {p.input2_multiplier}, {p.input2_shift}, {p.left_shift}, {po}, "
                    f"{p.output_offset}, {p.output_multiplier}, {p.output_shift}, {lo}, {hi}, {y.num_elements})"
                )
            else:
                call = (
                    f"arm_elementwise_mul_s8({pa}, {pb}, {-a.quant.zp}, {-b.quant.zp}, {po}, {y.quant.zp}, "
                    f"{multiplier}, {shift}, {lo}, {hi}, {y.num_elements})"
                )
            return self._cmsis_check(call, step), f": arm_elementwise_{kind}_s8"
        rank = len(y.shape)
        if rank > 6:
            raise TinyIRError(f"C backend: {op.name} broadcasting over rank {rank} (at most 6)")

        def strides(t: tiny.BufferType) -> list[int]:
            shape = (1,) * (rank - len(t.shape)) + tuple(t.shape)
            s, acc = [0] * rank, 1
            for d in range(rank - 1, -1, -1):
                s[d] = 0 if shape[d] == 1 and y.shape[d] != 1 else acc
                acc *= shape[d]
            return s

        def arr(values):
            values = list(values) + [0] * (6 - len(values))
            return "{" + ", ".join(map(str, values)) + "}"

        bc = f"const tinyir_broadcast shape = {{{rank}, {arr(y.shape)}, {arr(strides(a))}, {arr(strides(b))}}};"
        if kind == "add":
            params = (
                f"const tinyir_add_params params = {{{p.left_shift}, {p.input1_offset}, {p.input1_multiplier}, "
                f"{p.input1_shift}, {p.input2_offset}, {p.input2_multiplier}, {p.input2_shift}, {p.output_offset}, "
                f"{p.output_multiplier}, {p.output_shift}, {lo}, {hi}}};"
            )
        else:
            params = (
                f"const tinyir_mul_params params = {{{-a.quant.zp}, {-b.quant.zp}, {y.quant.zp}, {multiplier}, "
                f"{shift}, {lo}, {hi}}};"
            )
        call = [
            "{",
            f"    {bc}",
            f"    {params}",
            *(
                "    " + line
                for line in self._check(f"tinyir_{kind}_broadcast_s8({pa}, {pb}, {po}, &shape, &params)", step)
            ),
            "}",
        ]
        return call, f": broadcasting, tinyir_{kind}_broadcast_s8"

    def op_add(self, op, step):
        return self._binary(op, step, "add")

    def op_mul(self, op, step):
        return self._binary(op, step, "mul")

    def _pool(self, op: tiny.PoolOp, step: str, kernel_name: str):
        x, y = op.in_type(0), op.out_type
        kh, kw = op.ints("kernel")
        top, bottom, left, right = op.ints("pad")
        lo, hi = op.ints("clamp")
        v = self.values
        call = [
            "{",
            f"    {self._ctx(op)}",
            f"    const cmsis_nn_pool_params params = {{.stride = {self._tile(op.ints('stride'))}, "
            f".padding = {self._tile((top, left))}, .activation = {{{lo}, {hi}}}}};",
            f"    const cmsis_nn_dims input_dims = {{{', '.join(map(str, x.shape))}}};",
            f"    const cmsis_nn_dims filter_dims = {{1, {kh}, {kw}, 1}};",
            f"    const cmsis_nn_dims output_dims = {{{', '.join(map(str, y.shape))}}};",
            *(
                "    " + line
                for line in self._cmsis_check(
                    f"{kernel_name}(&ctx, &params, &input_dims, {v.ptr(op.ins[0], True)}, &filter_dims, "
                    f"&output_dims, {v.ptr(op.out)})",
                    step,
                )
            ),
            "}",
        ]
        detail = (
            f", kernel {kh}x{kw}, stride {_dims(op.ints('stride'))}, pad {top},{bottom},{left},{right}: {kernel_name}"
        )
        return call, detail

    def op_avg_pool_2d(self, op, step):
        return self._pool(op, step, "arm_avgpool_s8")

    def op_max_pool_2d(self, op, step):
        return self._pool(op, step, "arm_max_pool_s8")

    def op_softmax(self, op: tiny.SoftmaxOp, step: str):
        x, y = op.in_type(0), op.out_type
        quantization.check_softmax_output(y.quant)
        p = quantization.softmax_params(op.beta.value.data, x.quant)
        row = x.shape[-1]
        rows = x.num_elements // row
        v = self.values
        self.uses_cmsis = True
        call = [
            f"arm_softmax_s8({v.ptr(op.ins[0], True)}, {rows}, {row}, {p.input_multiplier}, {p.input_left_shift}, "
            f"{p.diff_min}, {v.ptr(op.out)});"
        ]
        return call, f", beta {op.beta.value.data:g}: arm_softmax_s8"

    def _require_int8_input(self, op):
        if op.in_type(0).dtype != np.int8:
            raise TinyIRError(f"C backend: {op.name} on {op.in_type(0).element_type} input (int8 only)")

    def _requantize(self, op, step: str, multiplier: int, shift: int, clamp: Sequence[int]):
        x, y = op.in_type(0), op.out_type
        v = self.values
        lo, hi = clamp
        call = (
            f"tinyir_requantize_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {y.num_elements}, {x.quant.zp}, "
            f"{y.quant.zp}, {multiplier}, {shift}, {lo}, {hi})"
        )
        return self._check(call, step)

    def op_logistic(self, op, step):
        self._require_int8_input(op)
        x, y = op.in_type(0), op.out_type
        quantization.check_logistic_output(y.quant)
        p = quantization.logistic_params(x.quant)
        v = self.values
        call = (
            f"tinyir_logistic_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {y.num_elements}, {p.input_zero_point}, "
            f"{p.input_multiplier if p.input_multiplier != -(2**31) else 'INT32_MIN'}, {p.input_left_shift}, "
            f"{p.input_range_radius})"
        )
        return self._check(call, step), ": tinyir_logistic_s8"

    def op_hard_swish(self, op, step):
        self._require_int8_input(op)
        p = quantization.hard_swish_params(op.in_type(0).quant, op.out_type.quant)
        v = self.values
        call = [
            "{",
            f"    const tinyir_hard_swish_params params = {{{', '.join(f'.{k} = {int(f)}' for k, f in p._asdict().items())}}};",
            *(
                "    " + line
                for line in self._check(
                    f"tinyir_hard_swish_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {op.out_type.num_elements}, "
                    f"&params)",
                    step,
                )
            ),
            "}",
        ]
        return call, ": tinyir_hard_swish_s8"

    def op_clamp(self, op, step):
        self._require_int8_input(op)
        multiplier, shift = quantization.clamp_params(op.in_type(0).quant, op.out_type.quant)
        clamp = op.ints("clamp")
        return self._requantize(op, step, multiplier, shift, clamp), f" to {list(clamp)}: tinyir_requantize_s8"

    def op_quantize(self, op: tiny.QuantizeOp, step: str):
        x, y = op.in_type(0), op.out_type
        v = self.values
        if y.dtype != np.int8:
            raise TinyIRError(f"C backend: tiny.quantize to {y.element_type} (int8 only)")
        if x.dtype == np.float32:
            call = (
                f"tinyir_quantize_f32_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {y.num_elements}, "
                f"{_float_literal(y.quant.scale[0])}, {y.quant.zp})"
            )
            return self._check(call, step), f", scale {quantization_text(y.quant)}: tinyir_quantize_f32_s8"
        self._require_int8_input(op)
        multiplier, shift = quantization.requantize_params(x.quant, y.quant)
        return self._requantize(op, step, multiplier, shift, (-128, 127)), ": requantization, tinyir_requantize_s8"

    def op_dequantize(self, op, step):
        self._require_int8_input(op)
        x, y = op.in_type(0), op.out_type
        v = self.values
        scale = float(x.quant.scale[0]).hex()  # the float32 scale, exactly, as a double
        call = (
            f"tinyir_dequantize_s8_f32({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {y.num_elements}, {scale}, "
            f"{x.quant.zp})"
        )
        return self._check(call, step), f", scale {quantization_text(x.quant)}: tinyir_dequantize_s8_f32"

    def op_pad(self, op: tiny.PadOp, step: str):
        x, y = op.in_type(0), op.out_type
        if x.dtype != np.int8:
            raise TinyIRError(f"C backend: tiny.pad on {x.element_type} (int8 only)")
        rank = len(x.shape)
        if rank > 6:
            raise TinyIRError(f"C backend: tiny.pad of rank {rank} (at most 6)")
        flat = op.ints("paddings")
        before = [flat[2 * i] for i in range(rank)]
        v = self.values
        call = [
            "{",
            f"    static const int32_t input_shape[{rank}] = {{{', '.join(map(str, x.shape))}}};",
            f"    static const int32_t output_shape[{rank}] = {{{', '.join(map(str, y.shape))}}};",
            f"    static const int32_t before[{rank}] = {{{', '.join(map(str, before))}}};",
            *(
                "    " + line
                for line in self._check(
                    f"tinyir_pad_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rank}, input_shape, output_shape, "
                    f"before, {op.value.value.data})",
                    step,
                )
            ),
            "}",
        ]
        return call, f", paddings {list(flat)}, value {op.value.value.data}: tinyir_pad_s8"

    def op_mean(self, op: tiny.MeanOp, step: str):
        x, y = op.in_type(0), op.out_type
        self._require_int8_input(op)
        rank = len(x.shape)
        if rank > 6:
            raise TinyIRError(f"C backend: tiny.mean of rank {rank} (at most 6)")
        axes = {a % rank for a in op.ints("axes")}
        count = math.prod(x.shape[a] for a in axes)
        multiplier, shift = quantization.mean_params(x.quant, y.quant, count)
        v = self.values
        call = [
            "{",
            f"    static const int32_t input_shape[{rank}] = {{{', '.join(map(str, x.shape))}}};",
            f"    static const uint8_t reduce[{rank}] = {{{', '.join('1' if d in axes else '0' for d in range(rank))}}};",
            *(
                "    " + line
                for line in self._check(
                    f"tinyir_mean_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, {rank}, input_shape, reduce, {count}, "
                    f"{x.quant.zp}, {y.quant.zp}, {multiplier}, {shift})",
                    step,
                )
            ),
            "}",
        ]
        return call, f", axes {sorted(axes)}: tinyir_mean_s8"

    def op_concat(self, op: tiny.ConcatOp, step: str):
        y = op.out_type
        if y.dtype != np.int8:
            raise TinyIRError(f"C backend: tiny.concat of {y.element_type} (int8 only)")
        axis = op.axis.value.data
        outer = math.prod(y.shape[:axis])
        inner = math.prod(y.shape[axis + 1 :])
        v = self.values
        call: list[str] = []
        offset = 0
        used_cmsis = False
        for x_value in op.ins:
            x = tiny.buffer_type(x_value)
            row = x.shape[axis] * inner
            out_row = y.shape[axis] * inner
            if max(row, outer, out_row) <= 0xFFFF:
                self.uses_cmsis = True
                used_cmsis = True
                call.append(
                    f"arm_concatenation_s8_x({v.ptr(x_value, True)}, {row}, {outer}, 1, 1, {v.ptr(op.out)}, "
                    f"{out_row}, {offset * inner});"
                )
            else:
                call += self._check(
                    f"tinyir_concat_s8({v.ptr(x_value, True)}, {v.ptr(op.out)}, {outer}, {row}, {out_row}, "
                    f"{offset * inner})",
                    step,
                )
            offset += x.shape[axis]
        kernel = "arm_concatenation_s8_x" if used_cmsis else "tinyir_concat_s8"
        return call, f", axis {axis}: {kernel} per input"

    def op_transpose(self, op: tiny.TransposeOp, step: str):
        x, y = op.in_type(0), op.out_type
        perm = list(op.ints("perm"))
        rank = len(perm)
        if rank > 4 or x.dtype != np.int8:
            raise TinyIRError(f"C backend: tiny.transpose of rank {rank} {x.element_type} (int8, rank <= 4)")
        pad = 4 - rank  # leading unit dimensions
        shape_in = (1,) * pad + tuple(x.shape)
        shape_out = (1,) * pad + tuple(y.shape)
        perm4 = list(range(pad)) + [p + pad for p in perm]
        v = self.values
        call = [
            "{",
            f"    static const uint32_t perm[4] = {{{', '.join(map(str, perm4))}}};",
            "    const cmsis_nn_transpose_params params = {4, perm};",
            f"    const cmsis_nn_dims input_dims = {{{', '.join(map(str, shape_in))}}};",
            f"    const cmsis_nn_dims output_dims = {{{', '.join(map(str, shape_out))}}};",
            *(
                "    " + line
                for line in self._cmsis_check(
                    f"arm_transpose_s8({v.ptr(op.ins[0], True)}, {v.ptr(op.out)}, &input_dims, &output_dims, &params)",
                    step,
                )
            ),
            "}",
        ]
        return call, f", perm {perm}: arm_transpose_s8"


def quantization_text(q: quantization.QParams) -> str:
    if q.is_per_channel:
        return f"per-channel on axis {q.axis}"
    return f"{tiny.format_scale(q.scale[0])}, zero point {q.zp}"


def _entry(module: ModuleOp) -> func.FuncOp:
    functions = [op for op in module.ops if isinstance(op, func.FuncOp)]
    if len(functions) != 1:
        raise TinyIRError(f"C backend: expected one function in the module, found {len(functions)}")
    return functions[0]


def emit_c(module: ModuleOp, name: str = "model", *, external_arena: bool = False) -> dict[str, str]:
    """{file name: text} of `<name>.h` and `<name>.c` for an allocated module."""
    return _Emitter(module, name, external_arena).emit()


def write_c(
    module: ModuleOp, directory: str | Path, name: str = "model", *, external_arena: bool = False, runtime: bool = True
) -> list[Path]:
    """Write `<name>.h`, `<name>.c` (and, with `runtime`, tinyir_kernels.h/.c) into `directory`."""
    files = emit_c(module, name, external_arena=external_arena)
    if runtime:
        for f in RUNTIME_SOURCES:
            files[f] = (RUNTIME_DIR / f).read_text()
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for file_name, text in files.items():
            path = directory / file_name
            path.write_text(text)
            paths.append(path)
    except OSError as e:
        raise TinyIRError(f"cannot write C files into {directory}: {e.strerror}") from None
    return paths


FILE_MARKER = "/* ===== {} ===== */"


@dataclass(frozen=True)
class CTarget(Target):
    """`-t c`: the C backend. Options: `model` (the model's C name: files
    `<name>.h`/`<name>.c`, entry point `tinyir_<name>_invoke`), `out` (a
    directory to write them into, with tinyir's runtime kernels; without it
    both files go to the output stream, each after a `/* ===== file ===== */`
    line), `arena` (`static`: a static array in the .c file; `external`: the
    caller passes it)."""

    name = "c"

    model: str = "model"
    out: str = ""
    arena: str = "static"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        if self.arena not in ("static", "external"):
            raise TinyIRError(f"-t c: arena must be 'static' or 'external', got '{self.arena}'")
        external = self.arena == "external"
        if self.out:
            write_c(module, self.out, self.model, external_arena=external)
            return
        for file_name, text in emit_c(module, self.model, external_arena=external).items():
            output.write(FILE_MARKER.format(file_name) + "\n")
            output.write(text)


# -- building on the host ------------------------------------------------------
# `tinyir-run --backend c` and the tests compile the emitted C with gcc (warnings
# are errors) against a CMSIS-NN: the host runtime (backends/cmsis_nn_host), or
# the CMSIS-NN checkout named by $CMSIS_NN (backends/cmsis_nn_host/sources.py
# decides). The CMSIS-NN sources are compiled once into a static library in
# $TINYIR_CACHE (default: <tmp>/tinyir-cache), keyed by their content.

CFLAGS = ("-std=c99", "-O2", "-Wall", "-Wextra", "-Werror")


def cmsis_nn_sources() -> tuple[list[str], list[Path]]:
    """(compiler flags, C sources) of the CMSIS-NN to build against: what
    backends/cmsis_nn_host/sources.py says (tinyir's host runtime, or the
    CMSIS-NN checkout named by $CMSIS_NN)."""
    try:
        from tinyir.backends.cmsis_nn_host.sources import sources
    except ImportError:
        raise TinyIRError("C backend: no CMSIS-NN to build against (backends/cmsis_nn_host is missing)") from None
    try:
        src = sources()
    except ValueError as e:
        raise TinyIRError(str(e)) from None
    return list(src.cflags()), [Path(p) for p in src.c_files]


def _run(cmd: list[str], what: str) -> None:
    import subprocess

    try:
        done = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise TinyIRError(f"{what}: cannot run {cmd[0]}: {e.strerror}") from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if "error" in line), done.stderr.strip()[:300])
        raise TinyIRError(f"{what} failed: {first}")


def cmsis_nn_library(cc: str = "gcc") -> tuple[list[str], Path]:
    """(compiler flags, static library) of CMSIS-NN, built once per content."""
    import hashlib
    import os
    import tempfile

    flags, sources = cmsis_nn_sources()
    includes = [Path(f[2:]) for f in flags if f.startswith("-I")]
    digest = hashlib.sha256(" ".join([cc, *flags]).encode())
    for path in [*sources, *sorted(p for d in includes for p in d.glob("*.h"))]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    cache = Path(os.environ.get("TINYIR_CACHE", Path(tempfile.gettempdir()) / "tinyir-cache"))
    lib = cache / f"cmsis-nn-{digest.hexdigest()[:16]}.a"
    if lib.is_file():
        return flags, lib
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        objects = []
        for i, src in enumerate(sources):
            obj = Path(tmp) / f"{i}_{src.stem}.o"
            # CMSIS-NN itself is compiled without -Werror: the warnings policy is for the emitted C.
            _run([cc, "-std=c99", "-O2", *flags, "-c", str(src), "-o", str(obj)], f"compiling {src.name}")
            objects.append(str(obj))
        partial = Path(tmp) / "lib.a"
        _run(["ar", "rcs", str(partial), *objects], "ar")
        os.replace(partial, lib)
    return flags, lib


def _main_c(emitter_name: str, module: ModuleOp, external_arena: bool) -> str:
    """A host main: reads the inputs' bytes from argv[1], writes the outputs' bytes to argv[2]."""
    function = _entry(module)
    ins = [tiny.buffer_type(a) for a in function.body.block.args]
    ret = function.body.block.last_op
    outs = [tiny.buffer_type(v) for v in ret.arguments] if isinstance(ret, func.ReturnOp) else []
    upper = emitter_name.upper()
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "",
        f'#include "{emitter_name}.h"',
        "",
    ]
    for i, t in enumerate(ins):
        lines.append(f"static {_c_type(t)} in{i}[{t.num_elements}];")
    for i, t in enumerate(outs):
        lines.append(f"static {_c_type(t)} out{i}[{t.num_elements}];")
    if external_arena:
        lines.append(
            f"static uint8_t arena[TINYIR_{upper}_ARENA_SIZE > 0 ? TINYIR_{upper}_ARENA_SIZE : 1] "
            f"__attribute__((aligned(TINYIR_{upper}_ARENA_ALIGNMENT)));"
        )
    args = (
        (["arena"] if external_arena else [])
        + [f"in{i}" for i in range(len(ins))]
        + [f"out{i}" for i in range(len(outs))]
    )
    lines += [
        "",
        "int main(int argc, char **argv)",
        "{",
        "    if (argc != 3) {",
        '        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin\\n", argv[0]);',
        "        return 2;",
        "    }",
        '    FILE *f = fopen(argv[1], "rb");',
        "    if (f == NULL) {",
        '        perror("input");',
        "        return 2;",
        "    }",
    ]
    for i in range(len(ins)):
        lines += [
            f"    if (fread(in{i}, 1, sizeof in{i}, f) != sizeof in{i}) {{",
            f'        fprintf(stderr, "input {i}: short read\\n");',
            "        return 2;",
            "    }",
        ]
    lines += [
        "    fclose(f);",
        f"    const int status = tinyir_{emitter_name}_invoke({', '.join(args)});",
        "    if (status != 0) {",
        '        fprintf(stderr, "invoke failed at op %d\\n", status);',
        "        return 3;",
        "    }",
        '    f = fopen(argv[2], "wb");',
        "    if (f == NULL) {",
        '        perror("output");',
        "        return 2;",
        "    }",
    ]
    for i in range(len(outs)):
        lines.append(f"    fwrite(out{i}, 1, sizeof out{i}, f);")
    lines += ["    return fclose(f) != 0;", "}", ""]
    return "\n".join(lines)


def build_host(
    module: ModuleOp, directory: str | Path, name: str = "model", *, external_arena: bool = False, cc: str = "gcc"
) -> Path:
    """Emit the C for `module` into `directory`, with a host main, and compile
    it (gcc -O2 -Wall -Wextra -Werror) against CMSIS-NN; returns the executable."""
    directory = Path(directory)
    write_c(module, directory, name, external_arena=external_arena)
    ident = c_identifier(name)
    (directory / "main.c").write_text(_main_c(ident, module, external_arena))
    flags, lib = cmsis_nn_library(cc)
    exe = directory / ident
    sources = [directory / f"{ident}.c", directory / "tinyir_kernels.c", directory / "main.c"]
    _run(
        [cc, *CFLAGS, f"-I{directory}", *flags, *map(str, sources), str(lib), "-lm", "-o", str(exe)],
        "compiling the emitted C",
    )
    return exe


def run_host(executable: str | Path, module: ModuleOp, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run a `build_host` executable on numpy inputs; returns its outputs."""
    import subprocess
    import tempfile

    function = _entry(module)
    arg_types = [tiny.buffer_type(a) for a in function.body.block.args]
    if len(inputs) != len(arg_types):
        raise TinyIRError(f"the model takes {len(arg_types)} inputs, got {len(inputs)}")
    ret = function.body.block.last_op
    out_types = [tiny.buffer_type(v) for v in ret.arguments] if isinstance(ret, func.ReturnOp) else []
    with tempfile.TemporaryDirectory() as tmp:
        in_path, out_path = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        data = b""
        for i, (x, t) in enumerate(zip(inputs, arg_types)):
            x = np.asarray(x)
            if x.shape != t.shape or x.dtype != t.dtype:
                raise TinyIRError(f"input {i} must be {list(t.shape)} {t.dtype}, got {list(x.shape)} {x.dtype}")
            data += np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tobytes()
        in_path.write_bytes(data)
        done = subprocess.run([str(executable), str(in_path), str(out_path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise TinyIRError(f"the compiled model failed (status {done.returncode}): {done.stderr.strip()}")
        raw = out_path.read_bytes()
    outputs, pos = [], 0
    for t in out_types:
        n = t.nbytes
        outputs.append(
            np.frombuffer(raw[pos : pos + n], dtype=t.dtype.newbyteorder("<")).astype(t.dtype).reshape(t.shape)
        )
        pos += n
    return outputs


def execute_c(module: ModuleOp, inputs: Sequence[np.ndarray], name: str = "model") -> list[np.ndarray]:
    """Emit, compile and run an allocated module on the host: its outputs."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tinyir-c-") as tmp:
        exe = build_host(module, tmp, name)
        return run_host(exe, module, inputs)
