"""The inverse solve: rig weights back to AU channels by bounded least squares.

Per frame, the weights are first turned back into drives (:func:`~._compile.unrespond`: scale,
gain/offset and the response curve undone). The drives ``b`` are then explained by AU values
``a`` in [0, 1]::

    min ||A a - b||^2 + lam^2 ||a||^2   over 0 <= a <= 1

where ``A`` is the rig's drive matrix with its nonlinear terms linearized at every channel = 0.25
(:data:`~._compile.LINEARIZE_AT`).
The tiny Tikhonov term (``lam = 1e-3``) picks the minimum-norm answer where the rig cannot tell
channels apart, so a single ``browInnerUp`` comes back as equal AU1_L and AU1_R.

The unknowns are the *expressible variables*: every channel with a path to some shape, except
that a midline unit (AU25, AU26, ...; both sides equal by design) is one variable for both sides.

Nonlinear terms (products, minima) are handled by fixed-point iteration on what the linearization
misses: ``A a = b - r(a)`` with ``r(a) = P T(a) - D a`` (``T`` the terms, ``P`` their weights, ``D``
their linearization). With the pseudo-inverse ``M`` one step is ``z = M b - (M P) T(a) + (M D) a``,
all matrices precomputed and all frames at once. Should the iteration not settle, each frame
keeps whichever of the iterate and the first, linear answer explains its drives better.

Solving: most frames cost a few matrix-vector products. Frames whose answer leaves [0, 1] by
more than :data:`BOUND_SLACK` are solved frame by frame with the bounds enforced: the active-set
solver of :mod:`._boxls` (scipy's ``lsq_linear`` as its fallback) alternating with fixed-point
iteration on the active set it finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from avatardrive.facs import N_CHANNELS, action_units
from avatardrive.retarget._boxls import (
    box_lsq,
    box_lsq_scipy,
    cholesky_apply,
    cholesky_factor,
)
from avatardrive.retarget._compile import ForwardMap

__all__ = [
    "ACTIVE_SET_ROUNDS",
    "BOUND_SLACK",
    "FIXED_POINT_ITERATIONS",
    "TIKHONOV",
    "InverseModel",
    "build_inverse",
    "solve_drives",
]

F64 = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

#: Weight of the minimum-norm (Tikhonov) term.
TIKHONOV = 1e-3
#: Where the rig's Gram matrix is larger than 1 / RIDGE_SCALE, the Tikhonov term scales with it.
RIDGE_SCALE = 1e-8
#: How far outside [0, 1] an unconstrained answer may fall and still just be clipped.
BOUND_SLACK = 1e-3
#: Most fixed-point iterations for rigs with nonlinear terms.
FIXED_POINT_ITERATIONS = 30
#: Rounds of bounded solve + fixed point on its active set, for frames that reach a bound.
ACTIVE_SET_ROUNDS = 8
#: A frame that reaches a bound is done once the bounded solver moves no value by more than
#: this (a thousandth of the range: far below tracking noise and the round-trip tolerance).
SETTLED = 1e-3
#: Stop iterating once no value moves by more than this.
CONVERGED = 1e-5
#: A channel column with a norm below this has no path to any shape.
NO_PATH = 1e-9


def _variables(matrix: F64) -> tuple[tuple[int, ...], ...]:
    """Channels of each expressible variable; midline units are one variable for both sides."""
    norms = np.linalg.norm(matrix, axis=0)
    found: list[tuple[int, ...]] = []
    for k, unit in enumerate(action_units()):
        left, right = 2 * k, 2 * k + 1
        if unit.midline:
            if norms[left] + norms[right] > NO_PATH:
                found.append((left, right))
            continue
        found.extend((c,) for c in (left, right) if norms[c] > NO_PATH)
    return tuple(found)


def _frozen(array: npt.NDArray[Any]) -> F64:
    result = np.ascontiguousarray(array, dtype=np.float64)
    result.setflags(write=False)
    return result


@dataclass(frozen=True, eq=False)
class InverseModel:
    """Precomputed arrays of a rig's inverse solve (``n`` unknowns, ``S`` shapes, ``K`` terms).

    Attributes
    ----------
    variables : tuple of tuple of int
        Channels of each unknown (two for midline units).
    expand : float64, shape (N_CHANNELS, n)
        ``channels = expand @ unknowns``.
    matrix : float64, shape (S, n)
        Linearized drive of each shape from each unknown (``A``).
    pinv : float64, shape (n, S)
        ``M = (A^T A + lam^2 I)^-1 A^T``.
    hessian : float64, shape (n, n)
        ``A^T A + lam^2 I``.
    stacked : float64, shape (S + n, n)
        ``[A; lam I]`` for scipy's solver.
    linear : float64, shape (S, n)
        The linear part of the drive, per unknown.
    term_weights : float64, shape (S, K)
        ``P``.
    slopes : float64, shape (S, n)
        ``D``, per unknown.
    factors : float64, shape (n_factors, n)
        Term factors from the unknowns.
    prod_index, min_index : intp
        As in :class:`~._compile.ForwardMap`.
    pinv_terms : float64, shape (n, K)
        ``M P``.
    pinv_slopes : float64, shape (n, n)
        ``M D``.
    """

    variables: tuple[tuple[int, ...], ...]
    expand: F64
    matrix: F64
    pinv: F64
    hessian: F64
    stacked: F64
    linear: F64
    term_weights: F64
    slopes: F64
    factors: F64
    prod_index: Ints
    min_index: Ints
    pinv_terms: F64
    pinv_slopes: F64

    @cached_property
    def factors_t(self) -> F64:
        """``factors.T`` with a zero column for the constant factor, shape (n, n_factors + 1)."""
        return _frozen(np.hstack([self.factors.T, np.zeros((self.n_variables, 1))]))

    @cached_property
    def factor_pad(self) -> F64:
        """Zeros, then 1 for the constant factor, shape (n_factors + 1,)."""
        pad = np.zeros(self.factors.shape[0] + 1)
        pad[-1] = 1.0
        return _frozen(pad)

    @cached_property
    def hessian_inverse(self) -> F64:
        try:
            inverse = np.linalg.inv(self.hessian)
        except np.linalg.LinAlgError:  # kept well-posed by the ridge; be safe all the same
            inverse = np.linalg.pinv(self.hessian)
        return _frozen(inverse)

    @cached_property
    def matrix_t(self) -> F64:
        return _frozen(self.matrix.T)

    @cached_property
    def pinv_t(self) -> F64:
        return _frozen(self.pinv.T)

    @cached_property
    def expand_t(self) -> F64:
        return _frozen(self.expand.T)

    @cached_property
    def pinv_terms_t(self) -> F64:
        return _frozen(self.pinv_terms.T)

    @cached_property
    def pinv_slopes_t(self) -> F64:
        return _frozen(self.pinv_slopes.T)

    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def has_terms(self) -> bool:
        return bool(self.term_weights.shape[1])


def build_inverse(fmap: ForwardMap) -> InverseModel:
    """Precompute the inverse solve of a compiled rig."""
    variables = _variables(fmap.linear + fmap.slopes)
    n = len(variables)
    expand = np.zeros((N_CHANNELS, n), dtype=np.float64)
    for v, channels in enumerate(variables):
        expand[list(channels), v] = 1.0
    linear = fmap.linear @ expand
    slopes = fmap.slopes @ expand
    matrix = linear + slopes
    gram = matrix.T @ matrix
    # the minimum-norm term grows with the rig's own scale where that is huge (gains of 1e6):
    # below float64's resolution of the Gram matrix it would leave the system singular
    ridge = TIKHONOV**2 * max(1.0, float(np.max(np.diag(gram), initial=0.0)) * RIDGE_SCALE)
    hessian = gram + ridge * np.eye(n)
    pinv = _solve_or_pinv(hessian, matrix) if n else np.zeros((0, fmap.n_shapes))
    term_weights = fmap.weights[N_CHANNELS:].T.astype(np.float64)
    return InverseModel(
        variables=variables,
        expand=_frozen(expand),
        matrix=_frozen(matrix),
        pinv=_frozen(pinv),
        hessian=_frozen(hessian),
        stacked=_frozen(np.vstack([matrix, np.sqrt(ridge) * np.eye(n)])),
        linear=_frozen(linear),
        term_weights=_frozen(term_weights),
        slopes=_frozen(slopes),
        factors=_frozen(fmap.factors.T.astype(np.float64) @ expand),
        prod_index=fmap.prod_index,
        min_index=fmap.min_index,
        pinv_terms=_frozen(pinv @ term_weights),
        pinv_slopes=_frozen(pinv @ slopes),
    )


def _solve_or_pinv(hessian: F64, matrix: F64) -> F64:
    """``hessian^-1 matrix.T``; the pseudo-inverse of ``matrix`` where that cannot be solved."""
    try:
        solved = np.linalg.solve(hessian, matrix.T)
    except np.linalg.LinAlgError:
        solved = None
    if solved is None or not np.isfinite(solved).all():
        solved = np.linalg.pinv(matrix)
    return np.asarray(solved, dtype=np.float64)


class _Terms:
    """Evaluates the terms of a rig's inverse for a fixed number of frames, reusing a buffer."""

    def __init__(self, model: InverseModel, frames: int) -> None:
        self.model = model
        self.terms = np.empty((frames, model.term_weights.shape[1]), dtype=np.float64)
        self.n_prod = model.prod_index.shape[0]

    def __call__(self, a: F64) -> F64:
        """Term values of the unknowns ``a`` (frames, n), shape (frames, K); a shared buffer."""
        model, terms, n_prod = self.model, self.terms, self.n_prod
        values = np.dot(a, model.factors_t)  # np.dot: less overhead than @ for small arrays
        values += model.factor_pad  # the last factor is the constant 1 that pads short terms
        if n_prod:
            np.multiply.reduce(values[:, model.prod_index], axis=2, out=terms[:, :n_prod])
        if model.min_index.shape[0]:
            np.minimum.reduce(values[:, model.min_index], axis=2, out=terms[:, n_prod:])
        return terms


