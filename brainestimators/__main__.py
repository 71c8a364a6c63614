"""``python -m brainestimators``: the main job (see :mod:`brainestimators._main`)."""

from ._main import main

if __name__ == "__main__":
    raise SystemExit(main())
