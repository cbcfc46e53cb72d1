"""prune-channels: output channels of a layer removed, and the matching input
channels of everything reading them; kept channels compute exactly what they
did, on the executor and in C."""

from __future__ import annotations

import numpy as np
import pytest

import tinyir
from tinyir import api
from tinyir.passes.prune_channels import parse_prune_plan, prune_channels
from tinyir.testing.quantnet import QuantNet


def residual_model() -> bytes:
    """conv a -> depthwise b -> 1x1 conv c; ADD c + a (a residual: a and c
    are tied); concat with the input; average pool; flatten; fully connected."""
    net = QuantNet(seed=3)
    x = net.input("input", (1, 8, 8, 3))
    a = net.conv2d(x, 8, 3, name="a")
    b = net.depthwise_conv2d(a, 3, name="b")
    c = net.conv2d(b, 8, 1, name="c")
    s = net.add(c, a, name="s")
    j = net.concat([s, x], name="j")
    p = net.avg_pool(j, 2, stride=2, name="p")
    f = net.reshape(p, (1, 4 * 4 * 11), name="f")
    net.output(net.fully_connected(f, 5, name="fc"))
    return net.build("residual").data


def pruned(text: str):
    module = tinyir.run_pipeline(tinyir.import_model(residual_model()), "fuse")
    prune_channels(module, parse_prune_plan(text))
    return module


def outputs_by_name(module, inputs) -> dict[str, np.ndarray]:
    from tinyir.analysis.liveness import main_function
    from tinyir.analysis.names import value_names
    from tinyir.numerics.executor import execute

    names = value_names(main_function(module).body.block)
    seen: dict[str, np.ndarray] = {}
    execute(module, inputs, observer=lambda op, out: seen.__setitem__(names[op.out], np.array(out)))
    return seen


def test_kept_channels_compute_what_they_did():
    """Pruning %c prunes %a too (the residual ADD ties them) and with them %b,
    %s, the concat's first 8 channels, the pool; the fully connected layer
    loses the flattened columns. Kept channels of every tensor before the
    sums of %c and %fc equal the unpruned model's."""
    keep = [0, 2, 3, 6]
    whole = tinyir.run_pipeline(tinyir.import_model(residual_model()), "fuse")
    module = pruned("prune %c keep 0, 2..3, 6\n")
    for name, channels in (("a", 4), ("b", 4), ("c", 4), ("s", 4), ("j", 7), ("p", 7)):
        assert tiny_shape(module, name)[-1] == channels
    assert tiny_shape(module, "f") == (1, 4 * 4 * 7)
    inputs = tinyir.random_inputs(module, seed=2)
    before, after = outputs_by_name(whole, inputs), outputs_by_name(module, inputs)
    assert np.array_equal(after["a"], before["a"][..., keep])
    assert np.array_equal(after["b"], before["b"][..., keep])
    assert np.array_equal(after["j"][..., 4:], before["j"][..., 8:])  # the input's channels, kept whole
    assert not np.array_equal(after["c"], before["c"][..., keep])  # %c's sums lost the pruned channels of %b
    assert after["fc"].shape == before["fc"].shape


def tiny_shape(module, name: str) -> tuple[int, ...]:
    from tinyir.analysis.liveness import main_function
    from tinyir.analysis.names import value_names

    names = value_names(main_function(module).body.block)
    return next(tuple(v.type.shape) for v, n in names.items() if n == name)


def test_a_pruned_model_runs_the_same_on_the_executor_in_c_and_split():
    module = pruned("prune %a drop 1, 5..7\n")
    inputs = tinyir.random_inputs(module, seed=4)
    expected = tinyir.execute(module, inputs)[0]
    allocated = tinyir.run_pipeline(module.clone(), "partial-exec{max-slowdown=0},reorder,arena-alloc")
    assert np.array_equal(tinyir.execute(allocated, inputs)[0], expected)
    assert np.array_equal(api.execute_c(allocated, inputs)[0], expected)


def test_pruning_lowers_the_arena():
    def arena(module) -> int:
        return tinyir.memory_report(tinyir.run_pipeline(module, "arena-alloc"))["arena_bytes"]

    whole = tinyir.run_pipeline(tinyir.import_model(residual_model()), "fuse")
    assert arena(pruned("prune %c keep 0..1\n")) < arena(whole)


@pytest.mark.parametrize("text, message", [
    ("prune %nope keep 0\n", "1:7: no op writes %nope"),
    ("prune %s keep 0\n", "pruning %s: tiny.add is not a convolution"),
    ("prune %a keep 9\n", "channel 9 is out of range: the layer has 8 output channels"),
    ("prune %a drop 0..7\n", "it would keep no channel"),
    ("prune %fc keep 0\n", "it would remove channels of the model output %fc"),
    ("prune %a keep 0..3\nprune %c keep 4..7\n", r"%\w would keep channels 0..3 and 4..7"),
    ("prune %a keep 3..1\n", "empty range 3..1"),
    ("prune %a keep\n", "unexpected end of plan"),
])  # fmt: skip
def test_plans_that_cannot_be_done_are_one_line_errors(text, message):
    with pytest.raises(tinyir.TinyIRError, match=message):
        pruned(text)


def test_the_pass_from_the_command_line(tmp_path):
    model, plan = tmp_path / "m.tflite", tmp_path / "plan.txt"
    model.write_bytes(residual_model())
    plan.write_text("# a quarter of %a's channels\nprune %a drop 0, 4\n")
    module = api.run_pipeline(api.import_model(str(model)), f'fuse,prune-channels{{plan="{plan}"}},arena-alloc')
    assert tiny_shape(module, "a")[-1] == 6
