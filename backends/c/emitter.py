"""The C backend's walk over an allocated module: `Emitter` names every value
(a pointer into the arena at its offset, or a const array in flash), hands
each compute op to its op emitter (conv.py, elementwise.py, pool.py,
layout.py; the table is `KERNELS` in target.py) and writes `<name>.h` and
`<name>.c` around what they return: the header, the static arena, the flash
data, and the entry point that copies the inputs in, runs the ops in
schedule order and copies the outputs out.

An op emitter is `emit(e: Emitter, op, step) -> (lines, detail)`: the C
statements of the op (`step` is `op<number>`, the status the entry point
returns when its kernel refuses) and the end of its comment line. The
helpers they share are here (`ctx`, `bias`, `per_channel`, `table`,
`at_tile`, `laid_out`) and in text.py (`block`, `check`, `cmsis_check`, ...).

A `tiny.tile_loop` (partial execution) becomes `for (int32_t t = 0; t < N;
++t) { ... }` around one call per op of its body, each op numbered like the
others; an op computing a tile of itself (`tile %t`) reads the slices of its
constants at `t` (`at_tile`), its comment says which channels. In a row loop
(`rows`) each op runs on its band of rows at tile t (rows.py): op emitters
take the dims, top padding, element count and pointers of what they call from
`in_shape`, `out_shape`, `pad_top`, `elements`, `input` and `output`, which
are the whole op's outside row loops and the band's (C expressions in t)
inside; the emitter skips the call at tiles without a band and moves the
rows a line buffer keeps (memmove) before its writer runs.

Some kernels want a constant in another form than the IR's (a depthwise
output tile its filter tile-major, so that each tile's channels are
contiguous): the `layouts` function of the emitter says so per operand
(`Layout`). A constant that no reader wants in the IR's form is emitted in
the form of its first reader (the same bytes of flash, reordered); a reader
wanting another one gets a copy (`laid_out`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from tinyir.analysis import arena as arena_attrs
from tinyir.analysis.liveness import main_function, walk
from tinyir.analysis.target import Family, family_of, recorded_cpu
from tinyir.dialects import tiny
from tinyir.errors import TinyIRError

from . import rows as row_loops
from . import stream as streams
from .text import INDENT, array_body, block, c_identifier, c_type, dims, quantization_text

OpEmitter = Callable[["Emitter", tiny.ComputeOp, str], tuple[list[str], str]]


@dataclass(frozen=True)
class Layout:
    """Another form of a constant operand that a kernel reads: `key` names
    it (equal keys, equal forms), `transform` makes it from the IR's array,
    `comment` says what it is."""

    key: Hashable
    transform: Callable[[np.ndarray], np.ndarray] = field(compare=False)
    comment: str = field(compare=False)


Layouts = Callable[[Operation, int], "Layout | None"]
"""(op, operand index) -> the form the op's kernel reads the operand in (None: the IR's)."""


def no_layouts(op: Operation, index: int) -> Layout | None:
    return None


def run_order(function: func.FuncOp) -> list[tuple[int, tiny.ComputeOp]]:
    """(number, op) of every op call the entry point makes, in the order it
    makes them: a tile loop's body once per tile. The numbers are the C's
    (`op<number>`, `TINYIR_OP_BEGIN(number)`; `Emitter.emit` numbers the same way)."""
    order, step = [], 0
    for op in function.body.block.ops:
        if isinstance(op, tiny.TileLoopOp):
            body = [(step + i + 1, o) for i, o in enumerate(x for x in op.body.block.ops if isinstance(x, tiny.ComputeOp))]
            order += body * op.tiles
            step += len(body)
        elif isinstance(op, tiny.ComputeOp):
            step += 1
            order.append((step, op))
    return order


def outputs(function: func.FuncOp) -> list[SSAValue]:
    """The values the function returns."""
    ret = function.body.block.last_op
    return list(ret.arguments) if isinstance(ret, func.ReturnOp) else []


def io_name(kind: str, i: int, n: int) -> str:
    """The entry point's parameter for input/output `i` of `n`."""
    return kind if n == 1 else f"{kind}{i}"


