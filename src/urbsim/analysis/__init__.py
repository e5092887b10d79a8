"""What runs say: headline indicators, paired comparisons with confidence intervals, and
stored results (zarr / netCDF).

Layer 4 of 6, beside :mod:`urbsim.reference`: may import the engine, inputs, common and the
kernels (not the reference, the tools or the interfaces).
"""
