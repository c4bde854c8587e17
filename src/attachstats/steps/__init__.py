"""The workflow's steps: one module per rules file, one function per rule.

Rule ``X`` in ``workflow/rules/F.smk`` runs ``workflow/scripts/X.py``, which calls
:func:`attachstats.steps.F.X` and nothing else. A step reads its input files, joins the
study's settings (a :class:`~attachstats.spec.study.StudyPart` holding only what the rule
reads), its data and the statistics, and writes its output files. This floor is the only
one that knows about files and studies at once; everything below it takes DataFrames and
explicit options, so each statistic can also be called from a notebook.
"""
