"""Find the math of a LaTeX or Markdown solution, with headings and tables.

:func:`read_document` returns the pieces the auditor needs, in reading
order and with their line numbers:

- :class:`Heading`: Markdown ``#`` headings and LaTeX ``\\section`` and its
  kin, which say which step and which part (such as the update) follows;
- :class:`MathPiece`: display math (``$$``, ``\\[ \\]``, ``align*`` and the
  other display environments) and inline math (``$...$``, ``\\( \\)``);
- :class:`Table`: Markdown pipe tables and LaTeX ``tabular`` environments,
  whose cells may hold math;
- :class:`Problem`: text that cannot be read, such as a ``$`` that is never
  closed.

Markdown code (fenced blocks and backtick spans) and HTML comments are
skipped, and so are LaTeX comments, the preamble and verbatim text.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

_MATH_ENVIRONMENTS = (
    "align",
    "align*",
    "aligned",
    "equation",
    "equation*",
    "gather",
    "gather*",
    "multline",
    "multline*",
    "flalign",
    "flalign*",
    "eqnarray",
    "eqnarray*",
    "displaymath",
    "math",
    "alignat",
    "alignat*",
)
_LATEX_HEADINGS = {
    "part": 1,
    "chapter": 1,
    "section": 1,
    "subsection": 2,
    "subsubsection": 3,
    "paragraph": 4,
}
_HEADING = re.compile(
    r"\\(part|chapter|section|subsection|subsubsection|paragraph)\*?\s*\{"
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MATH_COLUMN = re.compile(r">\{\$\}\s*[lcr]\s*<\{\$\}|[lcr]|p\{[^}]*\}|\|")


@dataclass(frozen=True)
class Heading:
    """A heading: level 1 for the largest, and its plain text."""

    level: int
    text: str
    line: int


@dataclass(frozen=True)
class MathPiece:
    """LaTeX math and the line of its first character.

    ``display`` is false for inline math.
    """

    latex: str
    line: int
    display: bool


@dataclass(frozen=True)
class Cell:
    """A table cell: its text outside math, its math pieces, and its line."""

    text: str
    math: tuple[MathPiece, ...]
    line: int


@dataclass(frozen=True)
class Table:
    """A table as rows of cells; the first row is the head."""

    rows: tuple[tuple[Cell, ...], ...]
    line: int


@dataclass(frozen=True)
class Problem:
    """Text that looked like math but could not be read."""

    line: int
    text: str
    reason: str


Part = Heading | MathPiece | Table | Problem


def is_latex(text: str, name: str = "") -> bool:
    """Whether a document is LaTeX rather than Markdown, by name or by content."""
    if name.endswith((".tex", ".latex", ".ltx")):
        return True
    if name.endswith((".md", ".markdown", ".txt")):
        return False
    return "\\begin{document}" in text or bool(
        re.search(r"^\\section\*?\{", text, re.M)
    )


def read_document(text: str, latex: bool) -> list[Part]:
    """Return the headings, math, tables and problems of a document in order."""
    if latex:
        return _LatexReader(text).parts()
    return _read_markdown(text)


# -- Markdown -----------------------------------------------------------------


def _read_markdown(text: str) -> list[Part]:
    text = _blank_html_comments(text)
    lines = text.split("\n")
    parts: list[Part] = []
    run: list[tuple[int, str]] = []
    index = 0
    fence: str | None = None
    while index < len(lines):
        line = lines[index]
        number = index + 1
        fenced = _FENCE.match(line)
        if fence is not None:
            if fenced and fenced.group(1) == fence:
                fence = None
            index += 1
            continue
        if fenced:
            parts += _scan_run(run)
            run = []
            fence = fenced.group(1)
            index += 1
            continue
        heading = _MARKDOWN_HEADING.match(line)
        if heading and not _inside_display(run):
            parts += _scan_run(run)
            run = []
            parts.append(Heading(len(heading.group(1)), heading.group(2), number))
            index += 1
            continue
        if _starts_table(lines, index) and not _inside_display(run):
            parts += _scan_run(run)
            run = []
            table, index = _pipe_table(lines, index)
            parts.append(table)
            continue
        run.append((number, line))
        index += 1
    parts += _scan_run(run)
    return parts


def _blank_html_comments(text: str) -> str:
    """Replace HTML comments by spaces, keeping their line breaks."""
    return re.sub(
        r"<!--.*?-->",
        lambda match: re.sub(r"[^\n]", " ", match.group(0)),
        text,
        flags=re.S,
    )


def _inside_display(run: list[tuple[int, str]]) -> bool:
    """Whether the lines so far leave a ``$$`` display open."""
    joined = "\n".join(line for _, line in run)
    return joined.count("$$") % 2 == 1


def _starts_table(lines: list[str], index: int) -> bool:
    return (
        lines[index].lstrip().startswith("|")
        and index + 1 < len(lines)
        and bool(_TABLE_DELIMITER.match(lines[index + 1]))
    )


def _pipe_table(lines: list[str], index: int) -> tuple[Table, int]:
    rows = [_pipe_row(lines[index], index + 1)]
    start = index + 1
    index += 2
    while index < len(lines) and lines[index].lstrip().startswith("|"):
        rows.append(_pipe_row(lines[index], index + 1))
        index += 1
    return Table(tuple(rows), start), index


def _pipe_row(line: str, number: int) -> tuple[Cell, ...]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells = []
    for raw in _split_cells(body):
        pieces, text, _ = _inline_math(raw, number)
        cells.append(Cell(text.strip(), tuple(pieces), number))
    return tuple(cells)


def _split_cells(body: str) -> list[str]:
    """Split a table row at ``|`` outside math and not escaped."""
    cells = [""]
    in_math = False
    index = 0
    while index < len(body):
        character = body[index]
        if character == "\\" and index + 1 < len(body):
            cells[-1] += body[index : index + 2]
            index += 2
            continue
        if character == "$":
            in_math = not in_math
        if character == "|" and not in_math:
            cells.append("")
        else:
            cells[-1] += character
        index += 1
    return cells


def _scan_run(run: list[tuple[int, str]]) -> list[Part]:
    """Find display and inline math in consecutive Markdown lines."""
    if not run:
        return []
    first = run[0][0]
    text = "\n".join(line for _, line in run)
    text = _blank_code_spans(text)
    pieces, _, problems = _inline_math(text, first, markdown=True)
    return [*pieces, *problems]


def _blank_code_spans(text: str) -> str:
    return re.sub(r"`[^`\n]*`", lambda match: " " * len(match.group(0)), text)


def _inline_math(
    text: str, first_line: int, markdown: bool = True
) -> tuple[list[MathPiece], str, list[Problem]]:
    """Find ``$$``, ``\\[``, ``\\(`` and ``$`` math in a piece of text.

    Returns the math pieces, the text outside math, and problems such as a
    ``$`` that is never closed.
    """
    pieces: list[MathPiece] = []
    problems: list[Problem] = []
    outside: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        character = text[index]
        if character == "\\" and index + 1 < length:
            following = text[index + 1]
            if following in "[(":
                closing = "\\]" if following == "[" else "\\)"
                end = text.find(closing, index + 2)
                if end < 0:
                    problems.append(
                        _problem(
                            text,
                            index,
                            first_line,
                            f"a \\{following} that is never closed",
                        )
                    )
                    index += 2
                    continue
                pieces.append(
                    _piece(text, index + 2, end, first_line, following == "[")
                )
                index = end + 2
                continue
            if text.startswith("\\begin{", index):
                environment = _environment_at(text, index)
                if environment in _MATH_ENVIRONMENTS:
                    closing = f"\\end{{{environment}}}"
                    end = text.find(closing, index)
                    if end < 0:
                        problems.append(
                            _problem(
                                text,
                                index,
                                first_line,
                                f"a \\begin{{{environment}}} that is never ended",
                            )
                        )
                        index += 7
                        continue
                    end += len(closing)
                    pieces.append(_piece(text, index, end, first_line, True))
                    index = end
                    continue
            outside.append(text[index : index + 2])
            index += 2
            continue
        if character == "$":
            if text.startswith("$$", index):
                end = text.find("$$", index + 2)
                if end < 0:
                    problems.append(
                        _problem(text, index, first_line, "a $$ that is never closed")
                    )
                    index += 2
                    continue
                pieces.append(_piece(text, index + 2, end, first_line, True))
                index = end + 2
                continue
            end = _closing_dollar(text, index + 1, markdown)
            if end < 0:
                problems.append(
                    _problem(text, index, first_line, "a $ that is never closed")
                )
                outside.append("$")
                index += 1
                continue
            pieces.append(_piece(text, index + 1, end, first_line, False))
            index = end + 1
            continue
        outside.append(character)
        index += 1
    return pieces, "".join(outside), problems


def _closing_dollar(text: str, start: int, markdown: bool) -> int:
    index = start
    while index < len(text):
        character = text[index]
        if character == "\\":
            index += 2
            continue
        if character == "$":
            return index
        if markdown and character == "\n" and text.startswith("\n", index + 1):
            return -1
        index += 1
    return -1


_BEGIN = re.compile(r"\\begin\{([A-Za-z*]+)\}")


def _environment_at(text: str, index: int) -> str:
    match = _BEGIN.match(text, index)
    return match.group(1) if match else ""


@functools.lru_cache(maxsize=4)
def _line_breaks(text: str) -> list[int]:
    return [index for index, character in enumerate(text) if character == "\n"]


def _lines_before(text: str, index: int) -> int:
    """Count the line breaks before ``index``, without rescanning the text."""
    return bisect.bisect_left(_line_breaks(text), index)


def _piece(
    text: str, start: int, end: int, first_line: int, display: bool
) -> MathPiece:
    line = first_line + _lines_before(text, start)
    return MathPiece(text[start:end], line, display)


def _problem(text: str, index: int, first_line: int, reason: str) -> Problem:
    line = first_line + _lines_before(text, index)
    snippet = text[index : index + 40].split("\n")[0]
    return Problem(line, snippet, reason)


# -- LaTeX --------------------------------------------------------------------


class _LatexReader:
    """Scans the body of a LaTeX document for headings, math and tables."""

    def __init__(self, text: str) -> None:
        self.text = _strip_comments(text)
        begin = self.text.find("\\begin{document}")
        self.start = begin + len("\\begin{document}") if begin >= 0 else 0
        end = self.text.find("\\end{document}", self.start)
        self.end = end if end >= 0 else len(self.text)

    def line(self, index: int) -> int:
        return _lines_before(self.text, index) + 1

    def parts(self) -> list[Part]:
        parts: list[Part] = []
        index = self.start
        text = self.text
        pending = index
        special = re.compile(
            r"\\begin\{(tabular|verbatim|lstlisting|tikzpicture|comment)\}|"
            + _HEADING.pattern
        )
        while index < self.end:
            match = special.search(text, index, self.end)
            if match is None:
                break
            parts += self.math_between(pending, match.start())
            if match.group(1) is not None:
                environment = match.group(1)
                closing = f"\\end{{{environment}}}"
                end = text.find(closing, match.end(), self.end)
                if end < 0:
                    parts.append(
                        Problem(
                            self.line(match.start()),
                            match.group(0),
                            f"a \\begin{{{environment}}} that is never ended",
                        )
                    )
                    end = self.end
                    index = pending = end
                    continue
                if environment == "tabular":
                    parts.append(self.tabular(match.end(), end))
                index = pending = end + len(closing)
                continue
            level = _LATEX_HEADINGS[match.group(2)]
            close = _brace_end(text, match.end() - 1)
            title = text[match.end() : close - 1]
            parts.append(Heading(level, _plain_title(title), self.line(match.start())))
            index = pending = close
        parts += self.math_between(pending, self.end)
        return parts

    def math_between(self, start: int, end: int) -> list[Part]:
        if start >= end:
            return []
        segment = self.text[start:end]
        pieces, _, problems = _inline_math(segment, self.line(start), markdown=False)
        return [*pieces, *problems]

    def tabular(self, start: int, end: int) -> Table:
        text = self.text
        close = _brace_end(text, start) if text.startswith("{", start) else start
        spec = text[start + 1 : close - 1] if close > start else ""
        math_columns = [
            item.startswith(">") for item in _MATH_COLUMN.findall(spec) if item != "|"
        ]
        body = text[close:end]
        first_line = self.line(close)
        rows = []
        offset = 0
        for raw_row in _split_top(body, "\\\\"):
            row_line = first_line + body.count("\n", 0, offset)
            offset += len(raw_row) + 2
            cleaned = re.sub(
                r"\\(toprule|midrule|bottomrule|hline|cline\{[^}]*\}|addlinespace(\[[^\]]*\])?)",
                " ",
                raw_row,
            )
            cleaned = re.sub(r"^\s*\[[^\]]*\]", " ", cleaned)
            if not cleaned.strip():
                continue
            leading = len(cleaned) - len(cleaned.lstrip())
            row_line += cleaned[:leading].count("\n")
            cells = []
            for column, raw in enumerate(_split_top(cleaned, "&")):
                is_math = column < len(math_columns) and math_columns[column]
                if is_math:
                    cells.append(Cell("", (MathPiece(raw, row_line, False),), row_line))
                else:
                    pieces, outside, _ = _inline_math(raw, row_line, markdown=False)
                    cells.append(Cell(outside.strip(), tuple(pieces), row_line))
            rows.append(tuple(cells))
        return Table(tuple(rows), first_line)


def _strip_comments(text: str) -> str:
    """Remove LaTeX comments, keeping every line break."""
    return re.sub(r"(?<!\\)%[^\n]*", "", text)


def _brace_end(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{" and text[index - 1] != "\\":
            depth += 1
        elif text[index] == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(text)


def _split_top(text: str, separator: str) -> list[str]:
    """Split at ``separator`` outside braces and math environments."""
    pieces = [""]
    depth = 0
    index = 0
    while index < len(text):
        if text.startswith("\\begin{", index):
            depth += 1
        elif text.startswith("\\end{", index):
            depth -= 1
        character = text[index]
        if character == "{" and (index == 0 or text[index - 1] != "\\"):
            depth += 1
        elif character == "}" and (index == 0 or text[index - 1] != "\\"):
            depth -= 1
        if depth == 0 and text.startswith(separator, index):
            if separator == "&" and index > 0 and text[index - 1] == "\\":
                pieces[-1] += character
                index += 1
                continue
            pieces.append("")
            index += len(separator)
            continue
        pieces[-1] += character
        index += 1
    return pieces


def _plain_title(title: str) -> str:
    text = re.sub(r"\\[A-Za-z]+\s*", "", title)
    return re.sub(r"[{}$]", "", text).strip()
