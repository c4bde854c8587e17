# attachstats — the two commands a user needs: `make run` and `make test`.
# Both create .venv with the pinned versions in requirements.lock on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
CORES  ?= 2
SIZES  ?= 10000 100000 1000000

.PHONY: run test test-fast install lock clean example-data power report bench bench-iterate

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --show-failed-logs

test: $(STAMP)
	$(BIN)/python -m pytest

# The edit-test loop: unit tests only (no workflow runs), about a minute.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit

install: $(STAMP)

# Snakemake's own HTML report of the last run (figures with captions).
report: $(STAMP)
	$(BIN)/snakemake --report results/snakemake-report.html

# Monte Carlo power analysis from config/power.yaml (results/power/).
power: $(STAMP)
	$(BIN)/snakemake power --cores $(CORES) --show-failed-logs

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Benchmark of the factor analysis on the full open ECR data (../shared), against lavaan/psych
# when Rscript is installed; writes benchmarks/latest/factor.{json,md}. Not a test.
# Then the ordinal (WLSMV) CFA against lavaan on the same data: benchmarks/latest/ordinal.{json,md}.
# Then the scale benchmark: the whole example pipeline on SIZES simulated respondents and on
# the full open ECR data, per-stage time and memory; writes benchmarks/latest/scale.{json,md}.
# Then the iteration benchmark (bench-iterate below).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_factor.py
	$(BIN)/python benchmarks/bench_ordinal.py
	$(BIN)/python benchmarks/bench_scale.py --cores $(CORES) --sizes $(SIZES)
	$(BIN)/python benchmarks/bench_iterate.py --cores $(CORES) --base $(BASE)

# The example study cold, no-op, after a screening change and after a model change, for the
# working tree and for BASE (default main) side by side; writes benchmarks/latest/iterate.{json,md}.
# BENCH_FLAGS=--make-test also times `make test`; BENCH_FLAGS="--repeat 3" takes medians of three.
# From a checkout without its own .venv (a git worktree), use an existing environment as is,
# without reinstalling the package into it: make bench-iterate VENV=/path/to/.venv STAMP=
BASE ?= main
bench-iterate: $(STAMP)
	$(BIN)/python benchmarks/bench_iterate.py --cores $(CORES) --base $(BASE) $(BENCH_FLAGS)

# Regenerate the embedded example data set byte for byte (see README, "The example data").
example-data: $(STAMP)
	$(BIN)/attachstats simulate --config config/simulation/example.yaml --out data/example

# Re-resolve the pinned dependency set (maintainers only; commit the result).
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet --upgrade setuptools
	.lockvenv/bin/pip install --quiet -e '.[test]'
	(echo '# Pinned dependency set for attachstats (regenerate with make lock).'; \
	 .lockvenv/bin/pip freeze --all --exclude-editable | grep -v -e '^attachstats' -e '^pip==') > requirements.lock
	rm -rf .lockvenv
	$(PYTHON) .ci/env_from_lock.py

clean:
	rm -rf results .snakemake
