"""The manuscript of a study (``manuscript``: the document model; ``manuscript_html`` and
``manuscript_docx``: its writers), with its reporting rules (``guardrails``), names
(``names``) and reference list (``references``), and the Markdown validation report
(``validation``)."""
