"""Regenerate the generated parts of docs/ from the code, or check that they are current.

    .venv/bin/python scripts/docs.py           # rewrite them
    .venv/bin/python scripts/docs.py --check   # exit 1 naming each stale file (the tests run it)

* docs/scenario-schema.md, docs/experiment-schema.md: the file references (``urbsim schema``);
* docs/cli.md: the command reference between its ``cli reference`` markers (typer's docs of
  the ``urbsim`` app);
* docs/odd.md: every ``<!-- parameters: ... -->`` block's table (meaning, unit, default,
  allowed values from the schema; label from calibration/config.toml);
* docs/store.md: the table of recorded variables between its ``variables`` markers;
* docs/own-city.md: the indicators of an observed history between its ``history indicators``
  markers.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _cli() -> str:
    typer = Path(sys.executable).with_name("typer")
    out = subprocess.run([str(typer), "urbsim.interfaces.cli", "utils", "docs", "--name",
                          "urbsim"], capture_output=True, text=True, check=True).stdout
    # one level down: the page has its own title
    return re.sub(r"(?m)^(#+) ", r"#\1 ", out).strip() + "\n"


def generated() -> dict[Path, str]:
    """Every generated file's content, by path."""
    from urbsim import calibration
    from urbsim.common.files import between
    from urbsim.interfaces import schemadoc

    labels = calibration.labels(calibration.load(ROOT / "calibration" / "config.toml"))
    out = {DOCS / f"{k}-schema.md": schemadoc.markdown(k) for k in ("scenario", "experiment")}
    out[DOCS / "cli.md"] = between((DOCS / "cli.md").read_text(encoding="utf-8"),
                                   "cli reference", _cli(), DOCS / "cli.md")
    out[DOCS / "odd.md"] = schemadoc.fill((DOCS / "odd.md").read_text(encoding="utf-8"), labels)
    out[DOCS / "store.md"] = between((DOCS / "store.md").read_text(encoding="utf-8"),
                                     "variables", schemadoc.variables_table(), DOCS / "store.md")
    own = DOCS / "own-city.md"
    out[own] = between(own.read_text(encoding="utf-8"), "history indicators",
                       schemadoc.history_table(), own)
    return out


def main(argv: list[str]) -> int:
    if argv not in ([], ["--check"]):
        print(__doc__)
        return 2
    stale = []
    for path, text in generated().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(str(path.relative_to(ROOT)))
            if not argv:
                path.write_text(text, encoding="utf-8")
    if argv:
        if stale:
            print(f"stale: {', '.join(stale)}; run .venv/bin/python scripts/docs.py")
            return 1
        print("the generated docs are current")
    else:
        print(f"rewrote: {', '.join(stale) or 'nothing (all current)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
