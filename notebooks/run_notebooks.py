"""Execute every notebook in this folder headless (nbclient) against a report directory.

Usage: python notebooks/run_notebooks.py REPORT_DIR [VINTAGES_CSV] [--write]
VINTAGES_CSV is `portcast data export --output FILE`'s file (default: vintages.csv beside
REPORT_DIR's parent); the Parquet export (`--format parquet`) is read from the same path with the
suffix .parquet. Fails (exit 1) on the first cell that raises, printing the error; writes the
executed notebooks back (outputs included) only with --write.
"""

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--write"]
    write = "--write" in sys.argv[1:]
    if len(args) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    report = Path(args[0]).resolve()
    os.environ["PORTCAST_REPORT"] = str(report)
    vintages = Path(args[1]) if len(args) == 2 else report.parent.parent / "vintages.csv"
    os.environ["PORTCAST_VINTAGES"] = str(vintages.resolve())
    os.environ["PORTCAST_VINTAGES_PARQUET"] = str(vintages.resolve().with_suffix(".parquet"))
    here = Path(__file__).parent
    notebooks = sorted(here.glob("*.ipynb"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
        print(f"executed {path.name}: {len(nb.cells)} cells, no errors")
        if write:
            nbformat.write(nb, path)
            print(f"wrote {path.name} with its outputs")
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
