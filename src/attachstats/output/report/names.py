"""Names for readers in the manuscript: scores, variables, terms and models by their labels.

The manuscript never prints a machine name (``ecr_anxiety``, ``gender[T.Male]``,
``depression_moderation``). :class:`Names` builds the label of each from the study and the
instrument files: a ``label:`` key where the study or instrument gives one, else the
instrument's abbreviation and the subscale (``ECR-R anxiety``, ``PHQ-9 total score``), else
the name in words (``panic_attacks`` → ``panic attacks``). The labels are those of
:func:`attachstats.output.labels.study_labels` (tables and figures use them as they are);
this class gives them as they read inside a sentence, and words model terms with
:meth:`attachstats.output.labels.StudyLabels.term` (one wording of a term for tables and text).

Example
-------
>>> n = Names(scores={"ecr_anxiety": "ECR-R anxiety"}, variables={"gender": "gender"},
...           references={"gender": "Female"})
>>> n.term("gender[T.Male]"), n.term("ecr_anxiety:loss"), n.term("(Intercept)")
('gender (male vs female)', 'ECR-R anxiety × loss', 'intercept')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from attachstats.output.labels import CFA_MODEL_LABELS, StudyLabels, in_text, split_interaction, study_labels

__all__ = ["Names", "study_names", "in_text", "CFA_MODEL_NAMES", "instrument_abbreviation"]

#: The built-in CFA models in words.
CFA_MODEL_NAMES = {"one_factor": "one-factor model", "two_factor": "two-factor model",
                   "two_factor_method": "two-factor model with a method factor for the reverse-keyed items"}

def instrument_abbreviation(inst_id: str) -> str:
    """``ecr-r`` → ``ECR-R``, ``phq-9`` → ``PHQ-9`` (the shipped ids are the abbreviations)."""
    return inst_id.upper()


def _words(name: str) -> str:
    return name.replace("_", " ").strip()


@dataclass
class Names:
    """Labels by machine name (see the module docstring)."""

    scores: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    factors: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)

    def item(self, name: str) -> str:
        """An item column (``ecr_1`` → ``1. fears losing partner's love``; its number alone without a label)."""
        return self.items.get(name) or name

    def var(self, name: str) -> str:
        """A score or variable (``ecr_anxiety`` → ``ECR-R anxiety``)."""
        return self.scores.get(name) or self.variables.get(name) or _words(name)

    def term(self, term: str) -> str:
        """A design column: a variable, a dummy ``gender[T.Male]`` or a product ``a:b``, as
        :meth:`attachstats.output.labels.StudyLabels.term` words it, inside a sentence."""
        labels = StudyLabels(variables={**{k: v for k, v in self.variables.items()}, **self.scores},
                             references=self.references)
        return " × ".join(in_text(labels.term(t)) for t in split_interaction(term))

    def model(self, name: str) -> str:
        """An outcome, mediation or SEM model (``depression_moderation`` → ``depression moderation``)."""
        return self.models.get(name) or _words(name)

    def cfa_model(self, name: str) -> str:
        """A CFA model (``two_factor`` → ``two-factor model``)."""
        return CFA_MODEL_NAMES.get(name) or f"{_words(name)} model"

    def factor(self, name: str) -> str:
        """A latent factor (``anxiety`` → ``anxiety``; ``MR1`` → ``factor 1``)."""
        if name in self.factors:
            return self.factors[name]
        m = re.fullmatch(r"(?:MR|PA|ML|F|RC)(\d+)", str(name))
        return f"factor {m.group(1)}" if m else _words(str(name))


def study_names(study: Mapping[str, Any], labels: StudyLabels | None = None) -> Names:
    """The :class:`Names` of a study: the labels of :func:`attachstats.output.labels.study_labels`
    (the one source of labels for tables, figures and text) as they read inside a sentence.

    A ``label`` key on a study variable or model, or on an instrument's subscale, is used as
    given (first letter lower-cased, :func:`in_text`); otherwise scores are named by
    instrument abbreviation and subscale, and variables and models by their name in words.
    ``labels`` is the study's :class:`~attachstats.output.labels.StudyLabels` when the caller
    has built it already (with the EFA loadings, so that EFA factors are named); otherwise it
    is built from ``study``.
    """
    lab = labels if labels is not None else study_labels(study)
    kinds = lab.kinds
    scores = {k: in_text(v) for k, v in lab.variables.items() if kinds.get(k) == "score"}
    items = {k: v for k, v in lab.variables.items() if kinds.get(k) == "item"}
    variables = {k: in_text(v) for k, v in lab.variables.items() if kinds.get(k, "variable") == "variable"}
    cfa = set(CFA_MODEL_LABELS)
    fa = study.get("factor_analysis") or {}
    cfa |= {m if isinstance(m, str) else m.get("name") for m in fa.get("models") or []}
    models = {k: in_text(v) for k, v in lab.models.items() if k not in cfa}
    factors = {k: in_text(v) for k, v in lab.factors.items()}
    return Names(scores=scores, variables=variables, references=dict(lab.references), models=models,
                 factors=factors, items=items)
