"""attachstats: a reproducible statistics pipeline for adult-attachment research.

The library is organised by concern (``io``, ``validate``, ``careless``, ``scoring``,
``reliability``, ``cfa``, ``regression``, ``tables``, ``figures``, ``report``,
``simulate``, ``provenance``); the Snakemake workflow in the repository root calls it.
"""

__version__ = "0.1.0"
