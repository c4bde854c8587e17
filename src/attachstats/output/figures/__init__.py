"""Figures (matplotlib, Agg): ``common`` (sizes, pyplot, saving, the one placeholder), ``data``,
``factor``, ``models`` and ``summary`` (forest plot, power curve). Each function takes tables and
returns a Figure; none fits a model."""
