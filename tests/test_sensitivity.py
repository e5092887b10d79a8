"""The sensitivity study's pipeline (issue 21, part 3), small: Morris over every parameter
with a range (the participation priors among them), Sobol over the ones that matter, and the
report's table with the three largest total indices and the seed share per output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_small_study_writes_its_table(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import sensitivity

    studied = sensitivity.parameters()
    assert {"participation.outreach_factor", "participation.fatigue", "market.max_change",
            "moving.mobility_scale"} <= set(studied) and len(studied) >= 50
    page = tmp_path / "page.md"
    page.write_text("# S\n\n<!-- sensitivity results -->\nPLACEHOLDER\n<!-- end sensitivity results -->\n")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "sensitivity.py"), "--small",
                    "--out", str(page), "--folder", str(tmp_path / "runs")], check=True,
                   capture_output=True, text=True)
    text = page.read_text()
    assert "PLACEHOLDER" not in text and f"{len(studied)} parameters screened" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    outputs = {line.split("|")[1].strip() for line in rows}
    assert {"rent_private", "displaced", "d_low", "representation_gap_open"} <= outputs
    for line in rows:
        assert len(re.findall(r"`[\w.]+` -?[\d.]+ ± [\d.]+", line)) == 3
        share = float(line.rstrip(" |").rsplit("|", 1)[1].strip().rstrip("%"))
        assert 0 <= share <= 100
