"""Scenario discovery (issue 21, part 4): conditions parsed, never evaluated; PRIM finds a
box that is known on crafted data; ``urbsim analyze --discover`` returns boxes on a shipped
experiment's store, with interaction heatmaps for its grid design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from urbsim.common.errors import InputError
from urbsim.experiment import analysis, discovery
from urbsim.interfaces.cli import app


@pytest.mark.parametrize(("text", "want"), [
    ("representation_gap_open < 0.19", ("representation_gap_open", "<", 0.19)),
    ("d_low>=.3", ("d_low", ">=", 0.3)),
    ("  turnout_open <= -1e-2 ", ("turnout_open", "<=", -0.01)),
])
def test_conditions_parse(text, want):
    c = discovery.parse(text, ["representation_gap_open", "d_low", "turnout_open"])
    assert (c.indicator, c.op, c.threshold) == want


@pytest.mark.parametrize(("text", "words"), [
    ("__import__('os').system('x') < 1", "expected INDICATOR OP NUMBER"),
    ("d_low == 0.3", "expected INDICATOR OP NUMBER"),
    ("d_low < 0.3 and 1", "expected INDICATOR OP NUMBER"),
    ("theil_h < 0.3", "'theil_h' is not kept"),
])
def test_bad_conditions_are_one_line(text, words):
    with pytest.raises(InputError, match=words) as e:
        discovery.parse(text, ["d_low"], "store.zarr")
    assert "\n" not in str(e.value) and "--discover" in str(e.value)


def test_prim_finds_a_known_box():
    """Cases where a > 0.6 and b < 0.3 (c irrelevant): at density 0.95 the box is that one,
    with nearly all of them in it; a categorical parameter is restricted too."""
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"a": rng.random(3000), "b": rng.random(3000), "c": rng.random(3000)})
    y = ((x.a > 0.6) & (x.b < 0.3)).values
    (box, *_) = discovery.boxes(x, y, density=0.95)
    assert set(box.limits) == {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.03)
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.03)
    assert box.density >= 0.95 and box.coverage >= 0.9
    assert box.mass == pytest.approx(y.mean() * box.coverage / box.density, rel=1e-6)
    x["scenario"] = pd.Categorical(rng.choice(["kept", "other"], 3000))
    (box, *_) = discovery.boxes(x, y & (x.scenario == "kept").values, density=0.95)
    assert box.limits["scenario"] == ("kept",)
    with pytest.raises(InputError, match="0 of 3000 runs meet the condition"):
        discovery.boxes(x, np.zeros(3000, bool))


def test_discover_on_the_participation_levers_store(levers, tmp_path):
    """On the grid store: boxes at the asked density, found with the CLI too, and a heatmap
    per pair of levers."""
    import holoviews as hv

    from urbsim.analysis.summary import reduce
    from urbsim.experiment import store

    p, path = levers
    ds = store.load(path)
    gap = reduce(ds[["representation_gap_open"]].load(), p.spec.analysis.last)
    threshold = float(np.nanquantile(gap.representation_gap_open.values, 0.3))
    condition = f"representation_gap_open < {threshold:.6g}"
    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["analyze", str(path), "--discover", condition, "--density",
                                 "0.6", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Scenario discovery: where representation_gap_open <" in r.output
    assert out.stat().st_size > 10_000
    report = analysis.analyze(path, discover=condition, density=0.6)
    table = report.table("Scenario discovery")
    assert len(table.data) >= 1 and (table.data.density >= 0.6).all()
    assert (table.data.coverage > 0).all()
    heatmaps = [e for f in report.figures for e in f.traverse(lambda x: x, [hv.HeatMap])]
    assert len(heatmaps) == 3 * 2  # 3 pairs of levers, for each of the 2 analysed indicators
