"""The objective entry and the registry of named objectives.

An objective is ``objective(prediction, target) -> scalar`` (the brainmass
contract). Internally every objective is a *loss* (minimised); its *score*
(greater is better, what ``score`` and the scorers return) follows from how
the loss was built: ``1 - loss`` for similarities built with ``as_loss=True``,
``-loss`` for distances and for user callables.

Adding an objective is one builder (:mod:`._objective_builders`,
:mod:`._fcd_objectives`, :mod:`._sensor_objectives`) plus one
:meth:`Objective.named` line in :data:`OBJECTIVES`; validation, scorers,
docs and tests read the registry.
"""

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ._cache import LRU
from ._fcd_objectives import fcd, fcd_ks, fcd_wasserstein
from ._objective_builders import (
    cosine_sim,
    fc_corr,
    fc_lag_corr,
    fc_rmse,
    mse,
    psd_corr,
    std_rmse,
    timeseries_rmse,
)
from ._registry import lookup
from ._sensor_objectives import (
    aperiodic_exponent,
    envelope_fc_corr,
    log_psd_distance,
    spectral_peak,
)

__all__ = ["Objective", "OBJECTIVES", "get_objective", "as_objective"]


def _shape(x):
    return tuple(int(n) for n in (x if isinstance(x, (tuple, list)) else x.shape))


