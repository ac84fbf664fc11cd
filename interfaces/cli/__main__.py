"""``python -m interfaces.cli``: the same as the ``fangpin`` console script."""

from interfaces.cli import main

raise SystemExit(main())
