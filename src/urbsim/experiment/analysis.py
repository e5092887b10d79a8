"""What an experiment store says: sensitivity indices, policy effects, tables and figures.

Every run is reduced to headline figures first (:func:`urbsim.analysis.summary.reduce`: flows averaged
over the last years, states at the end), then by design:

* ``sobol``: first-order and total Sobol indices with 95 % bootstrap intervals (SALib) of the
  seed-averaged indicator; ``morris``: mu*, its interval and sigma (SALib); ``lhs``: Spearman rank
  correlations; ``grid``: the mean of each indicator at each value of each parameter, and of
  each pair of parameters (heatmaps: how two levers interact);
* ``posterior`` (draws of the calibration's posterior): each scenario against the baseline
  over draws and seeds, with the share of draws on each side of zero
  (:mod:`urbsim.analysis.robust`);
* with a condition (``--discover "representation_gap_open < 0.19"``): the parameter boxes
  where it holds, found by PRIM (:mod:`urbsim.experiment.discovery`);
* several scenarios and one design point: each scenario against the baseline, paired by seed
  (common random numbers), with 95 % intervals and verdicts (:func:`urbsim.analysis.compare.contrast`).

Seed noise is reported with the indices (its share of the variance of single runs): indices
of an indicator that is mostly noise say little, and more seeds or samples are needed.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from urbsim.analysis.compare import bands, contrast, figure
from urbsim.analysis.summary import LABELS, fmt, reduce
from urbsim.common import schema
from urbsim.common.errors import InputError
from urbsim.common.files import atomic
from urbsim.common.stats import half_width
from urbsim.experiment import design as dsg
from urbsim.experiment import discovery, store
from urbsim.experiment.plan import bootstrap_seed
from urbsim.experiment.spec import Analysis, Design


@dataclass
class Table:
    """A result table: formatted ``rows`` for people, ``data`` (numbers) for code."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    data: pd.DataFrame


@dataclass
class Report:
    """Everything :func:`analyze` found."""

    title: str
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list = field(default_factory=list)
    """holoviews objects, saved by :func:`save`."""

    def table(self, title_start: str) -> Table:
        """The first table whose title starts with ``title_start``."""
        return next(t for t in self.tables if t.title.startswith(title_start))


def analyze(path: str | Path, indicators: list[str] | None = None, last: int | None = None,
            discover: str | None = None, density: float = 0.8) -> Report:
    """Analyse the store at ``path`` (defaults from the experiment's ``[analysis]``); with
    ``discover`` (a condition such as ``"representation_gap_open < 0.19"``) also the
    parameter boxes where it holds (:mod:`urbsim.experiment.discovery`, boxes of at least
    ``density``).

    Raises:
        InputError: not a store; an indicator it does not keep; a Sobol or Morris design with
            runs not done (their estimators need every point); a condition that does not
            parse, or that no run (or every run) meets.
    """
    import hvplot.pandas  # noqa: F401 - registers .hvplot and loads holoviews' bokeh backend

    path = Path(path)
    ds = store.load(path)
    attrs = ds.attrs
    cfg = Analysis.model_validate(schema.rename(json.loads(attrs["analysis"]),
                                                {"outputs": "indicators"}, path, warn=False))
    method = Design.model_validate_json(attrs["design"]).method
    indicators = list(indicators or cfg.indicators)
    kept = [k for k in ds.data_vars if k in LABELS]
    for k in indicators:
        if k not in kept:
            raise InputError(f"{k!r} is not kept in this store (kept: {', '.join(kept)})", path,
                             "indicators")
    status = ds.status.values
    h = reduce(ds[kept].load(), last or cfg.last).where(ds.status == store.DONE)
    report = Report(f"{attrs['name']} · {method} design · {ds.sizes['scenario']} scenario(s) × "
                    f"{ds.sizes['sample']} point(s) × {ds.sizes['seed']} seeds · "
                    f"{attrs['steps']} years")
    n_done, n_failed = int((status == store.DONE).sum()), int((status == store.FAILED).sum())
    report.notes.append(f"{n_done} of {status.size} runs done" +
                        (f", {n_failed} failed (see the store's `error`)" if n_failed else ""))
    if method in ("sobol", "morris") and n_done < status.size:
        raise InputError(f"{status.size - n_done} of {status.size} runs are not done; a "
                         f"{method} analysis needs every run: run the experiment again to finish "
                         f"it", path)
    labels = {k: p.get("label") or k for k, p in json.loads(attrs["parameters"]).items()}
    if discover is not None:
        _discover(report, h, ds, labels, discovery.parse(discover, kept, path), density)
    if method == "posterior":
        _posterior(report, h, attrs["baseline"], indicators)
    elif ds.sizes["scenario"] > 1 and ds.sizes["sample"] == 1:
        series = ds[indicators].isel(sample=0).where(ds.status.isel(sample=0) == store.DONE)
        _policies(report, h.isel(sample=0), series, attrs["baseline"], indicators)
    for scenario in ds.scenario.values if method not in ("none", "posterior") else []:
        hs = h.sel(scenario=scenario)
        for k in indicators:
            if k not in hs:
                report.notes.append(f"{LABELS[k]}: undefined in {scenario} (never happens)")
                continue
            _noise(report, hs[k], scenario, k)
            args = (report, hs[k], ds, labels, scenario, k)
            {"sobol": _sobol, "morris": _morris, "lhs": _lhs, "grid": _grid}[method](*args)
    return report


