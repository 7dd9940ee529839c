"""The step-by-step LaTeX solution of a training run.

The document states the problem, defines the functions once, then works
through every step: the forward pass, the loss, the backward pass and the
update. Each equation appears first in symbols, then with the matrices
substituted, then with its result. A table per layer closes every step with
the parameters, their gradients and their updated values.

>>> from derivation.engine import train
>>> from derivation.network import Layer, Network
>>> trace = train(Network([Layer([[2]], [0], "identity")]), [1], [3],
...               learning_rate="0.5", steps=1)
>>> body = render_latex(trace, standalone=False)
>>> r"W^{[1]} &\\leftarrow" in body
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy

from ..activations import Activation
from ..trace import LayerStep, Step, Trace
from .notation import Notation
from .tex import (
    LINE_BUDGET_EM,
    Piece,
    Row,
    align,
    applied,
    chain_rows,
    escape_text,
    joined,
    matrix,
    number,
    operator,
    symbol,
    with_size,
)

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{booktabs}
\usepackage{array}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6ex}
"""

_GRADIENT_EM = 2.8
_SYMBOL_EM = 2.0
_OPERATOR_EM = 1.2
_LABEL_EM = 6.0


def render_latex(
    trace: Trace,
    *,
    title: str | None = None,
    notation: Notation | None = None,
    standalone: bool = True,
) -> str:
    """Write the whole derivation of ``trace`` as LaTeX.

    Parameters
    ----------
    trace
        The training run to write out.
    title
        A heading; it is escaped, so any text prints literally.
        Characters pdflatex cannot typeset raise ``DerivationError``.
    notation
        Names and symbols; :class:`Notation` defaults when omitted.
    standalone
        ``True`` for a complete document that compiles with pdflatex,
        ``False`` for the body alone, to ``\\input`` into another document
        (which must load ``amsmath``, ``amssymb``, ``booktabs``, ``array``
        and ``fontenc`` with the T1 encoding).
    """
    writer = _Writer(trace, notation or Notation())
    body = "\n\n".join(writer.body(title))
    # amsmath allows 10 matrix columns unless told otherwise.
    columns = max(trace.network.widths)
    if columns > 10:
        body = rf"\setcounter{{MaxMatrixCols}}{{{columns}}}" + "\n\n" + body
    if not standalone:
        return body + "\n"
    return f"{_PREAMBLE}\n\\begin{{document}}\n\n{body}\n\n\\end{{document}}\n"


