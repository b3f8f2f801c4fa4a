"""``python -m fpga``: see `fpga.cli`."""

import sys

from fpga.cli import main

sys.exit(main())
