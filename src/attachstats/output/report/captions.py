"""Figure captions: reStructuredText caption files as plain text for the HTML report.

The captions have one source, the workflow's ``workflow/report/<figure>.rst`` files, which
``snakemake --report`` shows too. The library never reads the workflow: the caller passes
the files' text and this module only removes the inline markup a caption uses.

Example
-------
>>> caption_text("Reasons per respondent:\\n``validation/exclusions.csv``.\\n")
'Reasons per respondent: validation/exclusions.csv.'
"""

from __future__ import annotations

import re

__all__ = ["caption_text"]

_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)
_ROLE = re.compile(r":[\w.+-]+:`(.+?)`")                      # :math:`x`, :doc:`page`
_LINK = re.compile(r"`([^`<]+?)\s*<[^`>]*>`__?")             # `text <https://...>`_
_REFERENCE = re.compile(r"`([^`]+?)`__?")                     # `text`_
_INTERPRETED = re.compile(r"`([^`]+?)`")                      # `text`
_STRONG = re.compile(r"(?<![\w*])\*\*(\S(?:.*?\S)?)\*\*(?![\w*])", re.DOTALL)
_EMPHASIS = re.compile(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)")


def _strip_inline(text: str) -> str:
    for pattern in (_ROLE, _LINK, _REFERENCE, _INTERPRETED, _STRONG, _EMPHASIS):
        text = pattern.sub(r"\1", text)
    return _ESCAPE.sub(r"\1", text)


def caption_text(rst: str) -> str:
    """A caption file's reStructuredText as one line of plain text.

    Inline markup is removed and its text kept: ````literal```` (verbatim, nothing inside is
    interpreted), ``*emphasis*``, ``**strong**``, ```interpreted```, roles such as
    ``:math:`x```, hyperlink references ```text <url>`_`` (the text is kept) and backslash
    escapes. Line breaks and runs of white space become one space.

    Parameters
    ----------
    rst : str
        The text of a caption file such as ``workflow/report/flow.rst``.

    Returns
    -------
    str
        The caption as plain text (not HTML-escaped).
    """
    parts = _LITERAL.split(rst)   # even indices: ordinary text; odd: the insides of ``literals``
    text = "".join(part if i % 2 else _strip_inline(part) for i, part in enumerate(parts))
    return " ".join(text.split())
