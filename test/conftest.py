"""Shared fixtures: the real models in ../shared/models (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODELS = Path(os.environ.get("TINYIR_MODELS", REPO.parent / "shared" / "models"))


def pytest_addoption(parser):
    parser.addoption(
        "--exhaustive",
        action="store_true",
        help="run the sweeps in full: every shared model built for every Cortex-M CPU (by default each "
        "CPU builds a share of the models, and every model is built for at least one CPU)",
    )


def exhaustive(config) -> bool:
    return config.getoption("--exhaustive")


def cpu_share(path: Path, cpus: list[str]) -> str:
    """The CPU a shared model is built for in a default run: the models take
    the CPUs in turn, so every CPU builds some real models."""
    names = [p.name for p in shared_models()]
    return cpus[names.index(path.name) % len(cpus)]


def shared_models() -> list[Path]:
    """The shared .tflite models, or [] when ../shared/models is absent."""
    return sorted(MODELS.glob("*.tflite")) if MODELS.is_dir() else []


def model_params():
    """pytest parameters over the shared models; one skipped entry when absent."""
    models = shared_models()
    if not models:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no shared models at {MODELS}"))]
    return [pytest.param(p, id=p.stem) for p in models]


def baselines() -> dict[str, dict[str, str]]:
    """The rows of ../shared/models/BASELINES.tsv by file name ({} when absent)."""
    import csv

    path = MODELS / "BASELINES.tsv"
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


def require_model(name: str) -> Path:
    path = MODELS / name
    if not path.is_file():
        pytest.skip(f"shared model {name} not found in {MODELS}")
    return path


def input_sets(module, count: int = 2) -> list[list]:
    """Inputs to compare on: uniform over the integer range (what tinyir-run
    uses) and narrower normal noise, which saturates deep models less."""
    import numpy as np

    import tinyir

    sets = [tinyir.random_inputs(module, seed=s) for s in range(count)]
    for seed in range(count):
        rng = np.random.default_rng(100 + seed)
        narrow = []
        for x in tinyir.random_inputs(module, seed=seed):
            if x.dtype.kind == "i":
                info = np.iinfo(x.dtype)
                x = np.clip(np.rint(rng.normal(0, 32, x.shape)), info.min, info.max).astype(x.dtype)
            narrow.append(x)
        sets.append(narrow)
    return sets
