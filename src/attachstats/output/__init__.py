"""Formatting only: ``numbers`` (the one number formatter), ``labels``, ``apa`` (one table model,
four writers), ``tables``, ``figures/``, ``report/`` and ``provenance``. Imports ``spec`` only;
it reads result tables and never fits or re-derives a statistic."""
