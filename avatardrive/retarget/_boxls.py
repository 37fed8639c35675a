"""Box-constrained least squares on precomputed normal equations.

The inverse solve asks, per frame, for ``argmin ||A a - b||^2 + lam^2 ||a||^2`` over
``0 <= a <= 1``. With ``H = A^T A + lam^2 I`` fixed per rig, that is the quadratic program
``min 1/2 a^T H a - g^T a`` over the box, ``g = A^T b``. :func:`box_lsq` solves it with a primal
active-set method in the manner of Stark & Parker's BVLS, on the normal equations: solve on the
free variables; if that leaves the box, bind the variables that left it (in the first iterations
all at once, later only the first one met on the way, which never raises the objective); free
every bound variable whose gradient points into the box; repeat. Warm-started
from the clipped unconstrained solution, realistic frames need one to three small Cholesky solves
(about 0.05 ms, against about 3 ms for :func:`scipy.optimize.lsq_linear` on the same problem),
and scipy remains the fallback should the active set not settle. tests/test_retarget.py checks
the two agree.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

import numpy as np
import numpy.typing as npt

__all__ = [
    "box_lsq",
    "box_lsq_scipy",
    "cholesky_apply",
    "cholesky_factor",
    "cholesky_solve",
]

F64 = npt.NDArray[np.float64]


@cache
def _lapack() -> ModuleType:
    """scipy's LAPACK wrappers, imported on first use: the forward map never needs scipy."""
    return importlib.import_module("scipy.linalg.lapack")


#: Active-set iterations before handing over to scipy.
MAX_ITERATIONS = 60
#: First iterations that bind every variable leaving the box at once (fast, but the objective may
#: rise); later ones step to the first bound only (slower, never rising, so the method settles).
PROJECTED_ITERATIONS = 8
#: A starting value this close to a bound starts on the bound (the optimality check frees it
#: again if it should move).
SNAP = 1e-9


def cholesky_factor(matrix: F64) -> F64 | None:
    """The Cholesky factor of a small symmetric positive definite matrix, or ``None``.

    LAPACK ``dpotrf`` straight from scipy: several times faster than ``np.linalg`` for these
    sizes (no LU, no Python-level checks).
    """
    factor, info = _lapack().dpotrf(matrix)
    return None if info != 0 else np.asarray(factor, dtype=np.float64)


def cholesky_apply(factor: F64, rhs: F64) -> F64:
    """Solve with a factor from :func:`cholesky_factor`, for one right-hand side of shape (n,).

    One right-hand side at a time: with several, LAPACK starts threads, which costs more than it
    saves at this size (and far more on a busy machine).
    """
    solution, _ = _lapack().dpotrs(factor, rhs)
    return np.asarray(solution, dtype=np.float64)


def cholesky_solve(matrix: F64, rhs: F64) -> F64:
    """Solve a small symmetric positive definite system, one right-hand side of shape (n,)."""
    factor = cholesky_factor(matrix)
    if factor is None:  # not positive definite: cannot happen with the Tikhonov term; be safe
        return np.asarray(np.linalg.lstsq(matrix, rhs, rcond=None)[0], dtype=np.float64)
    return cholesky_apply(factor, rhs)


def _subspace_min(hessian: F64, inverse: F64, g: F64, a: F64, free: npt.NDArray[np.bool_]) -> F64:
    """Minimize over the free variables with the others held where they are.

    Solves whichever system is smaller: the free block of ``H`` (few free variables), or, through
    the precomputed ``H^-1``, a Lagrange multiplier per bound variable (few bound ones).
    """
    f = np.flatnonzero(free)
    b = np.flatnonzero(~free)
    if b.size == 0:
        everything: F64 = np.dot(inverse, g)
        return everything
    if f.size <= b.size:
        held = a.copy()
        if f.size:
            rows = hessian[f]  # rows, then columns: np.ix_ costs ten times more
            held[f] = cholesky_solve(rows[:, f], g[f] - np.dot(rows[:, b], a[b]))
        return held
    unconstrained = np.dot(inverse, g)
    columns = inverse[:, b]
    multipliers = cholesky_solve(columns[b], a[b] - unconstrained[b])
    z: F64 = unconstrained + np.dot(columns, multipliers)
    z[b] = a[b]  # exact, whatever the rounding
    return z