def _clip(values: F64) -> F64:
    """``values`` clipped into [0, 1], in place (two ufunc calls; ``np.clip`` costs more)."""
    np.maximum(values, 0.0, out=values)
    np.minimum(values, 1.0, out=values)
    return values


def _misfit(model: InverseModel, a: F64, drives: F64) -> F64:
    """Squared distance between the clipped model drives of ``a`` and ``drives``, per frame."""
    drive = a @ model.linear.T
    if model.has_terms:
        drive += _Terms(model, a.shape[0])(a) @ model.term_weights.T
    _clip(drive)
    drive -= drives
    result: F64 = np.einsum("ij,ij->i", drive, drive)
    return result


def _outside(z: F64) -> npt.NDArray[np.bool_]:
    outside: npt.NDArray[np.bool_] = np.any((z < -BOUND_SLACK) | (z > 1.0 + BOUND_SLACK), axis=1)
    return outside


def _fixed_point(model: InverseModel, z0: F64) -> tuple[F64, F64, bool]:
    """Iterate ``z = M b - (M P) T(a) + (M D) a`` over all frames.

    Returns the last ``a`` (clipped), the last ``z`` and whether the iteration converged. Every
    call in the loop is a ufunc or BLAS call on same-shaped arrays (the cheapest numpy path).
    """
    terms = _Terms(model, z0.shape[0])
    zeros, ones = np.zeros_like(z0), np.ones_like(z0)
    a = np.minimum(np.maximum(z0, zeros), ones)
    z = z0
    limit = CONVERGED**2
    for _ in range(FIXED_POINT_ITERATIONS):
        z = np.dot(a, model.pinv_slopes_t)
        z += z0
        z -= np.dot(terms(a), model.pinv_terms_t)
        following = np.maximum(z, zeros)
        np.minimum(following, ones, out=following)
        a -= following
        flat = a.ravel()
        moved = float(np.dot(flat, flat))
        a = following
        if moved < limit:
            return a, z, True
    return a, z, False


