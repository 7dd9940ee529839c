"""Pictures of a dense network: TikZ for LaTeX and SVG for Markdown and HTML.

Both pictures share one layout. Units stand in columns, the input on the
left. Each unit shows its bias above it and, when the values of a step are
given, its ``z`` and ``a`` below it. An edge carries its weight only in a
layer of at most ``MAX_LABELLED_INPUTS`` inputs and ``MAX_LABELLED_UNITS``
units, because more labels overlap. A column of more than ``MAX_SHOWN_UNITS``
units shows its first and last ``ELIDED_KEEP`` units with dots between.
:func:`diagram_caption` says which weights and units the picture leaves out.

Numbers are exact, written by :func:`derivation.numbers.latex_number` in
TikZ and in the same form as plain text (``-0.5``, ``1/3``) in SVG.

>>> from derivation.network import Layer, Network
>>> net = Network([Layer([[1], [1]], ["-0.5", "-0.5"], "relu")])
>>> r"node[weight, pos=0.3] {$1$}" in tikz_diagram(net)
True
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

import sympy

from ..network import Network
from ..numbers import latex_number
from ..trace import Step
from .notation import Notation

MAX_LABELLED_INPUTS = 3
MAX_LABELLED_UNITS = 3
MAX_SHOWN_UNITS = 8
ELIDED_KEEP = 3

# Geometry in centimetres, shared by both pictures. The column gap leaves
# room for two weight labels side by side, and the row gap for a bias above
# and two lines of values below each unit.
_COLUMN_GAP = 3.4
_ROW_GAP = 1.6
_ROW_GAP_WITH_VALUES = 2.4
_RADIUS = 0.45
# SVG pixels per centimetre, and the margin around the SVG picture.
_PIXELS = 40
_MARGIN_CM = 1.3


@dataclass(frozen=True)
class _Unit:
    """One circle: its column (0 is the input), index (from 0) and place."""

    column: int
    index: int
    x: float
    y: float


@dataclass(frozen=True)
class _Dots:
    """The vertical dots that stand for the units a wide column leaves out."""

    x: float
    y: float


def shown_units(width: int) -> list[int | None]:
    """Return the unit indices a column shows, ``None`` where dots stand.

    >>> shown_units(3)
    [0, 1, 2]
    >>> shown_units(10)
    [0, 1, 2, None, 7, 8, 9]
    """
    if width <= MAX_SHOWN_UNITS:
        return list(range(width))
    head = list(range(ELIDED_KEEP))
    tail = list(range(width - ELIDED_KEEP, width))
    return [*head, None, *tail]


def labels_weights(network: Network, layer: int) -> bool:
    """Whether the edges of ``layer`` (1 is the first) carry their weights."""
    weights = network.layers[layer - 1].W
    return weights.cols <= MAX_LABELLED_INPUTS and weights.rows <= MAX_LABELLED_UNITS


class _Layout:
    """Places of the units and dots of every column, in centimetres."""

    def __init__(self, network: Network, with_values: bool) -> None:
        self.row_gap = _ROW_GAP_WITH_VALUES if with_values else _ROW_GAP
        self.units: dict[tuple[int, int], _Unit] = {}
        self.dots: list[_Dots] = []
        self.columns = len(network.widths)
        tallest = max(len(shown_units(width)) for width in network.widths)
        self.height = (tallest - 1) * self.row_gap
        self.width = (self.columns - 1) * _COLUMN_GAP
        for column, width in enumerate(network.widths):
            slots = shown_units(width)
            top = (len(slots) - 1) * self.row_gap / 2
            for slot, index in enumerate(slots):
                x = column * _COLUMN_GAP
                y = top - slot * self.row_gap
                if index is None:
                    self.dots.append(_Dots(x, y))
                else:
                    self.units[column, index] = _Unit(column, index, x, y)

    def column(self, column: int) -> list[_Unit]:
        return [unit for (number, _), unit in self.units.items() if number == column]

    def edges(self) -> Iterator[tuple[_Unit, _Unit]]:
        """Yield the edges between shown units, source first."""
        for column in range(1, self.columns):
            for target in self.column(column):
                for source in self.column(column - 1):
                    yield source, target


def _label_position(source: _Unit, sources: int) -> float:
    """Place a weight label along its edge, staggered by the source.

    Edges from different sources cross near the middle, so the labels of
    the first source sit near it and those of the last source further on.
    """
    if sources == 1:
        return 0.3
    return 0.22 + 0.5 * source.index / (sources - 1)


# -- TikZ ------------------------------------------------------------------


def tikz_diagram(
    network: Network,
    values: Step | None = None,
    notation: Notation | None = None,
) -> str:
    """Draw ``network`` as a TikZ picture, optionally with a step's values.

    Parameters
    ----------
    network
        The network to draw; its weights and biases are written.
    values
        A step whose ``z`` and ``a`` are written below each unit. Pass the
        network whose parameters fed that step, such as the trace's
        initial network with its first step.
    notation
        Names the units (``x_1`` or ``a^{[0]}_1`` for the input); the
        defaults of :class:`Notation` when omitted.

    Returns
    -------
    str
        A ``tikzpicture`` environment. The document must load ``tikz``.
    """
    notation = notation or Notation()
    layout = _Layout(network, values is not None)
    lines = [
        r"\begin{tikzpicture}[",
        r"  unit/.style={circle, draw, thick, minimum size="
        f"{2 * _RADIUS}cm, inner sep=1pt, font=\\small}},",
        r"  weight/.style={fill=white, inner sep=1pt, font=\scriptsize},",
        r"  note/.style={fill=white, inner sep=1pt, font=\scriptsize, align=center},",
        "]",
    ]
    notes = []
    for unit in layout.units.values():
        node, *unit_notes = _tikz_unit(unit, network, values, notation)
        lines.append(node)
        notes += unit_notes
    for dots in layout.dots:
        lines.append(rf"\node at ({_cm(dots.x)},{_cm(dots.y)}) {{$\vdots$}};")
    for source, target in layout.edges():
        lines.append(_tikz_edge(source, target, network))
    # Drawn after the edges, so that their white fill hides the lines below.
    lines += notes
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _cm(value: float) -> str:
    return f"{value:.2f}"


def _node_name(unit: _Unit) -> str:
    return f"u{unit.column}-{unit.index}"


def _tikz_unit(
    unit: _Unit, network: Network, values: Step | None, notation: Notation
) -> list[str]:
    """Write a unit's node, then the notes of its bias and values."""
    name = _node_name(unit)
    label = _unit_label(unit, notation)
    line = rf"\node[unit] ({name}) at ({_cm(unit.x)},{_cm(unit.y)}) {{${label}$}};"
    if unit.column == 0:
        return [line]
    bias = network.layers[unit.column - 1].b[unit.index]
    parts = [
        line,
        rf"\node[note, above] at ({name}.north) {{$b={latex_number(bias)}$}};",
    ]
    if values is not None:
        layer = values.layers[unit.column - 1]
        z = latex_number(layer.z[unit.index])
        a = latex_number(layer.a[unit.index])
        parts.append(
            rf"\node[note, below] at ({name}.south) "
            rf"{{${notation.letter('z')}={z}$\\${notation.letter('a')}={a}$}};"
        )
    return parts


