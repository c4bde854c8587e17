"""BLAS threading for small-matrix work.

The factor-analysis fits do many operations on p × p matrices (p ≈ 10–40). A
multi-threaded BLAS only adds synchronisation cost there, and on a busy machine it can make
an eigen-decomposition of a 36 × 36 matrix fifty times slower. The fitting functions
therefore run with BLAS limited to one thread (through ``threadpoolctl``, which scikit-learn
installs; without it nothing changes). The results are the same either way.
"""

from __future__ import annotations

import functools
from contextlib import nullcontext
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def single_blas_thread() -> Any:
    """Context manager limiting BLAS to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                      # pragma: no cover - threadpoolctl ships with sklearn
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def small_matrix_work(func: F) -> F:
    """Decorator: run ``func`` with :func:`single_blas_thread`."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_blas_thread():
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
