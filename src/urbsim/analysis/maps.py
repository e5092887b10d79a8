"""Maps of a city's areas: its polygons where it has them, its network otherwise.

:func:`area_map` returns a HoloViews element coloured by one value per neighbourhood, with
the neighbourhood's and district's names on hover: ``Polygons`` in km (the projected
coordinates the city was loaded in) for a city with polygons, else the neighbourhoods as
points at their positions over their adjacency.
"""

from __future__ import annotations

import numpy as np

from urbsim.inputs.city import City


def area_map(city: City, values: np.ndarray, label: str, **opts):
    """A map of ``values`` ``(N,)`` per neighbourhood, named ``label`` on the colour bar."""
    import holoviews as hv

    names = list(city.ids)
    districts = [city.districts[d] for d in city.district]
    style = dict(color=label, cmap="viridis", colorbar=True, tools=["hover"],
                 xlabel="x (km)", ylabel="y (km)") | opts
    if city.shapes is not None:
        import shapely

        data = []
        for geom, name, district, v in zip(city.shapes, names, districts, values, strict=True):
            parts = shapely.get_parts(geom)  # a multipolygon's parts, NaN between them
            xy = np.concatenate([np.vstack([shapely.get_coordinates(p.exterior),
                                            [[np.nan, np.nan]]]) for p in parts])[:-1]
            holes = [[shapely.get_coordinates(r) for r in p.interiors] for p in parts]
            data.append({"x": xy[:, 0], "y": xy[:, 1], "holes": holes, label: float(v),
                         "neighbourhood": name, "district": district})
        return hv.Polygons(data, vdims=[label, "neighbourhood", "district"]).opts(
            line_color="white", line_width=0.5, data_aspect=1, **style)
    x, y = city.pos[:, 0], city.pos[:, 1]
    src = np.repeat(np.arange(city.n), np.diff(city.indptr))
    keep = src < city.indices
    edges = hv.Segments((x[src[keep]], y[src[keep]], x[city.indices[keep]],
                         y[city.indices[keep]]), kdims=["x0", "y0", "x1", "y1"]).opts(
        color="lightgrey", line_width=1)
    points = hv.Points({"x": x, "y": y, label: values, "neighbourhood": names,
                        "district": districts}, kdims=["x", "y"],
                       vdims=[label, "neighbourhood", "district"]).opts(size=9, **style)
    return edges * points