@dataclass(frozen=True, eq=False)
class Objective:
    """A loss, the rule that turns it into a score, and the data it needs.

    Parameters
    ----------
    loss : callable
        ``loss(prediction, target) -> scalar``, minimised by every backend.
    similarity : bool, default=False
        ``True`` if the loss is ``1 - similarity`` (score ``1 - loss``),
        ``False`` for a distance (score ``-loss``).
    name : str, default='custom'
        Display name.
    min_regions : int, default=1
        Fewest regions (columns; all axes after the first, flattened) with
        which the data can move the loss.
    min_time : int, default=1
        Fewest time points (rows: the first axis) with which the data can
        move the loss.
    min_size : int, default=1
        Fewest values in all (time points x regions) with which the data can
        move the loss.
    needs : str, default=''
        Why, in a few words, for the error message.
    smoothness : {'smooth', 'root_mean_square', 'kinked'}, default='smooth'
        Whether the loss has a Hessian at its minimum, for the sandwich
        (``uncertainty='sandwich'``): ``'root_mean_square'`` is a square root
        of a mean of squares, V-shaped where that mean reaches 0 (one
        region's ``std_rmse``) but with a smooth square (the sandwich is
        computed on the squared loss); ``'kinked'`` has kinks the sandwich
        cannot smooth (``fcd_ks``'s supremum): profile intervals serve it.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from brainestimators import Objective
    >>> mae = Objective(lambda p, t: jnp.mean(jnp.abs(p - t)), name="mae")
    >>> mae.validate((100, 3), (100, 3))
    ShapeDtypeStruct(shape=(), dtype=float32)
    """

    loss: object
    similarity: bool = False
    name: str = "custom"
    min_regions: int = 1
    min_time: int = 1
    min_size: int = 1
    needs: str = ""
    #: optional ``prepare(target) -> features`` and ``compare(prediction,
    #: features) -> loss`` with ``loss(p, t) == compare(p, prepare(t))``: fits
    #: summarise their fixed targets once instead of at every step
    prepare: object = None
    compare: object = None
    #: optional ``match(summary, target_summary) -> loss`` (two ``prepare``
    #: outputs: a mean over draws can stand for the prediction's) and
    #: ``from_moments(moments) -> summary`` (the summary of the analytic
    #: moments; ``from_moments.lagged``: it reads the lag-one-sample covariance)
    match: object = None
    from_moments: object = None
    smoothness: str = "smooth"

    @property
    def prepared(self):
        """Whether fits can summarise the target once (``prepare`` / ``compare``)."""
        return self.prepare is not None and self.compare is not None

    @classmethod
    def named(cls, name, loss, *, similarity=False, min_regions=1, min_time=1, min_size=1,
              needs="", smoothness="smooth"):
        """The registry entry of a built loss, with the summaries it carries.

        ``loss``'s ``prepare``, ``compare``, ``match`` and ``from_moments``
        attributes (:func:`~._objective_builders.preparable`) become the
        entry's; the other arguments are the fields of the same name.
        """
        return cls(loss, similarity, name, min_regions, min_time, min_size, needs,
                   *(getattr(loss, attr, None)
                     for attr in ("prepare", "compare", "match", "from_moments")),
                   smoothness)

    def __deepcopy__(self, memo):
        # Immutable: ``clone`` keeps the same instance, so clones and CV folds
        # share its compiled evaluator (the evaluator cache keys on identity).
        return self

    def score(self, loss):
        """Turn a loss value into a score (greater is better)."""
        return 1.0 - loss if self.similarity else -loss

    def check_shape(self, shape):
        """The reason data of ``shape`` cannot move this loss, or ``None`` if it can."""
        shape = _shape(shape)
        n_time = shape[0] if shape else 1
        n_regions = math.prod(shape[1:])
        if n_regions < self.min_regions:
            return f"at least {self.min_regions} regions"
        if n_time < self.min_time:
            return f"at least {self.min_time} time points"
        if n_time * n_regions < self.min_size:
            return f"at least {self.min_size} values"
        return None

    def validate(self, prediction_shape, target_shape):
        """Check, without simulating, that this objective can score these shapes.

        Call it once per fit plan, before compiling, with the shapes of one
        call's arguments: ``(n_time, n_regions)`` per row in ``fit(X)`` mode,
        the whole prediction and target in ``fit(X, y)`` readout mode.

        Parameters
        ----------
        prediction_shape, target_shape : tuple of int, or array-like
            Shapes, or anything with a ``.shape`` (an array, a brainunit
            Quantity, a ``jax.ShapeDtypeStruct``), which is then traced as it
            is (with its dtype and unit); tuples are traced as float32.

        Returns
        -------
        jax.ShapeDtypeStruct
            The loss's shape (``()``) and dtype, from ``jax.eval_shape``.

        Raises
        ------
        ValueError
            If the data cannot move the loss (too few regions or time points:
            every candidate would get the same loss) or the loss is not a
            scalar. Errors raised while tracing the loss on these shapes get
            a note naming the objective and the shapes.
        """
        ps, ts = _shape(prediction_shape), _shape(target_shape)
        for shape in (ps, ts):
            problem = self.check_shape(shape)
            if problem is not None:
                usable = [n for n, o in OBJECTIVES.items()
                          if o.check_shape(ps) is None and o.check_shape(ts) is None]
                raise ValueError(
                    f"objective {self.name!r} needs {problem}"
                    + (f" ({self.needs})" if self.needs else "")
                    + f", but the prediction has shape {ps} and the target {ts}: on these "
                    "data every candidate gets the same loss, so nothing can be fitted. "
                    f"Use longer or wider recordings, or an objective that works on them: "
                    f"{usable}."
                )

        def struct(x, shape):
            return jax.ShapeDtypeStruct(shape, jnp.float32) if isinstance(x, (tuple, list)) else x

        try:
            out = jax.eval_shape(self.loss, struct(prediction_shape, ps),
                                 struct(target_shape, ts))
        except Exception as e:
            e.add_note(f"(while tracing objective {self.name!r} on a prediction of shape "
                       f"{ps} and a target of shape {ts})")
            raise
        leaves = jax.tree_util.tree_leaves(out)
        if len(leaves) != 1 or leaves[0].shape != ():
            got = (f"shape {leaves[0].shape}" if len(leaves) == 1
                   else f"{len(leaves)} arrays ({type(out).__name__})")
            raise ValueError(
                f"objective {self.name!r} must return one scalar loss, but on a prediction of "
                f"shape {ps} and a target of shape {ts} it returns {got}. Reduce it to one "
                "number (e.g. jnp.mean over what it returns), or weigh several terms with "
                "brainmass.objectives.combine."
            )
        return leaves[0]


_FC = "an FC correlation needs 3 off-diagonal values, and 3 time points to correlate"
_FCD = ("FCD windows of 30 samples, 5 apart: 3 regions for the windows' FCs to correlate, "
        "3 windows (30 + 2 x 5 samples) for the FCD matrices to correlate")
