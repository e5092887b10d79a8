"""The calibration report: an HTML page of every target against the model, the fit's loss
slices and every parameter's label."""

from __future__ import annotations

import json
from pathlib import Path

from urbsim.calibration.assessment import Row
from urbsim.calibration.config import Calibration, labels
from urbsim.common.files import atomic


def report(cal: Calibration, rows: list[Row], path: Path) -> None:
    """An HTML page (hvplot/bokeh, works offline): every target against the model with its
    spread over seeds, the loss slices of the fit (identifiability), and every parameter's
    label. Written atomically."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401 - registers .hvplot
    import pandas as pd
    from bokeh.resources import INLINE

    df = pd.DataFrame([{
        "target": r.name, "z": (r.mean - r.target) / r.tolerance,
        "z_low": (r.low - r.target) / r.tolerance, "z_high": (r.high - r.target) / r.tolerance,
        "model": r.mean, "published": r.target, "tolerance": r.tolerance, "unit": r.unit,
        "passed": r.verdict + (" (input)" if r.input else "")} for r in rows])
    band = hv.HSpan(-1, 1).opts(color="green", alpha=0.12)
    bars = hv.ErrorBars([(i, z, z - lo, hi - z) for i, (z, lo, hi) in
                         enumerate(zip(df.z, df.z_low, df.z_high, strict=True))],
                        vdims=["z", "neg", "pos"])
    dots = df.reset_index().hvplot.scatter(x="index", y="z", by="passed", size=60,
                                           hover_cols=["target", "model", "published", "unit"])
    fit_plot = (band * bars * dots).opts(
        title="model against target: (model - target) / tolerance, bars: range over seeds; "
              "green: within tolerance", width=950, height=380, xlabel="",
        ylabel="deviation in tolerances",
        xticks=list(enumerate(df.target)), xrotation=45)
    table = hv.Table(df[["target", "model", "published", "tolerance", "unit", "passed"]]
                     .round(3)).opts(width=950, height=30 * (len(df) + 1))
    parts = [fit_plot, table]
    record_path = cal.file(cal.config.record)
    if record_path.exists():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        for key, s in record.get("slices", {}).items():
            verdict = "pinned down" if s["identified"] else "weakly identified"
            curve = pd.DataFrame({key: s["grid"], "loss": s["loss"]}).hvplot.line(
                x=key, y="loss", logy=True, title=f"{key}: {verdict}", width=460, height=260)
            parts.append(curve * hv.VLine(record["best"][key]).opts(color="red"))
    lab = labels(cal)
    parts.append(hv.Table(pd.DataFrame({"parameter": list(lab), "label": list(lab.values())}))
                 .opts(width=950, height=min(1200, 26 * (len(lab) + 1)),
                       title="every parameter of the baseline"))
    layout = hv.Layout(parts).cols(1).opts(title="urbsim calibration report")
    with atomic(path, ".html") as tmp:
        hv.save(layout, tmp, backend="bokeh", resources=INLINE, title="urbsim calibration report")
