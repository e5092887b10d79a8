"""What runs say: headline indicators, paired comparisons with confidence intervals, and
stored results (zarr / netCDF).

Layer 5 of 7: may import the engine, inputs and common layers (not the reference or tools).
"""
