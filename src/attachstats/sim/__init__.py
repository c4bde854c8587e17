"""The simulator (a documented population model → a messy survey export with known truth) and
the Monte Carlo power analysis built on it. Imports ``spec`` and ``stats`` only."""
