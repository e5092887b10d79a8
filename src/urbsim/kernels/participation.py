"""Participation in a dialogue event.

A household in the event's scope (or, for a panel, invited at random with ``invite_share``)
takes part with probability ``sigmoid(x)``::

    x = c * logit(turnout[m])                base propensity: c = propensity_contrast (elections: 1)
      + format_shift                         election 0, open formats far below
      + sum_c intensity[c] * gain[m, c]      outreach channels and their fit to the milieu
      + social * neighbours                  mean engagement above baseline in the neighbourhood
      + context[n]                           neighbourhood status against the city (World.context)
      + weight * (engagement - baseline[m])  own engagement above the milieu baseline
      - fatigue * competing[n]               other formats competing in the same step

Returns per household 0 (not reached), 1 (reached or invited, did not take part), 2 (took part).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from urbsim.kernels import rng


@njit(cache=True, parallel=True)
def take_part(seed, step, event, active, milieu, node, engagement, engagement0, base_logit,
              channel_logit, shift, scope, competing, neighbours, social, context, weight,
              fatigue, panel, invite_share):
    """Outcome per household for one event (``event`` numbers the draws of this step)."""
    h = active.shape[0]
    out = np.zeros(h, np.int8)
    for i in prange(h):
        if not active[i] or not scope[node[i]]:
            continue
        if panel and rng.uniform(seed, step, rng.PARTICIPATION, i, 2 * event) >= invite_share:
            continue
        m = milieu[i]
        n = node[i]
        x = (base_logit[m] + shift + channel_logit[m] + social * neighbours[n] + context[n]
             + weight * (engagement[i] - engagement0[m]) - fatigue * competing[n])
        p = 1.0 / (1.0 + np.exp(-x))
        out[i] = 2 if rng.uniform(seed, step, rng.PARTICIPATION, i, 2 * event + 1) < p else 1
    return out