def _bounded(model: InverseModel, rhs: F64, start: F64) -> F64:
    """One frame's bounded, regularized least-squares answer (active set, then scipy)."""
    result = box_lsq(
        model.hessian, np.dot(model.matrix_t, rhs), start, inverse=model.hessian_inverse
    )
    if result is None:
        padded = np.concatenate([rhs, np.zeros(model.n_variables)])
        result = box_lsq_scipy(model.stacked, padded)
    return result


def _rest(model: InverseModel, terms: _Terms, a: F64) -> F64:
    """What the linearization misses for one frame: ``P T(a) - D a``, shape (S,)."""
    rest: F64 = np.dot(model.term_weights, terms(a[None, :])[0]) - np.dot(model.slopes, a)
    return rest


def _on_face(model: InverseModel, terms: _Terms, b: F64, a: F64) -> F64:
    """Fixed-point iteration for one frame with the active set of ``a`` held.

    The free variables ``f`` solve ``H_ff a_f = A_f^T (b - r(a)) - H_fB a_B`` with the bound ones
    where they are; ``H_ff`` is factored once (Cholesky) and each step is one triangular solve
    with a single right-hand side (LAPACK with many right-hand sides spins up threads, which
    costs more than it saves at this size). Stops when the free variables settle, or when one of
    them would leave [0, 1] (the bounded solver then picks a new active set).
    """
    f = np.flatnonzero((a > 0.0) & (a < 1.0))
    if f.size == 0:
        return a
    fixed = np.flatnonzero((a <= 0.0) | (a >= 1.0))
    rows = model.hessian[f]
    factor = cholesky_factor(rows[:, f])
    if factor is None:
        return a
    held = np.dot(rows[:, fixed], a[fixed])
    projection = model.matrix_t[f]
    current = a.copy()
    for _ in range(FIXED_POINT_ITERATIONS):
        step = cholesky_apply(factor, np.dot(projection, b - _rest(model, terms, current)) - held)
        if step.min() < 0.0 or step.max() > 1.0:
            break
        step -= current[f]
        current[f] += step
        if max(step.max(), -step.min()) < SETTLED / 10:  # the bounded solve that follows
            break  # checks the result to SETTLED anyway
    return current