class _Writer:
    """Writes the sections of one derivation; every method returns LaTeX text."""

    def __init__(self, trace: Trace, notation: Notation) -> None:
        self.trace = trace
        self.n = notation
        self.depth = len(trace.network.layers)

    def body(self, title: str | None) -> Iterator[str]:
        if title:
            yield rf"\section*{{{escape_text(title, 'title')}}}"
        yield from self.problem()
        yield from self.definitions()
        for step in self.trace.steps:
            yield from self.step(step)

    # -- problem statement and definitions --------------------------------

    def problem(self) -> Iterator[str]:
        trace = self.trace
        widths = "--".join(str(width) for width in trace.network.widths)
        steps = len(trace.steps)
        plural = "step" if steps == 1 else "steps"
        yield r"\subsection*{Problem}"
        yield (
            f"A fully connected network with layer widths {widths} is trained on "
            f"one sample for {steps} {plural} of gradient descent with learning "
            rf"rate $\eta = {number(trace.learning_rate).latex}$. "
            "Layers are numbered from 1; the input is "
            f"${self.n.symbol('a', 0)} = x$."
        )
        data = [
            f"x &= {matrix(trace.x).latex}",
            f"y &= {matrix(trace.y).latex}",
        ]
        yield align(data)
        yield "The initial parameters are"
        yield align(list(self.parameter_rows(trace.network.layers)))

    def parameter_rows(self, layers: tuple) -> Iterator[str]:
        for index, layer in enumerate(layers, start=1):
            yield (
                f"{self.n.symbol('W', index)} &= {matrix(layer.W).latex}, &"
                f"{self.n.symbol('b', index)} &= {matrix(layer.b).latex}"
            )

    def definitions(self) -> Iterator[str]:
        n, last = self.n, self.depth
        yield r"\subsection*{Definitions}"
        yield "Each layer $l$ computes"
        yield align(
            [
                rf"{n.symbol('z', 'l')} &= {n.symbol('W', 'l')} "
                rf"{n.symbol('a', 'l-1')} + {n.symbol('b', 'l')}, &"
                rf"{n.symbol('a', 'l')} &= f^{{{n.layer_mark('l')}}}"
                rf"\left({n.symbol('z', 'l')}\right)",
            ]
        )
        yield from self.activation_definitions()
        loss = self.trace.loss
        output = n.symbol("a", last)
        yield "The loss and its gradient with respect to the output are"
        yield align(
            [
                f"L &= {loss.definition.format(a=output, y='y')}, &"
                f"{n.gradient('a', last)} &= "
                f"{loss.gradient_definition.format(a=output, y='y')}",
            ]
        )
        yield from self.backward_definitions()

    def activation_definitions(self) -> Iterator[str]:
        layers = self.trace.network.layers
        variants: dict[str, Activation] = {}
        for layer in layers:
            variants.setdefault(
                layer.activation.derivative_definition, layer.activation
            )
        names = [activation.latex_name for activation in variants.values()]

        rows = []
        for activation in variants.values():
            row = (
                rf"{activation.latex_name}(z) &= {activation.definition}, &"
                rf"{activation.latex_name}'(z) &= {activation.derivative_definition}"
            )
            if names.count(activation.latex_name) > 1:
                # Two conventions under one name: say which layers use which.
                convention = activation.derivative_definition
                used_in = self.layer_list(
                    lambda a, convention=convention: (
                        a.derivative_definition == convention
                    )
                )
                row += rf" && \text{{({used_in})}}"
            rows.append(row)

        uses = ", ".join(
            f"${name}$ in " + self.layer_list(lambda a, name=name: a.latex_name == name)
            for name in dict.fromkeys(names)
        )
        yield f"The activations act element-wise ({uses}):"
        yield align(rows)

    def layer_list(self, matches: Callable[[Activation], bool]) -> str:
        """Name the layers whose activation ``matches``: "layers 1 and 2"."""
        numbers = [
            str(index)
            for index, layer in enumerate(self.trace.network.layers, start=1)
            if matches(layer.activation)
        ]
        if len(numbers) == 1:
            return f"layer {numbers[0]}"
        return f"layers {', '.join(numbers[:-1])} and {numbers[-1]}"

    def backward_definitions(self) -> Iterator[str]:
        n = self.n
        yield (
            "Going backwards from the output, the chain rule gives for each layer "
            f"(${n.elementwise}$ is the element-wise product)"
        )
        yield align(
            [
                rf"{n.gradient('z', 'l')} &= {n.gradient('a', 'l')} {n.elementwise} "
                rf"f^{{{n.layer_mark('l')}}}{{}}'\left({n.symbol('z', 'l')}\right), &"
                rf"{n.gradient('W', 'l')} &= {n.gradient('z', 'l')}\, "
                rf"{n.transposed('a', 'l-1')},",
                rf"{n.gradient('b', 'l')} &= {n.gradient('z', 'l')}, &"
                rf"{n.gradient('a', 'l-1')} &= {n.transposed('W', 'l')}\, "
                rf"{n.gradient('z', 'l')},",
            ]
        )
        yield "and gradient descent updates every parameter $\\theta$ by"
        theta = r"\theta"
        yield align([rf"{theta} &\leftarrow {theta} - \eta {n.gradient_of(theta)}."])

    # -- one step ---------------------------------------------------------

    def step(self, step: Step) -> Iterator[str]:
        yield rf"\section*{{Step {step.number}}}"
        if step.number > 1:
            yield (f"The parameters are those updated in step {step.number - 1}.")
        yield r"\subsection*{Forward pass}"
        for index, layer in enumerate(step.layers, start=1):
            yield from self.forward(index, layer)
        yield from self.loss(step)

        yield r"\subsection*{Backward pass}"
        yield from self.output_gradient(step)
        for index in range(self.depth, 0, -1):
            yield from self.backward(index, step.layers[index - 1])

        yield r"\subsection*{Update}"
        for index, layer in enumerate(step.layers, start=1):
            yield from self.update(index, layer)

        yield rf"\subsection*{{Summary of step {step.number}}}"
        for index, layer in enumerate(step.layers, start=1):
            yield self.summary(index, layer)

    def forward(self, index: int, values: LayerStep) -> Iterator[str]:
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        z, a = self.sym(n.symbol("z", index)), self.sym(n.symbol("a", index))
        rows = chain_rows(
            z,
            [
                self.sym(n.symbol("W", index))
                + self.sym(n.symbol("a", index - 1))
                + self.op("+")
                + self.sym(n.symbol("b", index)),
                matrix(values.W)
                + matrix(values.a_prev)
                + self.op("+")
                + matrix(values.b),
                matrix(values.z),
            ],
        )
        if activation.is_identity:
            rows += chain_rows(a, [z, matrix(values.a)])
        else:
            rows += chain_rows(
                a,
                [
                    applied(activation.latex_name, z),
                    applied(activation.latex_name, matrix(values.z)),
                    matrix(values.a),
                ],
            )
        yield rf"\subsubsection*{{Layer {index}}}"
        yield align(rows)

    def loss(self, step: Step) -> Iterator[str]:
        loss = self.trace.loss
        output = self.n.symbol("a", self.depth)
        opening, closing = loss.frame
        terms = loss.substituted(step.output, step.y, lambda v: number(v).latex)
        widths = [
            number(a).width + number(y).width + 3.5 for a, y in zip(step.output, step.y)
        ]
        substituted = [
            symbol(term, width) if index == 0 else self.op("+") + symbol(term, width)
            for index, (term, width) in enumerate(zip(terms, widths))
        ]
        rows = chain_rows(
            symbol("L", 1.0),
            [
                symbol(loss.definition.format(a=output, y="y"), 6.0),
                joined([symbol(opening, 2.0), *substituted, symbol(closing, 0.5)]),
                number(step.loss),
            ],
        )
        yield "The loss of this step is"
        yield align(rows)

    def output_gradient(self, step: Step) -> Iterator[str]:
        n, last = self.n, self.depth
        loss = self.trace.loss
        output_symbol = n.symbol("a", last)
        rows = chain_rows(
            self.grad(n.gradient("a", last)),
            [
                self.sym(loss.gradient_definition.format(a=output_symbol, y="y"), 3.5),
                matrix(step.output) + self.op("-") + matrix(step.y),
                matrix(step.layers[-1].da),
            ],
        )
        yield "The gradient of the loss with respect to the output is"
        yield align(rows)

    def backward(self, index: int, values: LayerStep) -> Iterator[str]:
        n = self.n
        activation = self.trace.network.layers[index - 1].activation
        dz, da = self.grad(n.gradient("z", index)), self.grad(n.gradient("a", index))
        if activation.is_identity:
            rows = chain_rows(dz, [da, matrix(values.dz)])
        else:
            slope = applied(f"{activation.latex_name}'", self.sym(n.symbol("z", index)))
            rows = chain_rows(
                dz,
                [
                    da + self.op(n.elementwise) + slope,
                    matrix(values.da) + self.op(n.elementwise) + matrix(values.slope),
                    matrix(values.dz),
                ],
            )
        rows += chain_rows(
            self.grad(n.gradient("W", index)),
            [
                dz + self.sym(n.transposed("a", index - 1)),
                matrix(values.dz) + matrix(values.a_prev.T),
                matrix(values.dW),
            ],
        )
        rows += chain_rows(self.grad(n.gradient("b", index)), [dz, matrix(values.db)])
        rows += chain_rows(
            self.grad(n.gradient("a", index - 1)),
            [
                self.sym(n.transposed("W", index)) + dz,
                matrix(values.W.T) + matrix(values.dz),
                matrix(values.da_prev),
            ],
        )
        yield rf"\subsubsection*{{Layer {index}}}"
        if not activation.is_identity and all(entry == 0 for entry in values.slope):
            yield (
                f"Every unit of layer {index} has a zero derivative "
                f"(${activation.latex_name}'$ is 0 at each entry of "
                f"${n.symbol('z', index)}$), so no gradient reaches its "
                "parameters or its input."
            )
        yield align(rows)
        if index == 1:
            yield (
                f"The gradient ${n.gradient('a', 0)}$ with respect to the input is "
                "not needed for the update; it is shown for completeness."
            )

    def update(self, index: int, values: LayerStep) -> Iterator[str]:
        rows = self.update_rows("W", index, values.W, values.dW, values.W_after)
        rows += self.update_rows("b", index, values.b, values.db, values.b_after)
        yield rf"\subsubsection*{{Layer {index}}}"
        yield align(rows)

    def update_rows(
        self,
        name: str,
        index: int,
        before: sympy.Matrix,
        gradient: sympy.Matrix,
        after: sympy.Matrix,
    ) -> list[Row]:
        n = self.n
        parameter = self.sym(n.symbol(name, index))
        eta = number(self.trace.learning_rate)
        return chain_rows(
            parameter,
            [
                parameter
                + self.op("-")
                + self.sym(r"\eta", 0.6)
                + self.grad(n.gradient(name, index)),
                matrix(before) + self.op("-") + eta + matrix(gradient),
                matrix(after),
            ],
            relation=r"\leftarrow",
        )

    def summary(self, index: int, values: LayerStep) -> str:
        """Tabulate parameters, gradients and updated values of one layer.

        ``W`` and ``b`` share one table when it fits the line, otherwise
        each gets a table of its own.
        """
        columns = [
            ("W", (values.W, values.dW, values.W_after)),
            ("b", (values.b, values.db, values.b_after)),
        ]
        widths = [max(matrix(m).width for m in ms) + 2.0 for _, ms in columns]
        if sum(widths) + _LABEL_EM <= LINE_BUDGET_EM:
            return self.table(index, columns, sum(widths))
        return "\n".join(
            self.table(index, [column], width) for column, width in zip(columns, widths)
        )

    def table(
        self,
        index: int,
        columns: list[tuple[str, tuple[sympy.Matrix, ...]]],
        width: float,
    ) -> str:
        n = self.n
        heads = " & ".join(n.symbol(name, index) for name, _ in columns)
        cells = [
            f"{label} & "
            + " & ".join(matrix(values[row]).latex for _, values in columns)
            + r" \\"
            for row, label in enumerate(("Parameter", "Gradient", "Updated"))
        ]
        lines = [
            r"\begin{tabular}{l" + ">{$}c<{$}" * len(columns) + "}",
            r"\toprule",
            rf"Layer {index} & {heads} \\",
            r"\midrule",
            r"\addlinespace[0.6ex]",
            "\n\\addlinespace[1.2ex]\n".join(cells),
            r"\bottomrule",
            r"\end{tabular}",
        ]
        table = with_size("\n".join(lines), width + _LABEL_EM)
        return f"\\begin{{center}}\n{table}\n\\end{{center}}\n\\medskip"

    # -- pieces -------------------------------------------------------------

    def sym(self, latex: str, width: float = _SYMBOL_EM) -> Piece:
        return symbol(latex, width)

    def grad(self, latex: str) -> Piece:
        return symbol(latex, _GRADIENT_EM)

    def op(self, latex: str) -> Piece:
        return operator(latex, _OPERATOR_EM)
