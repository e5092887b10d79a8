"""What people use: the ``urbsim`` command line, the schema reference and the workshop app.

Layer 6 of 6, the top: may import every other layer; nothing imports it. Commands parse and
print; the work is done below.
"""