def _discover(report: Report, h: xr.Dataset, ds: xr.Dataset, labels: dict[str, str],
              condition: discovery.Condition, density: float) -> None:
    """The PRIM boxes where ``condition`` holds, over the runs done: a table and, for a box
    restricting two parameters or more, the runs on its first two with the box drawn."""
    import holoviews as hv

    y = h[condition.indicator].transpose("scenario", "sample", "seed")
    done = (ds.status == store.DONE).transpose("scenario", "sample", "seed").values.ravel()
    names = [str(p) for p in ds.parameter.values]
    x = pd.DataFrame(np.repeat(ds.value.transpose("sample", "parameter").values[None], ds.sizes[
        "scenario"], 0).repeat(ds.sizes["seed"], 1).reshape(-1, len(names)), columns=names)
    if ds.sizes["scenario"] > 1:
        x["scenario"] = pd.Categorical(np.repeat(ds.scenario.values, ds.sizes["sample"]
                                                 * ds.sizes["seed"]))
    met = condition.holds(y.values.ravel())
    found = discovery.boxes(x[done], met[done], density)
    rows = [[str(i + 1), f"{b.coverage:.0%}", f"{b.density:.0%}", f"{b.mass:.0%}",
             b.describe(labels)] for i, b in enumerate(found)]
    data = pd.DataFrame([{"box": i + 1, "coverage": b.coverage, "density": b.density,
                          "mass": b.mass, "limits": b.limits} for i, b in enumerate(found)])
    report.tables.append(Table(f"Scenario discovery: where {condition} ({int(met[done].sum())} "
                               f"of {int(done.sum())} runs; PRIM, density at least "
                               f"{density:.0%})", ["box", "coverage", "density", "mass",
                                                   "parameters"], rows, data))
    numeric = [b for b in found if sum(isinstance(v[0], float) for v in b.limits.values()) >= 2]
    if numeric:
        (a, (a0, a1)), (c, (c0, c1)) = [(k, v) for k, v in numeric[0].limits.items()
                                        if isinstance(v[0], float)][:2]
        runs = pd.DataFrame({labels.get(a, a): x[a][done], labels.get(c, c): x[c][done],
                             "meets": np.where(met[done], "yes", "no")})
        points = hv.Scatter(runs, labels.get(a, a), [labels.get(c, c), "meets"]).opts(
            color="meets", cmap={"yes": "firebrick", "no": "lightgrey"}, size=6, alpha=0.6,
            legend_position="right", **_ticks(ds, a), **_ticks(ds, c, "y"))
        report.figures.append((points * hv.Rectangles([(a0, c0, a1, c1)]).opts(
            fill_alpha=0, line_color="black", line_width=2)).opts(
            title=f"Box 1: where {condition}", width=560, height=420))


