"""Pure statistics: DataFrames/arrays and explicit options in, results out.

Never a study mapping, never formatting. ``latent/`` (CFA, MLR, FIML, invariance, SEM on one
engine), ``regression/`` (OLS, GLMs, moderation, mediation, imputation), and flat modules for
careless responding, descriptives, reliability, omega, EFA, bootstrap, meta-analysis,
cross-study tables, attachment styles, change between two measurements and every seed formula (``rng``). Each function names
its R equivalent and is checked against it (``tests/fixtures``).
"""
