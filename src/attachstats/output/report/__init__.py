"""The HTML report (``html`` + ``templates/``), figure captions from reStructuredText
(``captions``), the factor-analysis sentences (``factor_text``) and the Markdown validation
report (``validation``)."""
