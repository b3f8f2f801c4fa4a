"""``python -m oxcore ...``: the `oxcore` command, from whichever tree Python imports
(a worktree's, when run from it), not the installed script's."""

import sys

from oxcore.cli import main

sys.exit(main())
