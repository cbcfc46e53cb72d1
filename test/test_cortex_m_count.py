"""Exact instruction counts in QEMU (backends/cortex_m/count.py).

The counter is checked on a loop whose instruction count is known: N times
`subs; bne` is 2N instructions, so two N differ by exactly twice their
difference, and three calls count three times one. Then a real model's
invoke, counted in the run that checks its outputs against the executor,
and per op in a profile build of a split model (every tile's call counted).
"""

import textwrap

import numpy as np
import pytest
from conftest import require_model

import tinyir
from tinyir.analysis.liveness import main_function
from tinyir.analysis.macs import module_macs
from tinyir.backends.c.emitter import run_order
from tinyir.backends.cmsis_nn_host.sources import host_runtime
from tinyir.backends.cortex_m import build as cortex_m
from tinyir.backends.cortex_m.count import call_span, count_call, count_invoke, per_op

pytestmark = pytest.mark.skipif(
    bool(cortex_m.missing_tools()),
    reason=f"{' and '.join(cortex_m.missing_tools())} not on PATH (scripts/setup.sh test installs them)",
)

LOOP_C = textwrap.dedent(
    r"""
    /* spin(n): n times `subs; bne`, then the return. */
    __attribute__((noinline)) void spin(unsigned n)
    {
        __asm volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n));
    }

    __attribute__((noipa)) void twice(void) { }

    int main(void)
    {
        for (volatile int i = 0; i < CALLS; i++)  /* volatile: one call site, not unrolled */
            spin(N);
        twice();
        twice();
        return 0;
    }
    """
)


def loop_elf(tmp_path, n: int, calls: int = 1, cpu: str = cortex_m.RUN_CPU):
    source = tmp_path / "loop.c"
    source.write_text(LOOP_C)
    elf = tmp_path / f"loop-{n}-{calls}-{cpu}.elf"
    return cortex_m.build([source], elf, cpu, defines=[f"N={n}", f"CALLS={calls}"])


@pytest.mark.parametrize("cpu", list(cortex_m.BOARDS))
def test_counts_a_loop_of_known_length_exactly(tmp_path, cpu):
    counts = {}
    for n in (1000, 123457):
        counted = count_call(loop_elf(tmp_path, n, cpu=cpu), "spin", cpu=cpu)
        assert counted.run.returncode == 0 and counted.calls == 1
        counts[n] = counted.instructions
    assert counts[123457] - counts[1000] == 2 * (123457 - 1000)
    overhead = counts[1000] - 2 * 1000
    assert 1 <= overhead <= 4  # the return, and whatever moves n into place
    three = count_call(loop_elf(tmp_path, 1000, calls=3, cpu=cpu), "spin", cpu=cpu)
    assert (three.calls, three.instructions) == (3, 3 * counts[1000])


def test_a_function_must_be_called_from_one_place(tmp_path):
    elf = loop_elf(tmp_path, 10)
    entry, after = call_span(elf, "spin")
    assert entry % 2 == 0 and after % 2 == 0 and entry != after
    with pytest.raises(ValueError, match="twice is called from 2 places"):
        call_span(elf, "twice")
    with pytest.raises(ValueError, match="no function nothing"):
        call_span(elf, "nothing")


@pytest.mark.parametrize("cpu", list(cortex_m.BOARDS))
def test_a_models_invoke_is_counted_in_its_bit_exact_run(tmp_path, cpu):
    """On every board: Cortex-M3 (mps2-an385), M4 (an386), M7 (an500), M55 (mps3-an547)."""
    path = require_model("mlperf_kws_dscnn_int8.tflite")
    module = tinyir.run_pipeline(tinyir.import_model(path, mcpu=cpu), "fuse,arena-alloc")
    xs = tinyir.random_inputs(module, seed=0)
    expected = b"".join(np.ascontiguousarray(y).tobytes() for y in tinyir.execute(module, xs))
    built = cortex_m.build_model(module, tmp_path, "kws", cmsis_nn=host_runtime())
    x = b"".join(np.ascontiguousarray(a).tobytes() for a in xs)
    first, again = count_invoke(built, x), count_invoke(built, x)
    assert first.run.returncode == 0, first.run.stderr.decode()
    assert first.run.outputs["out.bin"] == expected and first.calls == 1
    assert first.instructions == again.instructions  # QEMU is deterministic
    # Portable C does at most one multiply-accumulate per instruction, and the
    # harness's file I/O (thousands of instructions) is not in the count.
    assert module_macs(module) <= first.instructions < 40 * module_macs(module)


def test_a_profile_build_counts_each_op_of_a_split_model(tmp_path):
    path = require_model("mlperf_kws_dscnn_int8.tflite")
    # the least peak, whatever it costs: kws then splits by channels and by rows
    module = tinyir.run_pipeline(tinyir.import_model(path), "fuse,partial-exec{max-slowdown=0},reorder,arena-alloc")
    x = b"".join(np.ascontiguousarray(a).tobytes() for a in tinyir.random_inputs(module, seed=0))
    plain = count_invoke(cortex_m.build_model(module, tmp_path / "plain", "kws", cmsis_nn=host_runtime()), x)
    built = cortex_m.build_model(module, tmp_path / "profile", "kws", cmsis_nn=host_runtime(), profile=True)
    profiled = count_invoke(built, x)
    assert profiled.run.outputs["out.bin"] == plain.run.outputs["out.bin"]
    ops = per_op(module, profiled)
    order = run_order(main_function(module))
    assert [o.step for o in ops] == list(range(len({step for step, _ in order}) + 1))
    assert sum(o.calls for o in ops[1:]) == len(order) > len(ops)  # tile loops: one count per tile
    assert sum(o.instructions for o in ops) == profiled.instructions
    assert all(o.instructions > 0 for o in ops)
    # a mark costs a call and a return (and may move a register or two)
    assert 0 <= profiled.instructions - plain.instructions <= 6 * len(order)
    with pytest.raises(ValueError, match="not a profile build"):
        per_op(module, plain)