def _noise(report: Report, y: xr.DataArray, scenario: str, k: str) -> None:
    total = float(y.var(ddof=1))
    if y.sizes["seed"] > 1 and total > 0:
        share = float(y.var("seed", ddof=1).mean()) / total
        report.notes.append(f"{scenario} · {LABELS[k]}: seed noise is {share:.0%} of the variance "
                            f"of single runs")


def _policies(report: Report, h: xr.Dataset, s: xr.Dataset, base: str,
              indicators: list[str]) -> None:
    """Per indicator: a table and a plot of each scenario against the baseline, and the series."""
    import holoviews as hv

    for k in indicators:
        records = []
        for other in h.scenario.values:
            if other == base or h[k].sel(scenario=[base, other]).isnull().all():
                continue
            d = next((d for d in contrast(h.sel(scenario=base), h.sel(scenario=other),
                                          (base, other)) if d.indicator == k), None)
            if d is not None:
                records.append((other, d))
        if not records:
            continue
        data = pd.DataFrame([{"scenario": s, "baseline": d.base, "value": d.other,
                              "difference": d.diff, "low": d.low, "high": d.high,
                              "seeds": d.seeds, "verdict": d.verdict} for s, d in records])
        rows = [[s, fmt(d.base), fmt(d.other), d.interval, d.verdict] for s, d in records]
        report.tables.append(Table(f"{LABELS[k]}: scenarios against {base}",
                                   ["scenario", base, "scenario", "difference [95% CI]",
                                    "verdict"], rows, data))
        ok = data.dropna(subset=["difference"]).assign(
            neg=lambda d: d.difference - d.low, pos=lambda d: d.high - d.difference)
        if len(ok):
            report.figures.append(
                (ok.hvplot.scatter(x="scenario", y="difference", size=60)
                 * ok.hvplot.errorbars(x="scenario", y="difference", yerr1="neg", yerr2="pos")
                 * hv.HLine(0).opts(color="grey", line_dash="dashed"))
                .opts(title=f"{LABELS[k]}: difference to {base} (95% CI)", width=560,
                      height=320, xrotation=30, ylabel=f"difference in {LABELS[k]}"))
        report.figures.append(_series(s[[k]], k))


def _posterior(report: Report, h: xr.Dataset, base: str, indicators: list[str]) -> None:
    """Each scenario against the baseline over the posterior's draws (the design's samples)
    and the seeds (:func:`urbsim.analysis.robust.robust`): per indicator the effect's range,
    the share of draws clearly on each side of zero, and whether the sign depends on the
    uncertain parameters."""
    from urbsim.analysis.robust import robust

    keep = [k for k in indicators if k in h]
    for other in h.scenario.values:
        if other == base:
            continue
        pairs = [(h[keep].sel(scenario=base).isel(sample=j),
                  h[keep].sel(scenario=other).isel(sample=j)) for j in range(h.sizes["sample"])]
        found = robust([a for a, _ in pairs], [b for _, b in pairs])
        rows = [[r.label, fmt(r.base), fmt(r.other), r.interval, r.signs, r.verdict]
                for r in found]
        data = pd.DataFrame([vars(r) for r in found])
        report.tables.append(Table(f"{other} against {base} over {h.sizes['sample']} posterior "
                                   f"draws × {h.sizes['seed']} seeds",
                                   ["indicator", base, other, "difference [95% over draws and "
                                    "seeds]", "draws clearly + / −", "verdict"], rows, data))
    if h.sizes["scenario"] == 1:
        report.notes.append("one scenario: a posterior design compares scenarios; add another")


def _series(s: xr.Dataset, k: str):
    """Mean per step over seeds by scenario, with 95 % bands."""
    df = bands(s).to_dataframe().reset_index()
    return figure(df, k, LABELS[k]).opts(
        title=f"{LABELS[k]} per year (mean over seeds, 95% band)", width=760, height=340,
        legend_position="right")


def _seed_mean(y: xr.DataArray) -> np.ndarray:
    return y.mean("seed").values


