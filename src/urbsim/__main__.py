from urbsim.interfaces.cli import app

app(prog_name="urbsim")
