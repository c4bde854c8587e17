"""Outcome models: ``design`` (design matrices, aliasing, complete rows), ``ols`` (HC0–HC3 as
sandwich), ``glm`` (logit, Poisson, negative binomial as glm / MASS::glm.nb), ``moderation``
(simple slopes, Johnson–Neyman), ``mediation`` (bootstrapped indirect effect), ``imputation``
(chained-equations PMM and Rubin's rules, as mice) and ``outcomes`` (a declared model, fitted)."""
