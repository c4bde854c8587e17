"""What a study, an instrument and a model are: parsed once from YAML, checked, typed.

``study`` (schema check, resolution of paths and instruments, :class:`~attachstats.spec.study.StudyPart`),
``instrument`` (+ the shipped ``instruments/*.yaml``), ``models`` (outcome, mediation and SEM
specifications), ``factor`` (the factor-analysis settings), ``styles`` (attachment categories).
No data and no computation here; every other floor may import this one.
"""
