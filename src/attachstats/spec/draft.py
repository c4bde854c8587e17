"""A draft study file: the study mapping ``attachstats init`` proposes, with its comments.

:func:`attachstats.data.detect.draft_study` fills a :class:`StudyDraft` from a raw export;
:func:`attachstats.output.study_yaml.render_draft` writes it as commented YAML. The mapping
in :attr:`StudyDraft.study` is exactly what the written file parses back to, so it can be
checked against the study schema before anything is written.

Example
-------
>>> d = StudyDraft(study={"data": {"path": "s.csv"}}, comments={("data",): Comment(inline="the export")})
>>> d.todos
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: a key path into the study mapping: ``("instruments", "ecr", "columns")``
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Comment:
    """Comment lines around one key of the draft.

    Attributes
    ----------
    above : lines written above the key (without ``#``); a line with ``TODO:`` marks a
        choice ``init`` could not make.
    inline : an end-of-line comment on the key's line.
    after : lines written after the key's block, at its children's indentation (commented
        suggestions such as ``min_seconds_per_item: 2.0``).
    """

    above: tuple[str, ...] = ()
    inline: str = ""
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class StudyDraft:
    """The proposed study mapping, its comments, and header and footer comment lines."""

    study: dict[str, Any]
    comments: dict[KeyPath, Comment] = field(default_factory=dict)
    header: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()

    @property
    def todos(self) -> list[str]:
        """Every line with ``TODO:``, in key order (header and footer included)."""
        lines = list(self.header) + [line for c in self.comments.values() for line in (*c.above, c.inline, *c.after)]
        lines += list(self.footer)
        return [line.strip() for line in lines if "TODO:" in line]
