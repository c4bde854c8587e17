"""Latent-variable models (lavaan's conventions), floor by floor.

- :mod:`.syntax` — model syntax → parameter table (``lavaanify``: full lavaan syntax, lavaan's
  ``parTable``); syntax writers; name checks
- :mod:`.engine` — covariance-model protocol, CFA model Σ = ΛΨΛ' + Θ, the general
  ``LISRELModel`` of any parameter table, ML discrepancy, the one optimiser, the one
  identification check, data checks
- :mod:`.estimation` — the one driver for parameter tables: ML, MLR, FIML, groups,
  constraints, defined parameters, standardised solutions, R², fit measures, bootstrap
- :mod:`.modindices` — modification indices (score tests)
- :mod:`.api` — ``sem()`` (also ``attachstats.sem``): syntax + DataFrame → fitted model
- :mod:`.fit_indices` — χ², CFI, TLI, RMSEA [CI], SRMR, AIC, BIC; ``FIT_COLUMNS``
- :mod:`.standardise` — ``std.all`` and delta-method standard errors
- :mod:`.mlr`, :mod:`.fiml` — robust ML and full-information ML variants
- :mod:`.cfa` — ``fit_cfa`` (ML, MLR, FIML), ``fit_table``, ``fit_identified``
- :mod:`.invariance`, :mod:`.sem`, :mod:`.comparison` — multiple groups, latent
  regression, nested-model tests (also the WLSMV scaled-shifted difference test)
- :mod:`.polychoric`, :mod:`.ordinal`, :mod:`.ordinal_invariance`, :mod:`.wlsmv` — thresholds, polychoric (and polyserial) correlations and their NACOV;
  ``fit_ordinal_cfa`` (lavaan's WLSMV for ordered items); ordinal invariance steps, also
  partial; ``ORDINAL_ESTIMATORS`` (the hook of ``attachstats.sem``)
"""