def _step_to_box(a: F64, z: F64, free: npt.NDArray[np.bool_]) -> tuple[F64, int]:
    """Walk from feasible ``a`` toward ``z`` until the first free variable meets a bound."""
    f = np.flatnonzero(free)
    af = a[f]
    d = z[f] - af
    room = np.where(d < 0.0, af, 1.0 - af)  # distance to the bound it is heading for
    t = np.divide(room, np.abs(d), out=np.full(f.size, np.inf), where=d != 0.0)
    k = int(t.argmin())
    step = min(max(float(t[k]), 0.0), 1.0)
    moved = z - a
    moved *= step
    moved += a
    np.maximum(moved, 0.0, out=moved)
    np.minimum(moved, 1.0, out=moved)
    j = int(f[k])
    moved[j] = 0.0 if d[k] < 0.0 else 1.0
    return moved, j


def box_lsq(
    hessian: F64, g: F64, start: F64, *, inverse: F64 | None = None, tol: float = 1e-8
) -> F64 | None:
    """Minimize ``1/2 a^T H a - g^T a`` over ``0 <= a <= 1`` (H symmetric positive definite).

    Parameters
    ----------
    hessian : float64, shape (n, n)
    g : float64, shape (n,)
    start : float64, shape (n,)
        A first guess, clipped into the box (the clipped unconstrained solution works well);
        values within 1e-9 of a bound start on it.
    inverse : float64, shape (n, n), optional
        ``H^-1``, when precomputed: lets a step with few bound variables solve a small system.
    tol : float
        Gradient tolerance of the optimality check, relative to ``1 + max |g|``.

    Returns
    -------
    float64 array, shape (n,), or None
        The minimizer, or ``None`` if the active set did not settle within ``MAX_ITERATIONS``.
    """
    if inverse is None:
        inverse = np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    a = np.where(start < SNAP, 0.0, np.where(start > 1.0 - SNAP, 1.0, start))
    free = (a > 0.0) & (a < 1.0)
    limit = tol * (1.0 + float(np.abs(g).max(initial=0.0)))
    for iteration in range(MAX_ITERATIONS):
        z = _subspace_min(hessian, inverse, g, a, free)
        zf = z[free]
        if zf.size == 0 or (zf.min() >= 0.0 and zf.max() <= 1.0):
            a = z
            grad = np.dot(hessian, a) - g
            wrong = ~free & (((a <= 0.0) & (grad < -limit)) | ((a >= 1.0) & (grad > limit)))
            if not wrong.any():
                return a
            free |= wrong  # all at once: fewer rounds; the step back to the box keeps descent
        elif iteration < PROJECTED_ITERATIONS:  # bind every variable that left the box at once
            outside = free & ((z < 0.0) | (z > 1.0))
            a = np.minimum(np.maximum(z, 0.0), 1.0)
            free &= ~outside
        else:  # the careful step: stop at the first bound (the objective never rises)
            a, j = _step_to_box(a, z, free)
            free[j] = False
    return None


def box_lsq_scipy(matrix: F64, rhs: F64) -> F64:
    """The same problem, stated as ``min ||matrix a - rhs||`` on [0, 1], solved by scipy (BVLS).

    Parameters
    ----------
    matrix : float64, shape (m, n)
        Already including the Tikhonov rows ``lam * I``.
    rhs : float64, shape (m,)
        Already including the zero rows.
    """
    from scipy.optimize import lsq_linear  # rarely needed: imported on first use

    result = lsq_linear(matrix, rhs, bounds=(0.0, 1.0), method="bvls")
    return np.asarray(result.x, dtype=np.float64)
