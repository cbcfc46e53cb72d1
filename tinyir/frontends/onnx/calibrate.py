"""`--quantize`: a float ONNX model made int8 by onnxruntime's static
quantizer, from calibration data the user gives.

    tinyir-opt model.onnx --quantize calib.npz       # then imported as any QDQ model
    tinyir.import_model("model.onnx", quantize="calib.npz")

The result is a QDQ model (int8 activations, per-channel symmetric int8
weights, MinMax calibration) that the frontend lowers to the same int8 ops as
a TFLite model. Calibration data is in the ONNX model's own layout (NCHW for
a PyTorch export), one batch-1 sample at a time:

* `.npy`: one array for a one-input model, [N, *input shape] (N samples,
  the input's batch dimension of 1 dropped or kept) or the input shape (1 sample);
* `.npz`: one such array per input, named as the input (or arr_0, arr_1, ...
  in input order); all with the same N;
* `random`: N(0, 1) noise. The scales then fit noise, not real inputs: only
  for trying the tools, and it says so loudly on stderr.

onnxruntime is an optional dependency (`pip install tinyir[onnx-quantize]`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tinyir.errors import TinyIRError

RANDOM = "random"
RANDOM_SAMPLES = 8
RANDOM_WARNING = (
    "warning: --quantize=random calibrates on random noise: the int8 scales fit noise, not real "
    "inputs, and accuracy will be poor; give real samples (.npy/.npz) for a model you deploy"
)

Calibration = str | os.PathLike | np.ndarray | Mapping[str, np.ndarray] | Sequence[Mapping[str, np.ndarray]]


def model_inputs(model) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    """(name, shape, dtype) of a model's inputs that are not initializers;
    a dimension without a size (the batch) counts as 1."""
    from onnx import helper

    inits = {t.name for t in model.graph.initializer}
    specs = []
    for v in model.graph.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        shape = tuple(d.dim_value if d.dim_value > 0 else 1 for d in t.shape.dim)
        specs.append((v.name, shape, np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type))))
    return specs


def _samples(array: np.ndarray, name: str, shape: tuple[int, ...], what: str) -> list[np.ndarray]:
    """[N, *shape] (or [N, *shape without its batch 1], or one sample) as N arrays of `shape`."""
    array = np.asarray(array)
    if array.shape == shape:
        return [array.astype(np.float32)]
    per_sample = shape[1:] if shape and shape[0] == 1 else shape
    if array.shape[1:] == shape or array.shape[1:] == per_sample:
        return [a.reshape(shape).astype(np.float32) for a in array]
    raise TinyIRError(
        f"{what}: calibration data for input '{name}' has shape {list(array.shape)}; expected "
        f"[N, {', '.join(map(str, shape))}] (N samples in the ONNX model's layout)"
    )


def calibration_feeds(calibration: Calibration, specs) -> list[dict[str, np.ndarray]]:
    """The calibration samples as onnxruntime feeds, one dict per sample."""
    if isinstance(calibration, str) and calibration == RANDOM:
        print(RANDOM_WARNING, file=sys.stderr)
        rng = np.random.default_rng(0)
        return [{n: rng.standard_normal(s).astype(np.float32) for n, s, _ in specs} for _ in range(RANDOM_SAMPLES)]
    what = "calibration data"
    if isinstance(calibration, (str, os.PathLike)):
        path, what = Path(calibration), str(calibration)
        if path.suffix not in (".npy", ".npz"):
            raise TinyIRError(f"--quantize {calibration}: give a .npy or .npz file of samples, or 'random'")
        try:
            loaded = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise TinyIRError(f"cannot read calibration data {calibration}: {e}") from None
        calibration = dict(loaded) if path.suffix == ".npz" else loaded
    if isinstance(calibration, np.ndarray):
        if len(specs) != 1:
            raise TinyIRError(f"{what}: the model has {len(specs)} inputs: give an .npz with one array per input")
        calibration = {specs[0][0]: calibration}
    if isinstance(calibration, Mapping):
        per_input = []
        for i, (name, shape, _) in enumerate(specs):
            array = calibration.get(name, calibration.get(f"arr_{i}"))
            if array is None:
                raise TinyIRError(f"{what}: no calibration data for input '{name}' (nor arr_{i})")
            per_input.append(_samples(array, name, shape, what))
        counts = {len(s) for s in per_input}
        if len(counts) != 1:
            raise TinyIRError(f"{what}: the inputs have different numbers of samples {sorted(counts)}")
        return [{name: s[j] for (name, _, _), s in zip(specs, per_input)} for j in range(counts.pop())]
    return [{name: np.asarray(sample[name], np.float32).reshape(shape) for name, shape, _ in specs}
            for sample in calibration]


def quantize_onnx(data: bytes, calibration: Calibration, *, base_dir: str | os.PathLike | None = None,
                  quant_format: str = "QDQ", per_channel: bool = True) -> bytes:
    """The int8 model onnxruntime's static quantizer makes of a float model
    (`base_dir`: where its external data files are; `quant_format`: QDQ, or
    QOperator for QLinearConv & co.)."""
    try:
        import onnx
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError:
        raise TinyIRError("--quantize needs onnxruntime: pip install 'tinyir[onnx-quantize]'") from None
    from tinyir.frontends.onnx.graph import load_model

    model = load_model(data, base_dir)
    specs = model_inputs(model)
    if not specs or any(dtype != np.float32 for _, _, dtype in specs):
        raise TinyIRError("--quantize needs a float model (float32 inputs)")
    if any(n.op_type in ("QuantizeLinear", "DequantizeLinear") or n.op_type.startswith("QLinear")
           for n in model.graph.node):
        raise TinyIRError("--quantize needs a float model: this one is quantized already")
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < 13:  # per-channel QDQ needs DequantizeLinear's axis (opset 13)
        from onnx import version_converter

        try:
            model = version_converter.convert_version(model, 13)
        except Exception:  # the converter cannot take every model: quantize per tensor
            per_channel = False
    feeds = calibration_feeds(calibration, specs)
    if not feeds:
        raise TinyIRError("the calibration data holds no samples")

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter(feeds)

        def get_next(self):
            return next(self.samples, None)

    with tempfile.TemporaryDirectory(prefix="tinyir-quantize-") as tmp:
        source, prepared, output = (Path(tmp) / n for n in ("float.onnx", "prepared.onnx", "int8.onnx"))
        for name, shape, _ in specs:  # a symbolic batch dimension: fixed to 1
            v = next(v for v in model.graph.input if v.name == name)
            for d, size in zip(v.type.tensor_type.shape.dim, shape):
                if not d.dim_value:
                    d.dim_value = size
        onnx.save(model, source)
        try:
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        except Exception:  # the pre-processing only helps; quantize the model as it is
            prepared = source
        try:
            quantize_static(
                str(prepared), str(output), Reader(), quant_format=QuantFormat[quant_format], per_channel=per_channel,
                activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
            )
        except Exception as e:  # onnxruntime raises anything on a model it cannot calibrate
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise TinyIRError(f"onnxruntime's quantizer failed: {reason}") from None
        return output.read_bytes()
