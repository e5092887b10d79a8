"""``python -m urbsim``: the ``urbsim`` command line (:mod:`urbsim.interfaces.cli`)."""

from urbsim.interfaces.cli import app

app(prog_name="urbsim")