_FCD_DIST = ("FCD windows of 30 samples, 5 apart: 3 regions for the windows' FCs to correlate, "
             "2 windows (30 + 5 samples) for an FCD value")

#: The named objectives, ``{name: Objective}``; any name can be passed as
#: ``objective=`` and to :func:`get_scorer`. Each loss is built once per
#: process, so estimators and clones naming it share one compiled evaluator.
OBJECTIVES = {o.name: o for o in (
    Objective.named("timeseries_rmse", timeseries_rmse(), smoothness="root_mean_square"),
    Objective.named("mse", mse()),
    Objective.named("fc_corr", fc_corr(as_loss=True), similarity=True, min_regions=3,
                    min_time=3, needs=_FC),
    Objective.named("fc_rmse", fc_rmse(), min_regions=2, min_time=3,
                    needs="an FC has off-diagonal values from 2 regions",
                    smoothness="root_mean_square"),
    Objective.named("fc_lag_corr", fc_lag_corr(as_loss=True), similarity=True, min_regions=2,
                    min_time=3,
                    needs="the lag-1 correlations of 2 regions, 3 time points to correlate"),
    Objective.named("cosine_sim", cosine_sim(as_loss=True), similarity=True, min_size=2,
                    needs="the cosine of two single values is their sign"),
    Objective.named("fcd", fcd(as_loss=True), similarity=True, min_regions=3, min_time=40,
                    needs=_FCD),
    Objective.named("fcd_ks", fcd_ks(), min_regions=3, min_time=35, needs=_FCD_DIST,
                    smoothness="kinked"),
    Objective.named("fcd_wasserstein", fcd_wasserstein(), min_regions=3, min_time=35,
                    needs=_FCD_DIST),
    Objective.named("psd_corr", psd_corr(as_loss=True), similarity=True, min_time=32,
                    needs="Welch segments of n_time // 8 >= 4 samples, for 3 frequencies"),
    Objective.named("std_rmse", std_rmse(), min_time=2,
                    needs="a standard deviation needs 2 time points",
                    smoothness="root_mean_square"),
    # sensor spectra (frequencies in cycles per sample; a band in Hz: build your own)
    Objective.named("log_psd", log_psd_distance(), min_time=2, min_size=4,
                    needs="2 non-zero frequencies x channels once a global gain is profiled out",
                    smoothness="root_mean_square"),
    Objective.named("spectral_peak", spectral_peak(), min_time=2, min_size=6,
                    needs="3 frequencies for a peak frequency, or 2 channels for a power "
                          "topography",
                    smoothness="kinked"),  # a sum of two root-mean-squares
    Objective.named("aperiodic_exponent", aperiodic_exponent(), min_time=4,
                    needs="a 1/f line through 2 non-zero frequencies",
                    smoothness="root_mean_square"),
    Objective.named("envelope_fc", envelope_fc_corr(as_loss=True), similarity=True,
                    min_regions=3, min_time=20,
                    needs="envelope correlations of 3 channels, 2 frequencies in the "
                          "0.04-0.1 band"),
)}

_CALLABLE = " or a callable objective(prediction, target) -> scalar"


def get_objective(name):
    """The :class:`Objective` registered as ``name``.

    Examples
    --------
    >>> get_objective("fc_corr").similarity
    True
    """
    return lookup(OBJECTIVES, name, "objective", _CALLABLE)


def as_objective(objective):
    """The :class:`Objective` for a name, an Objective or a callable (not a dict).

    A callable gets one Objective per function, so clones that share a
    callable objective share one compiled evaluator.
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        return get_objective(objective)
    if callable(objective):
        name = getattr(objective, "__name__", "custom")
        # a builder's loss (``log_psd_distance(sfreq=160)``) brings its ``prepare`` /
        # ``compare`` / ``match`` / ``from_moments``, as a registered one does
        return _CALLABLES.get(objective, lambda: Objective(
            objective, False, name, **{attr: getattr(objective, attr, None) for attr in (
                "prepare", "compare", "match", "from_moments")}))
    raise TypeError(
        f"objective must be a name, an Objective or a callable, got {type(objective).__name__}."
    )


_CALLABLES = LRU("callable_objectives", 64)
