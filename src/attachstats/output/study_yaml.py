"""A :class:`~attachstats.spec.draft.StudyDraft` as a commented YAML study file.

Formatting only: the mapping is written as it is (block style for nested mappings and
lists of mappings, flow style for short mappings and lists of scalars, as the shipped
study files are written), each key with the comments the draft holds for it. The text
parses back to exactly ``draft.study``.

Example
-------
>>> from attachstats.spec.draft import Comment, StudyDraft
>>> print(render_draft(StudyDraft({"data": {"path": "s.csv"}, "id_column": "ResponseId"},
...                               {("id_column",): Comment(inline="unique, one per row")})), end="")
data:
  path: s.csv
id_column: ResponseId   # unique, one per row
"""

from __future__ import annotations

from typing import Any, Mapping

import yaml

from attachstats.spec.draft import Comment, KeyPath, StudyDraft

__all__ = ["render_draft", "yaml_scalar"]

#: longest line a flow-style value may make before the value is written in block style
FLOW_WIDTH = 100
#: comment lines are wrapped at this width
COMMENT_WIDTH = 100
INDENT = "  "


def yaml_scalar(value: Any) -> str:
    """``value`` (a scalar, or a short list or mapping) as one line of YAML, quoted where needed."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6, allow_unicode=True)
    text = text.rstrip("\n")
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text


def _is_flat(value: Any) -> bool:
    scalars = (str, int, float, bool, type(None))
    if isinstance(value, list):
        return all(isinstance(v, scalars) or (isinstance(v, list) and all(isinstance(x, scalars) for x in v))
                   for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(v, scalars) or (isinstance(v, list) and all(isinstance(x, scalars) for x in v))
                   for v in value.values())
    return True


def _comment_lines(lines: tuple[str, ...], indent: str, width: int = COMMENT_WIDTH) -> list[str]:
    """Comment lines, long ones wrapped at word boundaries (continuations indented)."""
    out = []
    for line in lines:
        lead = line[: len(line) - len(line.lstrip(" "))]
        cur = ""
        for word in line.split():
            if cur and len(indent) + 2 + len(cur) + 1 + len(word) > width:
                out.append(f"{indent}# {cur}")
                cur = f"{lead}  {word}"
            else:
                cur = f"{cur} {word}" if cur else f"{lead}{word}"
        out.append(f"{indent}# {cur}".rstrip())
    return out


def _with_inline(line: str, comment: Comment | None) -> str:
    return f"{line}   # {comment.inline}" if comment and comment.inline else line


def _emit_mapping(m: Mapping[str, Any], path: KeyPath, depth: int, comments: Mapping[KeyPath, Comment],
                  out: list[str]) -> None:
    indent = INDENT * depth
    for key, value in m.items():
        p = (*path, key)
        c = comments.get(p)
        if c:
            out.extend(_comment_lines(c.above, indent))
        head = f"{indent}{yaml_scalar(key)}:"
        flat = (not isinstance(value, (list, Mapping))) or (
            (depth > 0 or isinstance(value, list)) and _is_flat(value)
            and len(head) + 1 + len(yaml_scalar(value)) <= FLOW_WIDTH)
        if flat:
            out.append(_with_inline(f"{head} {yaml_scalar(value)}", c))
        elif isinstance(value, Mapping):
            out.append(_with_inline(head, c))
            _emit_mapping(value, p, depth + 1, comments, out)
        else:
            out.append(_with_inline(head, c))
            _emit_list(value, p, depth + 1, comments, out)
        if c and c.after:
            out.extend(_comment_lines(c.after, INDENT * (depth + 1)))


def _emit_list(items: list[Any], path: KeyPath, depth: int, comments: Mapping[KeyPath, Comment],
               out: list[str]) -> None:
    indent = INDENT * depth
    for k, item in enumerate(items):
        p = (*path, k)
        c = comments.get(p)
        if c:
            out.extend(_comment_lines(c.above, indent))
        if isinstance(item, Mapping) and item and not (_is_flat(item) and len(yaml_scalar(item)) <= FLOW_WIDTH):
            sub: list[str] = []
            _emit_mapping(item, p, depth + 1, comments, sub)
            j = next(i for i, line in enumerate(sub) if not line.lstrip().startswith("#"))
            out.extend(line[len(INDENT):] for line in sub[:j])       # comments above the first key
            out.append(_with_inline(f"{indent}- {sub[j][len(INDENT * (depth + 1)):]}", c))
            out.extend(sub[j + 1:])
        else:
            out.append(_with_inline(f"{indent}- {yaml_scalar(item)}", c))


def render_draft(draft: StudyDraft) -> str:
    """The draft as YAML text: header comments, the mapping with its comments, footer comments.

    Parameters
    ----------
    draft : StudyDraft
        The mapping and its comments (:mod:`attachstats.spec.draft`).

    Returns
    -------
    str
        YAML whose ``yaml.safe_load`` equals ``draft.study``; every line starting ``#`` is a
        comment. R equivalent: none (``yaml::write_yaml`` writes no comments).
    """
    out = _comment_lines(draft.header, "")
    _emit_mapping(draft.study, (), 0, draft.comments, out)
    if draft.footer:
        out.append("")
        out.extend(_comment_lines(draft.footer, ""))
    return "\n".join(out) + "\n"
