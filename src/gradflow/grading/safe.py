"""Making learner-controlled text safe to open: in Markdown/HTML feedback, and in spreadsheets (CSV)."""

from __future__ import annotations

import html
import re

MARKDOWN = re.compile(r"([\\`*_{}\[\]#|~!])")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value: str, limit: int = 300) -> str:
    """``value`` as inert Markdown on one line: HTML escaped, Markdown punctuation backslashed, at most ``limit``."""
    one_line = " ".join(str(value).split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1] + "…"
    return MARKDOWN.sub(r"\\\1", html.escape(one_line, quote=True))


def block(value: str, limit: int = 1500) -> str:
    """``value`` (e.g. a program's output) as a fenced code block that its content cannot close."""
    tail = str(value)[-limit:].replace("\r", "")
    longest = max((len(run) for run in re.findall(r"`+", tail)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{tail}\n{fence}"


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula: text starting with = + - @ tab or CR gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
