"""Exact neural-network arithmetic, written out as a step-by-step derivation.

Build a network from exact values, train it, and render the solution:

>>> import derivation as dv
>>> net = dv.Network([
...     dv.Layer([[1], [1]], ["-0.5", "-0.5"], "relu"),
...     dv.Layer([[1, 1]], ["-0.5"], "identity"),
... ])
>>> trace = dv.train(net, x=[4], y=[1], learning_rate="0.01", steps=1)
>>> trace.steps[0].loss
121/8
>>> trace.final_network.layers[0].W.T
Matrix([[39/50, 39/50]])
>>> dv.render_latex(trace).splitlines()[0]
'\\\\documentclass[11pt]{article}'

The renderers live in :mod:`derivation.render`; they are imported on first
use so that loading the engine stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .activations import Activation, get_activation
from .answers import (
    AnswerFileError,
    AnswerSheet,
    answer_template,
    parse_answers,
    read_answers,
)
from .bundled import example_names, example_text
from .check import Report, check_answers
from .engine import forward, gradient_step, solve, train
from .errors import DerivationError, NumberError, SpecError
from .losses import Loss, get_loss
from .network import Layer, Network
from .numbers import latex_number, parse_number, to_exact
from .spec import Spec, load_spec, parse_spec
from .tolerance import Tolerance
from .trace import LayerStep, Step, Trace

if TYPE_CHECKING:
    from .audit import audit_file
    from .exercise import Exercise, answer_key, load_exercise, parse_exercise
    from .render import Notation, render_json, render_latex
    from .variants import (
        VariantsError,
        VariantSet,
        load_variants,
        parse_variants,
        variant_files,
        write_variant_files,
    )

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "AnswerFileError",
    "AnswerSheet",
    "DerivationError",
    "Exercise",
    "Layer",
    "LayerStep",
    "Loss",
    "Network",
    "Notation",
    "NumberError",
    "Report",
    "Spec",
    "SpecError",
    "Step",
    "Tolerance",
    "Trace",
    "VariantSet",
    "VariantsError",
    "answer_key",
    "answer_template",
    "audit_file",
    "check_answers",
    "example_names",
    "example_text",
    "forward",
    "get_activation",
    "get_loss",
    "gradient_step",
    "latex_number",
    "load_exercise",
    "load_spec",
    "load_variants",
    "parse_answers",
    "parse_exercise",
    "parse_number",
    "parse_spec",
    "parse_variants",
    "read_answers",
    "render_json",
    "render_latex",
    "solve",
    "to_exact",
    "train",
    "variant_files",
    "write_variant_files",
]

# Names whose modules are imported on first use, so that `import derivation`
# and `derivation solve` do not pay for the renderers, the auditor or the
# variant generator.
_LAZY_NAMES = {
    "Notation": "render",
    "render_json": "render",
    "render_latex": "render",
    "audit_file": "audit",
    "Exercise": "exercise",
    "answer_key": "exercise",
    "load_exercise": "exercise",
    "parse_exercise": "exercise",
    "VariantsError": "variants",
    "VariantSet": "variants",
    "load_variants": "variants",
    "parse_variants": "variants",
    "variant_files": "variants",
    "write_variant_files": "variants",
}


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is not None:
        from importlib import import_module

        return getattr(import_module(f".{module}", __name__), name)
    raise AttributeError(f"module 'derivation' has no attribute {name!r}")
