"""The ``urbsim`` command line. Imports of the engine are lazy so that ``--help`` is fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="urbsim: agent-based simulation of urban milieu dynamics.")


@app.callback()
def _main() -> None:
    """urbsim: agent-based simulation of urban milieu dynamics."""


@app.command()
def run(
    steps: Annotated[int, typer.Option(min=1, help="years to simulate")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="random seed")] = 0,
    households: Annotated[int | None, typer.Option(min=1, help="households (default 120,000)")] = None,
    milieus: Annotated[str, typer.Option(help="milieu set: vhw11, vhw13 or a TOML file")] = "vhw11",
    out: Annotated[Path | None, typer.Option(help="write the dataset (.nc: netCDF, else zarr)")] = None,
) -> None:
    """Run the built-in baseline on the embedded default city and print a summary."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn
    from rich.table import Table

    from urbsim.errors import InputError
    from urbsim.model import UrbanModel
    from urbsim.params import baseline
    from urbsim.summary import headline

    console = Console(stderr=True)
    try:
        params = baseline()
        if households is not None:
            params = params.model_copy(update={"households": households})
        with console.status("building the city and placing households"):
            model = UrbanModel(params, milieus=milieus, seed=seed, expected_steps=steps)
    except InputError as e:
        console.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    with Progress("[progress.description]{task.description}", BarColumn(),
                  "{task.completed}/{task.total} steps", TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("simulating", total=steps)
        for _ in range(steps):
            model.step()
            bar.advance(task)
    ds = model.dataset()
    table = Table(title=f"urbsim baseline · {int(ds.households.isel(step=0).sum()):,} households"
                        f" · {len(ds.neighbourhood)} neighbourhoods · {steps} years · seed {seed}")
    table.add_column("indicator")
    table.add_column("value", justify="right")
    for k, v in headline(ds).items():
        table.add_row(k, f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}")
    Console().print(table)
    if out is not None:
        _write(ds, out)
        console.print(f"wrote {out}")


def _write(ds, out: Path) -> None:
    """Write atomically: to a temporary sibling, then rename."""
    import shutil
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        target = tmp / out.name
        if out.suffix == ".nc":
            ds.to_netcdf(target)
        else:
            ds.to_zarr(target, mode="w", consolidated=False)
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        os.replace(target, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
