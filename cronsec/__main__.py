"""``python -m cronsec``: the command line (see ``cronsec --help``)."""

from __future__ import annotations

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