def _solve_row(model: InverseModel, b: F64, start: F64) -> F64:
    """One frame with the bounds enforced exactly, from a first guess.

    Alternates fixed-point iteration on an active set (cheap: one small factorization) with the
    bounded solver (which settles the active set), until the bounded solver moves nothing. The
    terms and the bounds can make the plain alternation flip between two active sets, so after
    the first rounds each step goes half way, and the best iterate is kept.
    """
    if not model.has_terms:
        return _bounded(model, b, start)
    terms = _Terms(model, 1)
    a = np.clip(start, 0.0, 1.0)
    best, best_misfit = a, np.inf
    for round_ in range(ACTIVE_SET_ROUNDS):
        a = _on_face(model, terms, b, a)
        following = _bounded(model, b - _rest(model, terms, a), a)
        moved = float(np.abs(following - a).max())
        if moved < SETTLED:
            return following
        if round_ < 2:  # most frames settle within two rounds
            best = a = following
            continue
        misfit = float(_misfit(model, following[None, :], b[None, :])[0])
        if misfit < best_misfit:
            best, best_misfit = following, misfit
        a = 0.5 * (a + following)  # half way: the box is convex, so this stays inside
    return best


def solve_drives(model: InverseModel, drives: F64) -> F64:
    """AU channel estimates for some frames of drives.

    Parameters
    ----------
    model
        The rig's inverse.
    drives : float64, shape (frames, n_shapes)
        Drives in [0, 1] (from :func:`~._compile.unrespond`).

    Returns
    -------
    float64, shape (frames, N_CHANNELS)
        AU channels in [0, 1]; channels the rig cannot express are 0.
    """
    if model.n_variables == 0:
        return np.zeros((drives.shape[0], N_CHANNELS), dtype=np.float64)
    z0 = np.dot(drives, model.pinv_t)
    a = _clip(z0.copy())
    early = _outside(z0)  # frames whose linear answer already leaves [0, 1]
    late = np.zeros_like(early)
    inside = np.flatnonzero(~early)
    if model.has_terms and inside.size:
        iterated, z, converged = _fixed_point(model, z0[inside])
        if not converged:  # keep the linear answer where iterating made things worse
            worse = _misfit(model, iterated, drives[inside]) > _misfit(
                model, a[inside], drives[inside]
            )
            iterated[worse] = a[inside][worse]
        a[inside] = iterated
        late[inside] = _outside(z)
    for row in np.flatnonzero(early):  # the bounded path, frame by frame
        a[row] = _solve_row(model, drives[row], z0[row])
    for row in np.flatnonzero(late):
        a[row] = _solve_row(model, drives[row], a[row])
    channels: F64 = np.dot(a, model.expand_t)
    return channels
