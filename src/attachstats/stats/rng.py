"""Every seed formula of the library: how a run's one seed becomes independent streams.

A result must depend only on the run's seed and on *what* is computed, never on the order
in which things are computed or on how work is split. Each function below names one
derivation and states its formula; no other module builds a generator from a seed.

All generators are NumPy ``PCG64`` generators (``numpy.random.default_rng``) seeded by a
``SeedSequence`` of a short list of integers. ``default_rng([a, b])`` and
``default_rng(SeedSequence([a, b]))`` are the same stream (``default_rng`` wraps a list in
a ``SeedSequence``), so the formulas are written as entropy lists.

R has no equivalent of named streams; the closest is ``set.seed(seed)`` before each step,
which makes results depend on the order of steps.

Examples
--------
>>> a = named_rng(1, "reliability").random()
>>> b = named_rng(1, "reliability").random()
>>> a == b, a == named_rng(1, "mediation").random()
(True, False)
>>> stream_seed(20260301, "parallel") == stream_seed(20260301, "parallel")
True
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["name_key", "named_rng", "stream_rng", "stream_seed", "replication_rng", "truth_rng", "seeded_rng", "STREAMS", "SIM_STREAMS"]

#: Numbered streams of the factor analysis (``stream_seed``): parallel analysis, split halves.
STREAMS: dict[str, int] = {"parallel": 1, "split": 2}

#: Streams of the simulator (``stream_rng``): item parameters, respondents of the export,
#: the mess added to the export, the large sample of the population truth.
SIM_STREAMS: dict[str, int] = {"items": 0, "sample": 1, "mess": 2, "truth": 3}


def name_key(name: str) -> int:
    """The integer standing for a name in a seed: ``zlib.crc32(name.encode("utf-8"))``.

    >>> name_key("reliability")
    660041096
    """
    return zlib.crc32(name.encode("utf-8"))


def named_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of one named purpose (a bootstrap, a model's imputations).

    Formula: ``default_rng(SeedSequence([seed, crc32(utf8(name))]))``; it depends on the
    run's seed and the name only, so adding or reordering models does not change it.

    Parameters
    ----------
    seed : int
        The run's seed.
    name : str
        What the stream is for, e.g. ``"reliability"`` or a model name.

    Examples
    --------
    >>> float(named_rng(0, "m1").random()) == float(named_rng(0, "m1").random())
    True
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed), name_key(name)]))


def stream_rng(seed: int, stream: int | str) -> np.random.Generator:
    """The generator of a numbered stream of the simulator.

    Formula: ``default_rng(SeedSequence([seed, stream]))``, with ``stream`` a number or a
    key of :data:`SIM_STREAMS` (``items`` 0, ``sample`` 1, ``mess`` 2, ``truth`` 3).

    Examples
    --------
    >>> float(stream_rng(5, "mess").random()) == float(stream_rng(5, 2).random())
    True
    """
    number = SIM_STREAMS[stream] if isinstance(stream, str) else int(stream)
    return np.random.default_rng(np.random.SeedSequence([int(seed), number]))


def stream_seed(seed: int, stream: str) -> int:
    """An integer seed for one random step of the factor analysis.

    Formula: ``int(SeedSequence([seed, STREAMS[stream]]).generate_state(1)[0])`` with
    :data:`STREAMS` = ``{"parallel": 1, "split": 2}``: the first 32-bit word of the
    sequence's state. The integer is reported (e.g. in the cross-validation table) and
    passed on as the seed of ``default_rng``.

    Parameters
    ----------
    seed : int
        The run's seed.
    stream : {"parallel", "split"}

    Examples
    --------
    >>> isinstance(stream_seed(1, "split"), int)
    True
    """
    return int(np.random.SeedSequence([int(seed), STREAMS[stream]]).generate_state(1)[0])


def replication_rng(seed: int, n: int, replication: int) -> np.random.Generator:
    """The generator of one Monte Carlo replication at sample size ``n``.

    Formula: ``default_rng(SeedSequence([seed, n, replication]))``, so a replication's data
    do not depend on how replications are split across jobs. The power analysis's
    large "truth" sample uses ``SeedSequence([seed, 0, 0, 1])`` (:func:`truth_rng`).

    Examples
    --------
    >>> float(replication_rng(1, 50, 3).random()) == float(replication_rng(1, 50, 3).random())
    True
    """
    return np.random.default_rng(np.random.SeedSequence([seed, n, replication]))


def seeded_rng(seed: int) -> np.random.Generator:
    """The generator of a step that received its own integer seed (e.g. from :func:`stream_seed`).

    Formula: ``default_rng(seed)``.
    """
    return np.random.default_rng(seed)


def truth_rng(seed: int) -> np.random.Generator:
    """The generator of the power analysis's large sample of the population truth.

    Formula: ``default_rng(SeedSequence([seed, 0, 0, 1]))`` (no replication uses it: their
    sequences have three words).
    """
    return np.random.default_rng(np.random.SeedSequence([seed, 0, 0, 1]))