def _sobol(report, y, ds, labels, scenario, k) -> None:
    from SALib.analyze import sobol

    names = list(ds.parameter.values)
    second = json.loads(ds.attrs["design"])["second_order"]
    yy = _seed_mean(y)
    if not np.all(np.isfinite(yy)) or np.ptp(yy) == 0:
        report.notes.append(f"{scenario} · {LABELS[k]}: constant or undefined; no Sobol indices")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        si = sobol.analyze(dsg.problem(names), yy, calc_second_order=second, conf_level=0.95,
                           num_resamples=1000, seed=bootstrap_seed(int(ds.attrs["root_seed"])))
    data = pd.DataFrame({"parameter": names, "label": [labels[n] for n in names],
                         "S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"],
                         "ST_conf": si["ST_conf"]}).sort_values("ST", ascending=False)
    rows = [[r.label, f"{r.S1:.2f} ± {r.S1_conf:.2f}", f"{r.ST:.2f} ± {r.ST_conf:.2f}"]
            for r in data.itertuples()]
    report.tables.append(Table(f"Sobol indices of {LABELS[k]} ({scenario})",
                               ["parameter", "first order S1 ± 95%", "total ST ± 95%"], rows,
                               data))
    report.figures.append(_bars(data, ["S1", "ST"], f"Sobol indices: {LABELS[k]} ({scenario})"))


