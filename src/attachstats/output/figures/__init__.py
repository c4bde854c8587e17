"""Figures (matplotlib, Agg) at their printed size: ``common`` (sizes, pyplot, saving, the
figure manifest, the text checks), ``data``, ``factor``, ``models`` and ``summary`` (forest
plot, power curve). Each function takes tables and returns a Figure, or ``NotDrawn`` with the
reason when the study has no such analysis; none fits a model."""
