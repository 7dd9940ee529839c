"""Rich display in Jupyter: networks, traces and single steps as Markdown math.

Jupyter calls ``_repr_markdown_`` on the value of a cell and renders the
returned Markdown, with ``$$`` math through MathJax (JupyterLab, Notebook)
or KaTeX (VS Code). The display methods of :class:`~derivation.network.Network`,
:class:`~derivation.trace.Trace` and :class:`~derivation.trace.Step` import
this module on first use, so the core modules carry no rendering code.

>>> from derivation.engine import train
>>> from derivation.network import Layer, Network
>>> trace = train(Network([Layer([[2]], [0], "identity")]), [1], [3],
...               learning_rate="0.5", steps=2)
>>> text = render_step_markdown(trace, 2)
>>> text.splitlines()[0]
'# Step 2'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import DerivationError
from ..network import Network
from ..trace import Step, Trace
from .document import Block, Detail, Document, Equations, Heading, paragraph
from .markdown import markdown_document, render_markdown
from .notation import Notation
from .number_format import NumberFormat
from .tex import matrix, number
from .writer import _Writer

# A trace with more steps than this displays at the "answers" level of
# detail, so that displaying a long run does not write every equation.
MAX_FULL_DISPLAY_STEPS = 5


@dataclass(frozen=True)
class MarkdownView:
    """Rendered Markdown that a notebook displays as formatted text and math.

    ``str()`` returns the Markdown source.
    """

    markdown: str

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __str__(self) -> str:
        return self.markdown


def render_step_markdown(
    trace: Trace,
    step_number: int,
    *,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
) -> str:
    """Write the derivation of one step of ``trace`` alone, as Markdown.

    The step is written as in :func:`~derivation.render.markdown.render_markdown`:
    forward pass, loss, backward pass, update and summary, at the level of
    ``detail`` (``"answers"`` writes the loss and the summary tables).

    Raises
    ------
    DerivationError
        If ``step_number`` is not the number of a step in ``trace``.
    """
    step = _find_step(trace, step_number)
    writer = _Writer(trace, notation or Notation(), numbers or NumberFormat(), detail)
    if writer.detail.level == "answers":
        blocks: list[Block] = [Heading(1, f"Step {step.number}")]
        blocks += [*writer.loss(step), *writer.summary(step)]
    else:
        blocks = list(writer.step(step))
    return markdown_document(Document(None, tuple(blocks), 0))


def _find_step(trace: Trace, step_number: int) -> Step:
    count = len(trace.steps)
    if isinstance(step_number, int) and not isinstance(step_number, bool):
        if 1 <= step_number <= count:
            return trace.steps[step_number - 1]
    raise DerivationError(
        f"step: expected a step number from 1 to {count}, found {step_number!r}"
    )


def show_trace(
    trace: Trace,
    step: int | None = None,
    *,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
) -> MarkdownView:
    """Render the whole derivation of ``trace``, or one ``step`` of it, for display.

    Raises
    ------
    DerivationError
        If ``step`` is not the number of a step in ``trace``.
    """
    if step is None:
        text = render_markdown(trace, notation=notation, numbers=numbers, detail=detail)
    else:
        text = render_step_markdown(
            trace, step, notation=notation, numbers=numbers, detail=detail
        )
    return MarkdownView(text)


def trace_markdown(trace: Trace) -> str:
    """Write ``trace`` for display: every equation, unless the run is long.

    A trace of more than :data:`MAX_FULL_DISPLAY_STEPS` steps is written at
    the ``"answers"`` level, with a sentence on how to show one step.
    """
    if len(trace.steps) <= MAX_FULL_DISPLAY_STEPS:
        return render_markdown(trace)
    note = markdown_document(
        Document(
            None,
            (
                paragraph(
                    f"This trace has {len(trace.steps)} steps, so only the loss "
                    "and the summary tables of each step are shown. "
                    "trace.show(step=n) shows step n in full."
                ),
            ),
            0,
        )
    )
    return note + "\n" + render_markdown(trace, detail=Detail(level="answers"))


def network_markdown(network: Network, notation: Notation | None = None) -> str:
    """Write the layers of ``network``: widths, then each layer's W, b and f."""
    n = notation or Notation()
    widths = "\u2013".join(str(width) for width in network.widths)
    blocks: list[Block] = [paragraph(f"A network with layer widths {widths}:")]
    rows = tuple(_layer_rows(network, n))
    blocks.append(Equations(rows, 0.0))
    return markdown_document(Document(None, tuple(blocks), 0))


def _layer_rows(network: Network, n: Notation) -> Iterator[str]:
    for index, layer in enumerate(network.layers, start=1):
        W, b = matrix(layer.W).latex, matrix(layer.b).latex
        yield (
            f"{n.symbol('W', index)} &= {W}, & {n.symbol('b', index)} &= {b}, & "
            f"f^{{{n.layer_mark(index)}}} &= {layer.activation.latex_name}"
        )


def step_markdown(step: Step, notation: Notation | None = None) -> str:
    """Write the values of ``step`` alone: the loss and each layer's values.

    A step does not store the network's activations, loss function or
    learning rate, so this lists values and does not derive them.
    ``trace.show(step=n)`` writes the derivation.
    """
    n = notation or Notation()
    blocks: list[Block] = [
        Heading(1, f"Step {step.number}"),
        Equations((f"L &= {number(step.loss).latex}",), 0.0),
    ]
    for index in range(1, len(step.layers) + 1):
        blocks.append(Heading(3, f"Layer {n.layer_number(index)}"))
        blocks.append(Equations(tuple(_step_rows(step, index, n)), 0.0))
    return markdown_document(Document(None, tuple(blocks), 0))


def _step_rows(step: Step, index: int, n: Notation) -> Iterator[str]:
    values = step.layers[index - 1]
    pairs = [
        (n.symbol("z", index), values.z, n.symbol("a", index), values.a),
        (n.gradient("a", index), values.da, n.gradient("z", index), values.dz),
        (n.gradient("W", index), values.dW, n.gradient("b", index), values.db),
        (n.symbol("W", index), values.W_after, n.symbol("b", index), values.b_after),
    ]
    relations = ["=", "=", "=", r"\leftarrow"]
    for (left, left_value, right, right_value), relation in zip(pairs, relations):
        yield (
            f"{left} &{relation} {matrix(left_value).latex}, & "
            f"{right} &{relation} {matrix(right_value).latex}"
        )