def _morris(report, y, ds, labels, scenario, k) -> None:
    from SALib.analyze import morris

    names = list(ds.parameter.values)
    yy = _seed_mean(y)
    levels = json.loads(ds.attrs["design"])["levels"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mi = morris.analyze(dsg.problem(names), ds.unit.values, yy, num_levels=levels,
                            conf_level=0.95, num_resamples=1000,
                            seed=bootstrap_seed(int(ds.attrs["root_seed"])))
    data = pd.DataFrame({"parameter": names, "label": [labels[n] for n in names],
                         "mu_star": mi["mu_star"], "mu_star_conf": mi["mu_star_conf"],
                         "mu": mi["mu"], "sigma": mi["sigma"]}).sort_values("mu_star",
                                                                             ascending=False)
    rows = [[r.label, f"{fmt(r.mu_star)} ± {fmt(r.mu_star_conf)}", fmt(r.mu, sign=True),
             fmt(r.sigma)] for r in data.itertuples()]
    report.tables.append(Table(f"Morris elementary effects on {LABELS[k]} ({scenario}; per "
                               f"unit range)", ["parameter", "mu* ± 95%", "mu", "sigma"], rows,
                               data))
    report.figures.append(_bars(data, ["mu_star"], f"Morris mu*: {LABELS[k]} ({scenario})"))


def _lhs(report, y, ds, labels, scenario, k) -> None:
    import holoviews as hv

    yy = _seed_mean(y)
    records, plots = [], []
    for j, name in enumerate(ds.parameter.values):
        x = ds.value.values[:, j]
        ok = np.isfinite(yy)
        rho, p = stats.spearmanr(x[ok], yy[ok]) if ok.sum() > 2 else (np.nan, np.nan)
        records.append({"parameter": name, "label": labels[name], "rho": rho, "p": p})
        plots.append(hv.Scatter((x, yy), labels[name], LABELS[k]).opts(width=300, height=240,
                                                                       **_ticks(ds, name)))
    data = pd.DataFrame(records)
    rows = [[r.label, fmt(r.rho, sign=True), f"{r.p:.3g}"] for r in data.itertuples()]
    report.tables.append(Table(f"Spearman rank correlation with {LABELS[k]} ({scenario})",
                               ["parameter", "rho", "p"], rows, data))
    report.figures.append(hv.Layout(plots).cols(3).opts(
        title=f"{LABELS[k]} by parameter ({scenario}; seed means)"))


def _grid(report, y, ds, labels, scenario, k) -> None:
    import holoviews as hv

    records = []
    for j, name in enumerate(ds.parameter.values):
        x = ds.value.values[:, j]
        for v in np.unique(x):
            sel = y.isel(sample=np.flatnonzero(x == v)).values.ravel()
            sel = sel[np.isfinite(sel)]
            n = len(sel)
            half = half_width(sel.std(ddof=1), n) if n > 1 else np.nan
            records.append({"parameter": name, "label": labels[name], "value": v,
                            "mean": sel.mean() if n else np.nan, "low": sel.mean() - half
                            if n else np.nan, "high": sel.mean() + half if n else np.nan,
                            "runs": n})
    data = pd.DataFrame(records)
    rows = [[r.label, fmt(r.value), fmt(r.mean), f"{fmt(r.low)} to {fmt(r.high)}", str(r.runs)]
            for r in data.itertuples()]
    report.tables.append(Table(f"{LABELS[k]} by parameter value ({scenario}; mean over the "
                               f"other parameters and seeds)",
                               ["parameter", "value", "mean", "95% CI", "runs"], rows, data))
    plots = []
    for name, d in data.groupby("parameter", sort=False):
        lab = labels[name]
        plots.append((hv.Area((d.value, d.low, d.high), lab, ["low", "high"]).opts(alpha=0.25)
                      * hv.Curve((d.value, d["mean"]), lab, LABELS[k])
                      * hv.Scatter((d.value, d["mean"]), lab, LABELS[k]).opts(size=7))
                     .opts(width=300, height=240, ylabel=LABELS[k], **_ticks(ds, name)))
    report.figures.append(hv.Layout(plots).cols(3).opts(
        title=f"{LABELS[k]} by parameter value ({scenario}; 95% CI)"))
    names = list(ds.parameter.values)
    if len(names) > 1:  # interactions: the mean over seeds (and the other levers) per pair
        maps = []
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                va, vb = ds.value.sel(parameter=a).values, ds.value.sel(parameter=b).values
                cells = pd.DataFrame({labels[a]: va, labels[b]: vb, LABELS[k]: _seed_mean(y)})
                mean = cells.groupby([labels[a], labels[b]], as_index=False)[LABELS[k]].mean()
                maps.append(hv.HeatMap(mean, [labels[a], labels[b]], LABELS[k]).opts(
                    colorbar=True, cmap="viridis", tools=["hover"], width=360, height=300,
                    clabel=LABELS[k]))
        report.figures.append(hv.Layout(maps).cols(2).opts(
            title=f"{LABELS[k]}: two levers at a time ({scenario}; mean over seeds and the "
                  "other levers)"))


def _ticks(ds: xr.Dataset, name: str, axis: str = "x") -> dict:
    """Plot options for the axis of parameter ``name``: whole-number ticks if it is an
    integer parameter."""
    from bokeh.models import BasicTicker

    integer = json.loads(ds.attrs["parameters"]).get(name, {}).get("integer", False)
    return {f"{axis}ticks": BasicTicker(min_interval=1)} if integer else {}


def _bars(data: pd.DataFrame, columns: list[str], title: str):
    """One bar chart per index column, with its 95 % interval."""
    import holoviews as hv
    import hvplot.pandas  # noqa: F401 - registers .hvplot

    panels = []
    for c in columns:
        d = data[["label", c, f"{c}_conf"]].rename(columns={"label": "parameter"})
        d = d.iloc[::-1]  # largest on top once the axes are swapped
        panels.append((d.hvplot.bar(x="parameter", y=c, alpha=0.7)
                       * d.hvplot.errorbars(x="parameter", y=c, yerr1=f"{c}_conf"))
                      .opts(width=460, height=60 + 28 * len(d), invert_axes=True, title=c))
    return hv.Layout(panels).cols(len(panels)).opts(title=title)


def save(report: Report, path: Path) -> None:
    """The report as one HTML page (tables and figures; bokeh resources inline, works
    offline), written atomically."""
    import panel as pn
    from bokeh.resources import INLINE

    notes = "\n".join(f"- {n}" for n in report.notes)
    parts: list[pn.viewable.Viewable] = [pn.pane.Markdown(f"# {report.title}\n\n" + notes)]
    for t in report.tables:
        parts.append(pn.pane.Markdown(f"### {t.title}\n\n" + _markdown(t)))
    parts += [pn.pane.HoloViews(f, backend="bokeh", linked_axes=False) for f in report.figures]
    with atomic(path, ".html") as tmp:
        pn.Column(*parts).save(tmp, resources=INLINE, title=report.title)


def _markdown(t: Table) -> str:
    lines = ["| " + " | ".join(t.columns) + " |", "|" + "---|" * len(t.columns)]
    lines += ["| " + " | ".join(r) + " |" for r in t.rows]
    return "\n".join(lines)