@dataclass
class Values:
    """C expressions of IR values: pointers into the arena, or const arrays."""

    names: dict[SSAValue, str]  # for comments: %hint
    offsets: dict[SSAValue, int]  # SRAM values: byte offset in the arena
    consts: dict[SSAValue, str]  # flash values: the array's name

    def ptr(self, value: SSAValue, const: bool = False) -> str:
        t = tiny.buffer_type(value)
        if value in self.consts:
            return self.consts[value]
        q = "const " if const else ""
        return f"({q}{c_type(t)} *)(arena + {self.offsets[value]})"

    def name(self, value: SSAValue) -> str:
        return self.names[value]


class Emitter:
    def __init__(
        self,
        module: ModuleOp,
        name: str,
        external_arena: bool,
        kernels: Mapping[type, OpEmitter],
        layouts: Layouts = no_layouts,
        data: bool = True,
    ):
        size = arena_attrs.arena_size(module)
        if size is None:
            raise TinyIRError("C backend: the module has no arena (tiny.arena_size): run --arena-alloc first")
        self.module = module
        self.name = c_identifier(name)
        self.arena_size = size
        self.alignment = arena_attrs.alignment(module) or 16
        self.external_arena = external_arena
        self.kernels = kernels
        self.layouts = layouts
        self.data = data
        """Whether flash arrays hold their values (false: sizes only, for rodata)."""
        self.function = main_function(module)
        self.streamed = tiny.streamed_arguments(self.function)
        """Which inputs are streamed (not in the arena: the caller's read_rows gives their rows)."""
        self.globals: list[str] = []  # flash data and parameter tables
        self.rodata: list[tuple[str, str, int, int]] = []  # (kind, name, bytes, alignment) of each flash array
        self.body: list[str] = []
        self.indent = INDENT  # of the entry point's statements (deeper in a tile loop)
        self.const_layouts: dict[SSAValue, Layout] = {}  # constants emitted in another form
        self.layout_copies: dict[tuple[SSAValue, Hashable], str] = {}
        self.bands: dict[tiny.ComputeOp, row_loops.RowBand] = {}  # ops of row loops
        self.values = self._values()

    # -- values -------------------------------------------------------------

    def _values(self) -> Values:
        names: dict[SSAValue, str] = {}
        offsets: dict[SSAValue, int] = {}
        consts: dict[SSAValue, str] = {}
        arg_offsets = arena_attrs.argument_offsets(self.function)
        block = self.function.body.block
        for i, arg in enumerate(block.args):
            names[arg] = f"%{arg.name_hint or i}"
            if self.streamed[i]:
                continue
            if arg_offsets[i] is None:
                raise TinyIRError(f"C backend: input {i} has no arena offset (tiny.offset): run --arena-alloc first")
            offsets[arg] = arg_offsets[i]
        counter = 0
        taken = set(names.values())
        for op in walk(block):  # the bodies of tile loops in place of the loops
            for result in op.results:
                name = base = f"%{result.name_hint or counter}"
                suffix = 1
                while name in taken:  # a tile's buffer named as its whole: %d_1, as tinyir prints it
                    name, suffix = f"{base}_{suffix}", suffix + 1
                names[result] = name
                taken.add(name)
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
        return Values(names, offsets, consts)

    def _const_array(self, op: tiny.ConstOp, name: str, index: int) -> str:
        t = tiny.buffer_type(op.result)
        ident = f"c{index}_{c_identifier(name.lstrip('%'))}"[:48]
        array = op.as_array().astype(t.dtype.newbyteorder("="))
        wanted = [self.layouts(use.operation, use.index) for use in op.result.uses]
        layout = wanted[0] if wanted and None not in wanted else None
        comment = ""
        if layout is not None:  # no reader wants the IR's form: the array holds the first one's
            self.const_layouts[op.result] = layout
            array, comment = layout.transform(array), f", {layout.comment}"
        self._array(ident, t, array, f"{name}: {dims(t.shape)} {t.element_type}{comment}")
        return ident

    def _array(self, ident: str, t: tiny.BufferType, array: np.ndarray, comment: str) -> None:
        self.rodata.append(("constants", ident, array.size * t.element_bytes, self.alignment))
        self.globals.append(f"/* {comment} */")
        self.globals.append(
            f"static const {c_type(t)} {ident}[{array.size}] TINYIR_FLASH({self.alignment}) = {{\n"
            f"    {array_body(array) if self.data else '0'}\n}};"
        )

    def laid_out(self, value: SSAValue, layout: Layout) -> str:
        """The flash array of constant `value` in the form `layout`: the
        constant's own array when it was emitted in that form, else a copy
        made once."""
        if self.const_layouts.get(value) == layout:
            return self.values.consts[value]
        key = (value, layout.key)
        if key not in self.layout_copies:
            ident = f"{self.values.consts[value]}_{len(self.layout_copies)}"
            self.layout_copies[key] = ident
            t = tiny.buffer_type(value)
            array = layout.transform(const_data(value))
            comment = f"{self.values.name(value)}: {dims(t.shape)} {t.element_type}, {layout.comment}"
            self._array(ident, t, array, comment)
        return self.layout_copies[key]

    def table(self, ident: str, c_type_name: str, values: np.ndarray, comment: str | None = None) -> str:
        """A const parameter table in flash; returns its name."""
        self.rodata.append(("tables", ident, values.nbytes, 4))
        if comment:
            self.globals.append(f"/* {comment} */")
        self.globals.append(
            f"static const {c_type_name} {ident}[{values.size}] TINYIR_FLASH(4) = {{\n    {array_body(values) if self.data else '0'}\n}};"
        )
        return ident

    # -- the files ------------------------------------------------------------

    def emit(self) -> dict[str, str]:
        step = 0
        for op in self.function.body.block.ops:
            if isinstance(op, tiny.TileLoopOp):
                step = self.emit_loop(op, step)
            elif isinstance(op, tiny.ComputeOp):
                step += 1
                self.emit_op(op, step)
        return {f"{self.name}.h": self.header(), f"{self.name}.c": self.source()}

    def signature(self) -> str:
        """The copying entry point: inputs copied into the arena, outputs out of it."""
        params = ["uint8_t *arena"] if self.external_arena else []
        ins = self.function.body.block.args
        for i, arg in enumerate(ins):
            params.append(f"const {c_type(tiny.buffer_type(arg))} *{io_name('input', i, len(ins))}")
        outs = outputs(self.function)
        for i, value in enumerate(outs):
            params.append(f"{c_type(tiny.buffer_type(value))} *{io_name('output', i, len(outs))}")
        return f"int tinyir_{self.name}_invoke({', '.join(params)})"

    def arena_param(self) -> str:
        return "uint8_t *arena" if self.external_arena else "void"

    @property
    def stream(self) -> tiny.BufferType | None:
        """The type of the streamed input, if one is."""
        args = self.function.body.block.args
        return next((tiny.buffer_type(a) for a, s in zip(args, self.streamed) if s), None)

    def in_place_signature(self) -> str:
        """The zero-copy entry point: runs on the inputs where they lie in the
        arena; a streamed one on the rows the caller's callback gives."""
        if self.stream is None:
            return f"int tinyir_{self.name}_invoke_in_place({self.arena_param()})"
        params = ["uint8_t *arena"] if self.external_arena else []
        params += [f"{streams.callback_type(self.name)} {streams.READ_ROWS}", f"void *{streams.CTX}"]
        return f"int tinyir_{self.name}_invoke_streamed({', '.join(params)})"

    def io_accessors(self, arena: str = "arena") -> list[tuple[str, str, str]]:
        """(prototype, C expression of its pointer, comment) of the function
        giving each input's and output's place: in the arena (`arena`, its C
        name), or for an output that is a constant, in flash."""
        found = []
        ins, outs = list(self.function.body.block.args), outputs(self.function)
        for kind, values in (("input", ins), ("output", outs)):
            for i, v in enumerate(values):
                if kind == "input" and self.streamed[i]:
                    continue  # in no place: its rows come from read_rows
                t, name = tiny.buffer_type(v), io_name(kind, i, len(values))
                const = "const " if kind == "output" else ""
                where = self.values.consts.get(v) or f"{arena} + {self.values.offsets[v]}"
                prototype = f"{const}{c_type(t)} *tinyir_{self.name}_{name}({self.arena_param()})"
                found.append((prototype, f"({const}{c_type(t)} *)({where})", f"{kind} {i} {self.values.name(v)}"))
        return found

    def io_macros(self, upper: str) -> list[str]:
        """Per input and output: its elements and bytes, shape, layout, C type
        and (per tensor) quantization, as macros."""
        lines = []
        for kind, values in (("INPUT", list(self.function.body.block.args)), ("OUTPUT", outputs(self.function))):
            for i, v in enumerate(values):
                t, q, p = tiny.buffer_type(v), tiny.buffer_type(v).quant, f"TINYIR_{upper}_{kind}{i}"
                qtext = f", scale {quantization_text(q)}" if q is not None else ""
                lines.append(f"/* {kind.lower()} {i}: {dims(t.shape)} {t.element_type}{qtext} */")
                lines.append(f"#define {p}_SIZE {t.num_elements}")
                lines.append(f"#define {p}_BYTES {t.nbytes}")
                lines.append(f"#define {p}_DIMS {{{', '.join(map(str, t.shape))}}}")
                lines.append(f"#define {p}_RANK {len(t.shape)}")
                if len(t.shape) == 4:
                    lines.append(f'#define {p}_LAYOUT "NHWC"')
                lines.append(f"#define {p}_TYPE {c_type(t)}")
                if q is not None and not q.is_per_channel:
                    lines.append(f"#define {p}_SCALE {tiny.format_scale(q.scale[0])}f")
                    lines.append(f"#define {p}_ZERO_POINT {q.zp}")
                if kind == "INPUT" and self.streamed[i]:
                    lines.append(f"#define {p}_STREAMED 1 /* rows from read_rows: not in the arena */")
                    lines.append(f"#define {p}_ROWS {t.shape[1]}")
                    lines.append(f"#define {p}_ROW_SIZE {streams.row_size(t)}")
        return lines

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
            f"/* SRAM: one arena of {self.arena_size} bytes (target {self.target_cpu()}): the model's",
            f"   inputs{' (but a streamed one)' if self.stream is not None else ''}, outputs, activations and scratch all live in it. */",
            f"#define TINYIR_{upper}_ARENA_SIZE {self.arena_size}",
            f"#define TINYIR_{upper}_ARENA_ALIGNMENT {self.alignment}",
            *self.io_macros(upper),
            "",
            *(self.zero_copy_doc() if self.stream is None else self.stream_doc(upper)),
            *(f"{prototype};  /* {comment} */" for prototype, _, comment in self.io_accessors()),
            "",
            "/* Runs the model: 0 on success, else the number (from 1) of the op whose",
            "   kernel refused its arguments" + (" or whose read_rows failed." if self.stream is not None else ".")
            + (
                f" `arena`: TINYIR_{upper}_ARENA_SIZE bytes aligned to TINYIR_{upper}_ARENA_ALIGNMENT."
                if self.external_arena
                else ""
            )
            + " */",
            f"{self.in_place_signature()};",
            "",
            "/* The same, for convenience, copying: the inputs into the arena first (a streamed",
            "   one row by row), the outputs out of it after (the caller's buffers cost RAM",
            "   beside the arena). */",
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

    @staticmethod
    def zero_copy_doc() -> list[str]:
        return [
            "/* Zero copy (RAM = the arena): write each input where its function points,",
            "   call invoke_in_place, read each output where its function points. The",
            "   pointers stay valid; an output is overwritten by the next invoke, an input",
            "   by the run itself (layers may write over an input they have read). */",
        ]

    def stream_doc(self, upper: str) -> list[str]:
        return [
            "/* Streamed input (RAM = the arena; the input is never whole in it): invoke_streamed",
            "   calls read_rows(ctx, first_row, n_rows, dst) for the rows it needs next, in order:",
            f"   write n_rows rows of TINYIR_{upper}_INPUT0_ROW_SIZE elements from row first_row",
            "   to dst and return 0 (else the run stops). Read each output where its function points. */",
            streams.callback_typedef(self.name, self.stream),
        ]

    def family(self):
        """The CMSIS-NN build (tinyir.analysis.target.Family) the module was allocated for; None: unknown."""
        cpu = recorded_cpu(self.module)
        return None if cpu is None else family_of(cpu)

    def build_guard(self) -> list[str]:
        """An #error when CMSIS-NN is built for a CPU family whose kernels need
        more scratch than the arena holds (the allocation's family, see
        tinyir.analysis.scratch). The pure C build (no ARM_MATH_DSP / ARM_MATH_MVEI, as
        on a host) needs the least, so it accepts every allocation."""
        cpu, family = self.target_cpu(), self.family()
        if family is None:
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
            f'sizes (compile the model with --mcpu=<that CPU>)"',
            "#endif",
            "",
        ]

    def target_cpu(self) -> str:
        """The CPU the arena was planned for ("unknown" in a module allocated by hand without one)."""
        return recorded_cpu(self.module) or "unknown"

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
            '#include "tinyir_tiles.h"',
            "",
            "#if defined(__GNUC__) || defined(__clang__)",
            "#define TINYIR_ALIGN(n) __attribute__((aligned(n)))",
            "#define TINYIR_SECTION(s) __attribute__((section(s)))",
            "#else",
            "#define TINYIR_ALIGN(n)",
            "#define TINYIR_SECTION(s)",
            "#endif",
            "/* Where the weights and tables (TINYIR_WEIGHTS_SECTION) and the arena",
            "   (TINYIR_ARENA_SECTION) go: a section name of the linker script, else",
            "   the compiler's .rodata and .bss. */",
            "#ifdef TINYIR_WEIGHTS_SECTION",
            "#define TINYIR_FLASH(n) TINYIR_ALIGN(n) TINYIR_SECTION(TINYIR_WEIGHTS_SECTION)",
            "#else",
            "#define TINYIR_FLASH(n) TINYIR_ALIGN(n)",
            "#endif",
            "#ifdef TINYIR_ARENA_SECTION",
            "#define TINYIR_SRAM(n) TINYIR_ALIGN(n) TINYIR_SECTION(TINYIR_ARENA_SECTION)",
            "#else",
            "#define TINYIR_SRAM(n) TINYIR_ALIGN(n)",
            "#endif",
            "",
            "/* Where op n begins: nothing, unless built with TINYIR_PROFILE, which calls",
            "   tinyir_op_mark() there (the harness's; QEMU's plugin counts from mark to mark). */",
            "#ifdef TINYIR_PROFILE",
            "void tinyir_op_mark(void);",
            "#define TINYIR_OP_BEGIN(n) tinyir_op_mark()",
            "#else",
            "#define TINYIR_OP_BEGIN(n) ((void)0)",
            "#endif",
            "",
        ]
        lines += self.build_guard()
        if not self.external_arena:
            lines += [
                "/* The SRAM arena: every activation, input, output and scratch buffer at its offset. */",
                f"static uint8_t tinyir_{self.name}_arena[TINYIR_{upper}_ARENA_SIZE > 0 ? TINYIR_{upper}_ARENA_SIZE : 1] "
                f"TINYIR_SRAM({self.alignment});",
                "",
            ]
        lines += ["/* Flash: weights, biases and requantization parameters. */", *self.globals, ""]
        run = f"tinyir_{self.name}_run"
        arena = "arena" if self.external_arena else f"tinyir_{self.name}_arena"
        stream = self.stream
        params, args = "uint8_t *arena", arena
        if stream is not None:
            params += f", {streams.callback_type(self.name)} {streams.READ_ROWS}, void *{streams.CTX}"
        lines += [f"static int {run}({params})", "{", "    (void)arena; /* a model of views alone runs nothing */",
                  *self.body, "    return 0;", "}", ""]  # fmt: skip
        for prototype, pointer, _ in self.io_accessors(arena):
            lines += [prototype, "{", f"    return {pointer};", "}", ""]
        if stream is not None:
            args += f", {streams.READ_ROWS}, {streams.CTX}"
        lines += [self.in_place_signature(), "{", f"    return {run}({args});", "}", ""]
        copy_args = arena
        if stream is not None:
            source_lines, source = streams.copy_source(self.name, stream)
            lines += source_lines
            copy_args += f", tinyir_{self.name}_rows_of, &source"
        lines += [self.signature(), "{"]
        ins = self.function.body.block.args
        for i, arg in enumerate(ins):
            t = tiny.buffer_type(arg)
            if self.streamed[i]:
                lines.append(f"    struct {source} source = {{{io_name('input', i, len(ins))}}};")
                continue
            lines.append(
                f"    memcpy({arena} + {self.values.offsets[arg]}, {io_name('input', i, len(ins))}, "
                f"{t.nbytes}); /* input {i} {self.values.name(arg)}: {dims(t.shape)} {t.element_type} */"
            )
        lines.append(f"    const int status = {run}({copy_args});")
        lines.append("    if (status != 0)")
        lines.append("        return status;")
        outs = outputs(self.function)
        for i, value in enumerate(outs):
            t = tiny.buffer_type(value)
            src = self.values.consts.get(value) or f"{arena} + {self.values.offsets[value]}"
            lines.append(
                f"    memcpy({io_name('output', i, len(outs))}, {src}, {t.nbytes}); "
                f"/* output {i} {self.values.name(value)}: {dims(t.shape)} {t.element_type} */"
            )
        lines += ["    return 0;", "}", ""]
        return "\n".join(lines)

    # -- ops ----------------------------------------------------------------

    def emit_loop(self, loop: tiny.TileLoopOp, step: int) -> int:
        """A tile loop: a C loop over the tiles around its body's calls
        (numbered on from `step`); returns the last op's number."""
        ops = [op for op in loop.body.block.ops if isinstance(op, tiny.ComputeOp)]
        outer = self.indent
        self.body.append("")
        if loop.by_rows:
            for op in ops:
                if tiny.row_map(op) is None or type(op) not in self.kernels:
                    raise TinyIRError(f"C backend: no kernel for {op.name} in a row loop")
            tables, bands, sizes = row_loops.row_bands(loop, step + 1)
            self.globals.extend(tables)
            self.rodata += [("tables", name, size, align) for name, size, align in sizes]
            self.bands.update(bands)
            what = (
                " of rows: at tile t each op below computes its band of rows (op<n>_band[t]), "
                "its line buffer keeping the rows later tiles read"
            )
        else:
            what = ": the ops below run once per tile t, on one window of channels"
        self.body.append(f"{outer}/* {step + 1}..{step + len(ops)}: tiny.tile_loop, {loop.tiles} tiles{what} */")
        self.body.append(f"{outer}for (int32_t t = 0; t < {loop.tiles}; ++t)")
        self.body.append(f"{outer}{{")
        first = len(self.body)
        self.indent = outer + INDENT
        try:
            for op in ops:
                step += 1
                self.emit_op(op, step)
        finally:
            self.indent = outer
        if self.body[first:first + 1] == [""]:  # no blank line after the brace
            del self.body[first]
        self.body.append(f"{outer}}}")
        return step

    def emit_op(self, op: tiny.ComputeOp, step: int) -> None:
        kernel = self.kernels.get(type(op))
        if kernel is None:
            raise TinyIRError(f"C backend: no kernel for {op.name}")
        v = self.values
        band = self.bands.get(op)

        def describe(value: SSAValue, shape) -> str:
            return f"{v.name(value)} {row_loops.describe(op, value) if band else dims(shape)}"

        # the activations read (weights and biases show in the detail)
        ins = ", ".join(describe(x, tiny.buffer_type(x).shape) for x in op.ins if x not in v.consts)
        ins = ins or "(constants)"
        out = describe(op.out, op.out_type.shape)
        call, detail = kernel(self, op, f"op{step}")
        if band is not None:
            call, detail = self.in_band(op, band, call), f", by rows{detail}"
        self.body.append("")
        self.body.append(f"{self.indent}/* {step}: {op.name} {ins} -> {out}{self.tile_detail(op)}{detail} */")
        self.body.append(f"{self.indent}TINYIR_OP_BEGIN({step});")
        self.body.extend(self.indent + line for line in call)

    def in_band(self, op: tiny.ComputeOp, band: row_loops.RowBand, call: list[str]) -> list[str]:
        """An op's call in a row loop: the shift of its line buffer first,
        the call only at tiles where it has a band."""
        lines = []
        if band.shift_rows is not None:
            row = self.row_bytes(op.out)
            out = f"arena + {self.values.offsets[op.out]}"
            lines.append(
                f"memmove({out}, {out} + {row_loops.times(band.shift_from, row)}, "
                f"{row_loops.times(band.shift_rows, row)}); /* the rows {self.values.name(op.out)} keeps */"
            )
        if band.always:
            return lines + call
        return [*lines, f"if ({band.rows} > 0)", *(call if call[:1] == ["{"] else block(call))]

    def tile_detail(self, op: tiny.ComputeOp) -> str:
        """Which tile an op in a tile loop computes, for its comment."""
        if op.tile is None:
            return ""
        if isinstance(op, tiny.TileCopyOp):
            whole, part = op.whole_and_part()
            axis = op.axis.value.data
            c, tiles = part.shape[axis], op.tile_count
            what = "channels" if axis == len(whole.shape) - 1 else f"axis {axis}"
            return f", tile t of {tiles}: {what} [t*{c}, t*{c}+{c}) of {whole.shape[axis]}"
        assert isinstance(op, tiny.TiledOp)
        c, tiles = op.channel_window()
        window = f"tile t of {tiles}, channels [t*{c}, t*{c}+{c}) of {c * tiles}"
        if op.tile_mode == "out":
            return f", output {window}"
        acc = self.values.name(op.acc)
        return f", input {window}: partial sums in {acc} (i32), requantized at t = {tiles - 1}"

    # -- what op emitters share -----------------------------------------------

    def in_shape(self, op: tiny.ComputeOp, index: int) -> tuple[int | str, ...]:
        """The dims of input `index` the op's kernel reads: the tensor's, or
        in a row loop its band's (`in_rows` rows; an input read whole: all)."""
        shape = tuple(op.in_type(index).shape)
        band = self.bands.get(op)
        if band is None or band.in_at[index] is None:
            return shape
        return (shape[0], band.in_rows, *shape[2:])

    def out_shape(self, op: tiny.ComputeOp) -> tuple[int | str, ...]:
        """The dims of the output the op's kernel writes: the tensor's, or its band's."""
        shape = tuple(op.out_type.shape)
        band = self.bands.get(op)
        return shape if band is None else (shape[0], band.rows, *shape[2:])

    def elements(self, op: tiny.ComputeOp) -> str:
        """The number of output elements the op's kernel writes (of its band, in a row loop)."""
        y = op.out_type
        band = self.bands.get(op)
        return str(y.num_elements) if band is None else row_loops.times(band.rows, y.num_elements // y.shape[1])

    def pad_top(self, op: tiny.ComputeOp) -> int | str:
        """The padding rows above the input of a window op (of its band, in a row loop)."""
        band = self.bands.get(op)
        return op.ints("pad")[0] if band is None else band.pad_top

    def input(self, op: tiny.ComputeOp, index: int) -> str:
        """The pointer the op's kernel reads input `index` from (in a row loop: its band's first row)."""
        band = self.bands.get(op)
        return self._at_row(op.ins[index], True, None if band is None else band.in_at[index])

    def output(self, op: tiny.ComputeOp) -> str:
        """The pointer the op's kernel writes to (in a row loop: its band's first row)."""
        band = self.bands.get(op)
        return self._at_row(op.out, False, None if band is None else band.out_at)

    def row_bytes(self, value: SSAValue) -> int:
        """The bytes of one row of an NHWC buffer."""
        t = tiny.buffer_type(value)
        return t.nbytes // t.shape[1]

    def _at_row(self, value: SSAValue, const: bool, row: str | None) -> str:
        ptr = self.values.ptr(value, const)
        if row is None:
            return ptr
        t = tiny.buffer_type(value)
        offset = row_loops.times(row, t.num_elements // t.shape[1])  # elements: the pointer is typed
        return ptr if offset == "0" else f"{ptr} + {offset}"

    def ctx(self, op: tiny.ComputeOp) -> str:
        """The op's `cmsis_nn_context`: its scratch buffer, if any."""
        if op.scratch is None:
            return "const cmsis_nn_context ctx = {NULL, 0};"
        t = tiny.buffer_type(op.scratch)
        return f"const cmsis_nn_context ctx = {{arena + {self.values.offsets[op.scratch]}, {t.nbytes}}};"

    def bias(self, op: tiny.ComputeOp, step: str, channels: int) -> str:
        """The op's bias operand, or a table of zeros."""
        if len(op.ins) == 3:
            return self.values.ptr(op.ins[2], const=True)
        return self.table(f"{step}_bias", "int32_t", np.zeros(channels, np.int32), f"{step}: no bias")

    def at_tile(self, op: tiny.ComputeOp, expr: str, per_tile: int) -> str:
        """`expr + t * per_tile` for an op in a tile loop (`expr` when it has no tile)."""
        if op.tile is None:
            return expr
        return f"{expr} + t" if per_tile == 1 else f"{expr} + t * {per_tile}"

    def per_channel(self, step: str, mult, shift) -> tuple[str, str]:
        """Tables of per-channel multipliers and shifts: their names."""
        m = self.table(f"{step}_multiplier", "int32_t", np.asarray(mult, np.int32), f"{step}: requantization")
        s = self.table(f"{step}_shift", "int32_t", np.asarray(shift, np.int32))
        return m, s


def const_data(value: SSAValue) -> np.ndarray:
    """The array of a constant (a tiny.const, or a view of one)."""
    root = tiny.view_root(value)
    if not isinstance(root.owner, tiny.ConstOp):
        raise TinyIRError(f"C backend: %{value.name_hint or '?'} is not a constant")
    t = tiny.buffer_type(value)
    raw = np.frombuffer(root.owner.data, np.uint8)[: t.nbytes]  # a view reads the first bytes
    return raw.view(t.dtype.newbyteorder("<")).reshape(t.shape).astype(t.dtype.newbyteorder("="))


def tile_major(axis: int, tiles: int) -> Layout:
    """A constant with its `tiles` tiles along `axis` one after the other,
    each contiguous."""
    return Layout(
        ("tile-major", axis, tiles),
        lambda array: np.stack(np.split(array, tiles, axis=axis)),
        f"tile-major: {tiles} tiles of axis {axis}, each contiguous",
    )


def require_int8_input(op: tiny.ComputeOp) -> None:
    if op.in_type(0).dtype != np.int8:
        raise TinyIRError(f"C backend: {op.name} on {op.in_type(0).element_type} input (int8 only)")


def require_rank(op: tiny.ComputeOp, rank: int, limit: int = 6) -> int:
    """`rank`, if tinyir's kernel for `op` takes it."""
    if rank > limit:
        raise TinyIRError(f"C backend: {op.name} of rank {rank} (at most {limit})")
    return rank
