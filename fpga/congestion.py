"""Where the router is congested: nextpnr's router2 heatmaps, summed by design signal.

When a placement does not route (router2's overused wires fall and then stall or rise),
the critical path is not the question; which signals fight for the same wires is.
nextpnr's ``--router2-heatmap PREFIX`` writes, after each router2 iteration, a CSV of
the overuse charged to each net (``PREFIX_congestion_by_net_<iter>.csv``: name, count)
and one by device coordinate. A packed net's name is the design signal it carries
followed by the cells Yosys and nextpnr added (``unit.lsu_tile_buffer_TRELLIS_FF_Q_12``,
``unit.copy_row3.0.1_DO_2``): `signal_of` strips those, and numbers become ``#``, so that
the 2,048 bits of one register, or the rows of one memory, count as one line.

``python -m fpga timing --unit NAME --congestion`` writes the heatmaps into the run's
``congestion/`` and `summarize`'s table into ``congestion.txt``; a run stopped by hand
can be summarized with ``python -m fpga.congestion DIR``.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HEATMAP_PREFIX = "iter"  # under the run's congestion/ directory
_NET_FILE = re.compile(r"_congestion_by_net_(\d+)\.csv$")
_CELL_SUFFIX = re.compile(r"_(TRELLIS|LUT4|CCU2C|PFUMX|L6MUX|MULT18|DP16KD|SB_)|[\[$]")


def signal_of(net: str) -> str:
    """The design signal a packed net's name starts with, its numbers as ``#``."""
    return re.sub(r"\d+", "#", _CELL_SUFFIX.split(net, maxsplit=1)[0]) or net


@dataclass
class Congestion:
    iteration: int
    total: int  # overuse charged to all nets
    by_signal: list[tuple[str, int, int]]  # (signal, overuse, nets), most first

    def format(self, top: int = 30) -> str:
        lines = [f"router2 iteration {self.iteration}: overuse {self.total:,} over "
                 f"{sum(n for _, _, n in self.by_signal):,} nets; by design signal "
                 "(overuse, share, nets):"]
        for signal, overuse, nets in self.by_signal[:top]:
            share = 100 * overuse / self.total if self.total else 0.0
            lines.append(f"  {overuse:8,} {share:5.1f} % {nets:6,}  {signal}")
        return "\n".join(lines)


def latest_heatmap(directory: Path) -> tuple[int, Path] | None:
    """The last iteration's by-net heatmap in `directory`, or None."""
    found = [(int(match.group(1)), path) for path in directory.glob("*congestion_by_net_*.csv")
             if (match := _NET_FILE.search(path.name))]
    return max(found) if found else None


def summarize(directory: Path, iteration: int | None = None) -> Congestion:
    """The overuse of `iteration` (default: the last written) summed by design signal."""
    if iteration is None:
        latest = latest_heatmap(directory)
        if latest is None:
            raise FileNotFoundError(f"{directory}: no router2 heatmap "
                                    "(*congestion_by_net_<iteration>.csv)")
        iteration, path = latest
    else:
        matches = list(directory.glob(f"*congestion_by_net_{iteration}.csv"))
        if not matches:
            raise FileNotFoundError(f"{directory}: no heatmap of iteration {iteration}")
        path = matches[0]
    overuse: Counter[str] = Counter()
    nets: Counter[str] = Counter()
    with path.open(newline="") as f:
        for row in csv.reader(f):
            if len(row) < 2 or not row[1].strip().isdigit():
                continue
            signal = signal_of(row[0])
            overuse[signal] += int(row[1])
            nets[signal] += 1
    ranked = [(s, n, nets[s]) for s, n in overuse.most_common()]
    return Congestion(iteration, sum(overuse.values()), ranked)


def main(argv: list[str] | None = None) -> int:
    import argparse
    parser = argparse.ArgumentParser(prog="python -m fpga.congestion",
                                     description="Sum nextpnr router2 heatmaps by design "
                                                 "signal.")
    parser.add_argument("directory", type=Path, help="where the heatmaps are (a timing "
                        "run's congestion/ directory)")
    parser.add_argument("--iteration", type=int, default=None,
                        help="which router2 iteration (default: the last written)")
    parser.add_argument("--top", type=int, default=30, help="how many signals to list")
    args = parser.parse_args(argv)
    try:
        print(summarize(args.directory, args.iteration).format(args.top))
    except OSError as error:  # (FileNotFoundError among them)
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
