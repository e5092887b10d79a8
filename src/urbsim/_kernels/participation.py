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

from urbsim._kernels import rng


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


@njit(cache=True)
def decay(active, milieu, engagement, engagement0, rate):
    """Engagement returns towards its milieu baseline by ``rate`` a year (in place)."""
    for i in range(active.shape[0]):
        if active[i]:
            engagement[i] += rate * (engagement0[milieu[i]] - engagement[i])


@njit(cache=True)
def neighbours(active, node, milieu, engagement, engagement0, n_nodes):
    """Mean engagement above the milieu baseline of the residents of each node (summed in
    household order)."""
    total = np.zeros(n_nodes)
    residents = np.zeros(n_nodes)
    for i in range(active.shape[0]):
        if active[i]:
            total[node[i]] += engagement[i] - engagement0[milieu[i]]
            residents[node[i]] += 1.0
    for n in range(n_nodes):
        total[n] /= max(residents[n], 1.0)
    return total


@njit(cache=True)
def tally(out, node, milieu, participants, reached, engagement, attachment, engagement_gain,
          attachment_gain):
    """Count reached households and participants per node × milieu (into the given arrays)
    and let taking part raise engagement and attachment (in place)."""
    for i in range(out.shape[0]):
        if out[i] >= 1:
            reached[node[i], milieu[i]] += 1
        if out[i] == 2:
            participants[node[i], milieu[i]] += 1
            engagement[i] += engagement_gain * (1 - engagement[i])
            attachment[i] += attachment_gain * (1 - attachment[i])
