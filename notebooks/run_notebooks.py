"""Execute every notebook in this folder headless (nbclient) against a report directory.

Usage: python notebooks/run_notebooks.py REPORT_DIR
Fails (exit 1) on the first cell that raises, printing the error; writes nothing back.
"""

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ["PORTCAST_REPORT"] = str(Path(sys.argv[1]).resolve())
    here = Path(__file__).parent
    notebooks = sorted(here.glob("*.ipynb"))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
        print(f"executed {path.name}: {len(nb.cells)} cells, no errors")
    if not notebooks:
        print("no notebooks found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
