from urbsim.cli import app

app(prog_name="urbsim")
