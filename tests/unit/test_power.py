import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from attachstats.errors import ConfigError
from attachstats.sim.power import PowerSpec, monte_carlo, power_summary, run_chunk, summarise

from conftest import ROOT


# The closed form the Monte Carlo is checked against (a test oracle, not library code).
def correlation_power_exact(rho: float, n: int, alpha: float = 0.05) -> float:
    """Exact power of the two-sided test of a Pearson correlation (bivariate normal data).

    Integrates the exact density of the sample correlation (Hotelling, 1953) over the
    rejection region ``|r| > r_crit``, with ``r_crit`` from the t test on n − 2 df.
    """
    t = stats.t.ppf(1 - alpha / 2, n - 2)
    r_crit = t / np.sqrt(n - 2 + t * t)

    def density(r: np.ndarray) -> np.ndarray:
        log_c = (np.log(n - 2) + special.gammaln(n - 1) - 0.5 * np.log(2 * np.pi) - special.gammaln(n - 0.5)
                 + (n - 1) / 2 * np.log1p(-rho * rho))
        return np.exp(log_c + (n - 4) / 2 * np.log1p(-r * r) - (n - 1.5) * np.log1p(-rho * r)) * \
            special.hyp2f1(0.5, 0.5, n - 0.5, (1 + rho * r) / 2)

    upper = integrate.quad(density, r_crit, 1, limit=200)[0]
    lower = integrate.quad(density, -1, -r_crit, limit=200)[0]
    return float(upper + lower)


def bivariate(rho):
    return lambda n, rng: rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)


def pearson_p(x):
    return stats.pearsonr(x[:, 0], x[:, 1]).pvalue


def test_exact_correlation_power_known_values():
    assert correlation_power_exact(0.0, 30) == pytest.approx(0.05, abs=1e-6)   # size of the test
    # G*Power 3.1, exact bivariate-normal test, two-tailed, alpha .05, power .80: the smallest
    # sufficient n is 782 for rho = .1, 84 for rho = .3 and 29 for rho = .5
    for rho, n in [(0.1, 782), (0.3, 84), (0.5, 29)]:
        assert correlation_power_exact(rho, n) >= 0.80 > correlation_power_exact(rho, n - 1)


def test_monte_carlo_recovers_closed_form_power():
    p = monte_carlo(bivariate(0.3), pearson_p, n=50, replications=2000, seed=11)
    power, mcse = power_summary(p)
    exact = correlation_power_exact(0.3, 50)
    assert abs(power - exact) < 3 * mcse, (power, exact, mcse)
    assert 0.009 < mcse < 0.013


def test_replications_do_not_depend_on_chunking():
    a = monte_carlo(bivariate(0.2), pearson_p, n=40, replications=10, seed=3)
    b = np.concatenate([monte_carlo(bivariate(0.2), pearson_p, n=40, replications=range(0, 4), seed=3),
                        monte_carlo(bivariate(0.2), pearson_p, n=40, replications=range(4, 10), seed=3)])
    np.testing.assert_array_equal(a, b)


SPEC = {"simulation": str(ROOT / "config" / "simulation" / "example.yaml"), "sample_sizes": [80], "replications": 6,
        "chunk_size": 4, "models": [{"name": "dep", "outcome": "phq9_total",
                                     "predictors": ["ecr_anxiety", "ecr_avoidance", "age", "gender"]}],
        "terms": ["ecr_anxiety"]}


def test_pipeline_chunks_identical_whatever_the_chunk_size():
    four = PowerSpec.from_dict(SPEC, seed=5)
    three = PowerSpec.from_dict({**SPEC, "chunk_size": 3}, seed=5)
    assert four.chunks() == [0, 1] and list(four.replications_of(1)) == [4, 5]
    a = pd.concat([run_chunk(four, 80, c) for c in four.chunks()], ignore_index=True)
    b = pd.concat([run_chunk(three, 80, c) for c in three.chunks()], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
    assert a["term"].unique().tolist() == ["ecr_anxiety"] and len(a) == 6


def test_summarise_power_bias_coverage():
    reps = pd.DataFrame({"n": 100, "replication": range(4), "model": "m", "term": "x", "b": [1.0, 2.0, 3.0, 2.0],
                         "se": 0.5, "ci_lo": [0.5, 1.5, 2.5, 1.0], "ci_hi": [1.5, 2.5, 3.5, 3.0],
                         "p": [0.01, 0.2, 0.001, 0.04]})
    row = summarise(reps, {("m", "x"): 2.0}, alpha=0.05).iloc[0]
    assert row["power"] == 0.75 and row["bias"] == 0 and row["coverage"] == 0.5
    assert row["power_mcse"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))


def test_spec_errors():
    with pytest.raises(ConfigError, match="unknown key"):
        PowerSpec.from_dict({**SPEC, "replicates": 3}, seed=1)
    with pytest.raises(ConfigError, match="sample_sizes"):
        PowerSpec.from_dict({**SPEC, "sample_sizes": [5]}, seed=1)
