"""attachstats: a reproducible statistics pipeline for adult-attachment research.

The library is layered (README, "Layout"): ``spec`` (what a study, an instrument and a model
are), ``stats`` (pure statistics), ``sim`` (simulator and power analysis), ``data`` (raw
export to clean, scored rows), ``output`` (formatting only) and ``steps`` (one function per
workflow rule, the only floor that joins a study, its files and the statistics). The
Snakemake workflow in the repository root calls ``steps``.
"""

__version__ = "0.1.0"
