"""Calibration against published figures: the config, the targets, the fit and the check.

``config`` (the file, its checks, parameter labels) → ``targets`` (published figures and the
model statistic each is compared with) → ``fitting`` (optuna, resumable) → ``assessment`` (the
shipped baseline over fresh seeds, ``urbsim calibrate --check``) → ``report`` (HTML).

Layer 5 of 6 (tools, beside :mod:`urbsim.experiment`): may import analysis, the engine,
inputs and common; not the interfaces.
"""

from urbsim.calibration.assessment import Row, assess
from urbsim.calibration.config import Calibration, labels, load
from urbsim.calibration.fitting import fit
from urbsim.calibration.report import report

__all__ = ["Calibration", "Row", "assess", "fit", "labels", "load", "report"]
