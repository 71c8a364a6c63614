"""Where a warning should point: the user's line, not this package's or scikit-learn's.

A warning raised deep in a fit (the cost guard, a flat loss) is reached
through a varying number of frames (``fit`` under scikit-learn's
``_fit_context``, ``fit_rows`` under ``GenerativeEmbedding.transform`` under
scikit-learn's output wrapper, joblib's workers); a fixed ``stacklevel`` points
at whichever of them happens to be that many frames up. This leaf module
walks the frames instead.
"""

import os
import sys

__all__ = ["user_stacklevel"]


def _folder(module):
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


def _internal_folders():
    import joblib
    import sklearn

    return (_folder(sys.modules[__package__]), _folder(sklearn), _folder(joblib))


def user_stacklevel():
    """The ``stacklevel`` for a ``warnings.warn`` in the caller that names the first
    frame outside brainestimators, scikit-learn and joblib (the user's code)."""
    internal = _internal_folders()
    frame, level = sys._getframe(1), 1  # level 1: the caller's own warnings.warn line
    while (frame.f_back is not None
           and os.path.abspath(frame.f_code.co_filename).startswith(internal)):
        frame, level = frame.f_back, level + 1
    return level