def _unit_label(unit: _Unit, notation: Notation) -> str:
    """Write a unit's name, such as ``x_{1}`` or ``a^{[2]}_{3}``."""
    symbol = notation.symbol("a", unit.column)
    return f"{symbol}_{{{unit.index + 1}}}"


def _tikz_edge(source: _Unit, target: _Unit, network: Network) -> str:
    line = rf"\draw[->] ({_node_name(source)}) -- ({_node_name(target)})"
    if not labels_weights(network, target.column):
        return line + ";"
    weights = network.layers[target.column - 1].W
    weight = latex_number(weights[target.index, source.index])
    position = _label_position(source, weights.cols)
    return line + rf" node[weight, pos={position:.2g}] {{${weight}$}};"


# -- SVG -------------------------------------------------------------------


def svg_diagram(
    network: Network,
    values: Step | None = None,
    notation: Notation | None = None,
) -> str:
    """Draw ``network`` as a self-contained SVG image, the same as the TikZ one.

    The parameters are those of :func:`tikz_diagram`. Text is escaped, and
    the image uses no fonts, scripts or files from elsewhere.
    """
    notation = notation or Notation()
    layout = _Layout(network, values is not None)
    width = (layout.width + 2 * _MARGIN_CM) * _PIXELS
    height = (layout.height + 2 * _MARGIN_CM) * _PIXELS
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" '
        'font-family="serif" font-size="12" role="img">',
        "<title>Network diagram</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>',
    ]
    place = _SvgPlace(layout)
    for source, target in layout.edges():
        parts.append(_svg_edge(source, target, network, place))
    for unit in layout.units.values():
        parts.append(_svg_unit(unit, network, values, notation, place))
    for dots in layout.dots:
        x, y = place(dots.x, dots.y)
        parts.append(_svg_text(x, y + 5, "\u22ee", size=16))
    parts.append("</svg>")
    return "\n".join(parts)


class _SvgPlace:
    """Convert layout centimetres to SVG pixels, with y pointing down."""

    def __init__(self, layout: _Layout) -> None:
        self.top = layout.height / 2

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return (x + _MARGIN_CM) * _PIXELS, (self.top - y + _MARGIN_CM) * _PIXELS


def plain_number(value: sympy.Expr) -> str:
    """Write an exact value as plain text in the form ``latex_number`` chooses.

    >>> plain_number(sympy.Rational(-1, 2)), plain_number(sympy.Rational(1, 3))
    ('\u22120.5', '1/3')
    """
    written = latex_number(value)
    if "\\" in written:
        written = str(value)
    return written.replace("-", "\u2212")


