"""Exercise sheets and the teacher's document of variants.

:func:`exercise_document` states the problem of an exercise without its
answers: the network (matrices and, optionally, a diagram without values),
the data, the activations, the loss, the learning rate, the number of steps
and the list of asked values. :func:`teacher_document` collects every
variant of a set with its drawn values, its problem and its answer key.
Both return a :class:`~derivation.render.document.Document`, which
:func:`render_document` writes as LaTeX, Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..answers import WEIGHT_NAMES, Quantity
from ..exercise import Exercise, asked_value
from ..trace import Trace
from .document import Block, Detail, Document, Figure, Heading, Math, paragraph
from .notation import Notation
from .number_format import NumberFormat
from .tex import Row, matrix, number
from .writer import _Writer, rows_block

if TYPE_CHECKING:
    from ..variants import VariantSet

# What each asked value is, in words, before its symbol.
_NOUNS = {
    "W": "the weights",
    "b": "the biases",
    "a_prev": "the input",
    "z": "the pre-activation",
    "a": "the activation",
    "da": "the gradient",
    "slope": "the activation derivative",
    "dz": "the gradient",
    "dW": "the gradient",
    "db": "the gradient",
    "da_prev": "the gradient",
    "W_after": "the updated weights",
    "b_after": "the updated biases",
}


def exercise_document(
    exercise: Exercise,
    trace: Trace,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
    diagram: bool = False,
) -> Document:
    """Write the exercise sheet of ``exercise``: the problem and the tasks.

    ``trace`` is the solution, from which only the problem (the initial
    network, the data and the settings) is written, never a computed
    value. ``detail`` sets only the matrix limits.
    """
    blocks = list(_sheet_blocks(exercise, trace, notation, numbers, detail, diagram))
    return Document(title, tuple(blocks), _columns(trace, detail))


def _columns(trace: Trace, detail: Detail | None) -> int:
    columns = max(trace.network.widths)
    limit = (detail or Detail()).max_columns
    return columns if limit is None else min(columns, limit)


def _sheet_blocks(
    exercise: Exercise,
    trace: Trace,
    notation: Notation | None,
    numbers: NumberFormat | None,
    detail: Detail | None,
    diagram: bool,
) -> Iterator[Block]:
    notation = notation or Notation()
    # The solution's writer states the problem and the definitions; its
    # diagram is left out because it shows the values of step 1.
    writer = _Writer(trace, notation, numbers or NumberFormat(), detail)
    yield from writer.problem()
    if diagram:
        yield _bare_figure(trace, notation)
    if exercise.formulas:
        yield from writer.definitions()
    else:
        yield from writer.activation_definitions()
        yield from _loss_definition(trace, notation)
    yield from task_blocks(exercise, notation)


def _bare_figure(trace: Trace, notation: Notation) -> Figure:
    from .diagram import diagram_caption, svg_diagram, tikz_diagram

    network = trace.network
    return Figure(
        tikz_diagram(network, None, notation),
        svg_diagram(network, None, notation),
        diagram_caption(network, None, notation),
    )


def _loss_definition(trace: Trace, notation: Notation) -> Iterator[Block]:
    output = notation.symbol("a", len(trace.network.layers))
    definition = trace.loss.definition.format(a=output, y=notation.target_name)
    yield paragraph("The loss is")
    yield rows_block([Row(f"L &= {definition}", 0.0)])


def task_blocks(exercise: Exercise, notation: Notation) -> Iterator[Block]:
    """Write the tasks: the asked values grouped by step, numbered."""
    yield Heading(2, "Tasks")
    yield paragraph(
        "Compute the values below. Step s is the s-th update: its values are "
        "computed with the parameters from before that update, and the "
        "updated parameters are its result."
    )
    if exercise.instructions:
        yield paragraph(exercise.instructions)
    step = None
    for position, quantity in enumerate(exercise.asked, start=1):
        if quantity.step != step:
            step = quantity.step
            yield Heading(3, f"Step {step}")
        yield paragraph(f"{position}. ", *describe_quantity(quantity, notation))


def describe_quantity(quantity: Quantity, notation: Notation) -> list[str | Math]:
    """Describe an asked value in words and its symbol, such as "the loss L"."""
    if quantity.layer is None:
        return ["the loss ", Math("L"), "."]
    layer, name = quantity.layer, quantity.name
    printed = notation.layer_number(layer)
    symbol = _symbol(name, layer, notation)
    parts: list[str | Math] = [f"{_NOUNS[name]} ", Math(symbol)]
    if name in ("W", "b"):
        parts.append(f" of layer {printed} at the start of the step")
    elif name.endswith("_after"):
        parts.append(f" of layer {printed} after the update")
    else:
        parts.append(f" of layer {printed}")
    parts.append(f" ({_form(name)}).")
    return parts


def _symbol(name: str, layer: int, notation: Notation) -> str:
    gradients = {"da": "a", "dz": "z", "dW": "W", "db": "b"}
    if name in gradients:
        return notation.gradient(gradients[name], layer)
    if name == "da_prev":
        return notation.gradient("a", layer - 1)
    if name == "a_prev":
        return notation.symbol("a", layer - 1)
    if name == "slope":
        z = notation.symbol("z", layer)
        return rf"f^{{{notation.layer_mark(layer)}}}{{}}'\left({z}\right)"
    return notation.symbol(name.removesuffix("_after"), layer)


def _form(name: str) -> str:
    return "a matrix" if name in WEIGHT_NAMES else "a vector"


# -- the teacher's document ---------------------------------------------------


def teacher_document(
    variant_set: VariantSet,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    numbers: NumberFormat | None = None,
    detail: Detail | None = None,
) -> Document:
    """Write every variant of a set with its drawn values and its answer key."""
    notation = notation or Notation()
    numbers = numbers or NumberFormat()
    blocks: list[Block] = [paragraph(_overview(variant_set))]
    columns = 1
    for variant in variant_set.variants:
        blocks.append(Heading(1, f"Variant {variant.number}"))
        writer = _Writer(variant.trace, notation, numbers, detail)
        blocks += list(writer.problem())
        blocks += list(
            _key_blocks(
                variant.exercise.asked, variant.trace, notation, numbers, detail
            )
        )
        columns = max(columns, _columns(variant.trace, detail))
    return Document(title, tuple(blocks), columns)


def _overview(variant_set: VariantSet) -> str:
    count = len(variant_set.variants)
    source = variant_set.exercise.spec.source or "the spec"
    return (
        f"{count} variants of {source}, drawn with seed {variant_set.seed}. Each "
        "variant states its problem, then the exact value of every asked "
        "quantity. Every variant has its own folder with its exercise sheet, "
        "full solution, spec and answer key."
    )


def _key_blocks(
    asked: Sequence[Quantity],
    trace: Trace,
    notation: Notation,
    numbers: NumberFormat,
    detail: Detail | None,
) -> Iterator[Block]:
    """Write the answer key: one aligned row per asked value, grouped by step."""
    detail = detail or Detail()
    yield Heading(2, "Answer key")
    step = None
    rows: list[Row] = []
    for quantity in asked:
        value = asked_value(trace, quantity)
        if value is None:
            continue
        if quantity.step != step:
            if rows:
                yield rows_block(rows)
                rows = []
            step = quantity.step
            yield Heading(3, f"Step {step}")
        if quantity.layer is None:
            symbol = "L"
            piece = number(value[0, 0], numbers)
        else:
            symbol = _symbol(quantity.name, quantity.layer, notation)
            if quantity.name.endswith("_after"):
                symbol += r"_{\text{new}}"
            piece = matrix(value, numbers, detail.max_columns, detail.max_rows)
        relation = r"\approx" if piece.approximate else "="
        rows.append(Row(f"{symbol} &{relation} {piece.latex}", piece.width + 4.0))
    if rows:
        yield rows_block(rows)


def render_document(
    document: Document, output_format: str = "latex", *, standalone: bool = True
) -> str:
    """Write a document in ``output_format``: ``latex``, ``markdown`` or ``html``."""
    if output_format == "markdown":
        from .markdown import markdown_document

        return markdown_document(document)
    if output_format == "html":
        from .html import html_document

        return html_document(document)
    from .latex import latex_document

    return latex_document(document, standalone=standalone)