def _svg_text(x: float, y: float, content: str, size: int = 12) -> str:
    """Write centred text; ``content`` is SVG markup that is already escaped."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" '
        f'font-size="{size}">{content}</text>'
    )


def _svg_unit(
    unit: _Unit,
    network: Network,
    values: Step | None,
    notation: Notation,
    place: _SvgPlace,
) -> str:
    x, y = place(unit.x, unit.y)
    radius = _RADIUS * _PIXELS
    parts = [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
        'fill="white" stroke="black" stroke-width="1.5"/>',
        _svg_text(x, y + 4, _svg_unit_label(unit, notation), size=13),
    ]
    if unit.column > 0:
        bias = network.layers[unit.column - 1].b[unit.index]
        parts.append(_svg_text(x, y - radius - 5, _escape(f"b={plain_number(bias)}")))
    if values is not None and unit.column > 0:
        layer = values.layers[unit.column - 1]
        for line, name in enumerate(("z", "a")):
            value = plain_number(getattr(layer, name)[unit.index])
            text = _escape(f"{notation.letter(name)}={value}")
            parts.append(_svg_text(x, y + radius + 14 + 14 * line, text))
    return "\n".join(parts)


def _svg_unit_label(unit: _Unit, notation: Notation) -> str:
    """Write a unit's name with a superscript layer mark and a subscript index."""
    number = str(unit.index + 1)
    if notation.is_input("a", unit.column):
        letter = notation.input_name
        return f'{_escape(letter)}<tspan font-size="9" dy="4">{number}</tspan>'
    mark = notation.layer_mark(unit.column)
    return (
        f'{_escape(notation.letter("a"))}<tspan font-size="9" dy="-6">'
        f'{_escape(mark)}</tspan><tspan font-size="9" dy="10">{number}</tspan>'
    )


def _svg_edge(source: _Unit, target: _Unit, network: Network, place: _SvgPlace) -> str:
    x1, y1 = place(source.x, source.y)
    x2, y2 = place(target.x, target.y)
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    radius = _RADIUS * _PIXELS
    # The line runs between the circles' edges, not their centres.
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    start = (x1 + ux * radius, y1 + uy * radius)
    end = (x2 - ux * radius, y2 - uy * radius)
    line = (
        f'<line x1="{start[0]:.1f}" y1="{start[1]:.1f}" x2="{end[0]:.1f}" '
        f'y2="{end[1]:.1f}" stroke="black" marker-end="url(#arrow)"/>'
    )
    if not labels_weights(network, target.column):
        return line
    weights = network.layers[target.column - 1].W
    weight = plain_number(weights[target.index, source.index])
    position = _label_position(source, weights.cols)
    x = start[0] + (end[0] - start[0]) * position
    y = start[1] + (end[1] - start[1]) * position
    box = 7 * len(weight) + 4
    return "\n".join(
        [
            line,
            f'<rect x="{x - box / 2:.1f}" y="{y - 7:.1f}" width="{box:.1f}" '
            'height="13" fill="white"/>',
            _svg_text(x, y + 4, _escape(weight), size=11),
        ]
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


# -- caption -----------------------------------------------------------------


def diagram_caption(
    network: Network, values: Step | None = None, notation: Notation | None = None
) -> str:
    """Describe what the picture shows and which weights and units it omits.

    Layers are numbered as ``notation`` prints them.

    >>> from derivation.network import Layer, Network
    >>> diagram_caption(Network([Layer([[1, 2, 3, 4]], [0])]))
    'The network with the bias of each unit above it. The weights of layer 1 \
are left off the edges, because it has more than 3 inputs or 3 units.'
    """
    notation = notation or Notation()
    shows = "The network with the bias of each unit above it"
    if values is not None:
        shows += f" and its z and a in step {values.number} below it"
    sentences = [shows + "."]
    layers = range(1, len(network.layers) + 1)
    unlabelled = [layer for layer in layers if not labels_weights(network, layer)]
    if unlabelled:
        named = _layers([notation.layer_number(layer) for layer in unlabelled])
        subject = "it has" if len(unlabelled) == 1 else "each has"
        sentences.append(
            f"The weights of {named} are left off the edges, because {subject} "
            f"more than {MAX_LABELLED_INPUTS} inputs or {MAX_LABELLED_UNITS} units."
        )
    else:
        sentences.append("Each edge carries its weight.")
    for position, width in enumerate(network.widths):
        if width <= MAX_SHOWN_UNITS:
            continue
        column = f"Layer {notation.layer_number(position)}"
        if position == 0:
            column = "The input"
        sentences.append(
            f"{column} shows units 1\u2013{ELIDED_KEEP} and "
            f"{width - ELIDED_KEEP + 1}\u2013{width} of {width}."
        )
    return " ".join(sentences)


def _layers(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"layer {numbers[0]}"
    listed = ", ".join(str(number) for number in numbers[:-1])
    return f"layers {listed} and {numbers[-1]}"
