"""Participation in a dialogue event.

A household in the event's scope (or, for a panel, invited at random with ``invite_share``)
takes part with probability ``sigmoid(x)``::

    x = c * logit(turnout[m])                base propensity: c = propensity_contrast (elections: 1)
      + format_shift                         federal election 0, the others below
      + lift[m]                              the channels that reach the milieu (World.channel_lift)
      + share * social * neighbours          mean engagement above baseline in the neighbourhood
      + share * weight * (engagement - baseline[m])   own engagement above the milieu baseline
      + context[n, m]                        neighbourhood status against the milieu's usual (World.context)
      - fatigue * competing[n]               other formats competing in the same step

``share`` is 1 in dialogue formats and ``election_engagement`` in elections.

Returns per household 0 (not reached), 1 (reached or invited, did not take part), 2 (took part).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from urbsim._kernels import rng
from urbsim._kernels.jit import njit


@njit()
def lift(fit, intensity, factor):
    """Logit lift per milieu of an event's announcement and outreach channels: a channel of
    intensity ``s`` reaches the share ``1 - (1 - fit)^s`` of a milieu, channels independently
    of each other, and a reached household's odds of taking part are ``factor`` times those of
    one missed; so no mix of channels raises the odds by more than ``factor``.

    Args:
        fit: ``(M, C)`` float64, the share of each milieu one unit of a channel reaches.
        intensity: ``(C,)`` float64, the event's intensity per channel (0: not used).
        factor: float >= 1, ``participation.outreach_factor``.

    Returns:
        ``(M,)`` float64, ``log(1 + (factor - 1) * reached share)``.
    """
    m, c = fit.shape
    out = np.empty(m)
    for i in range(m):
        missed = 1.0
        for k in range(c):
            if intensity[k] > 0:
                missed *= (1.0 - fit[i, k]) ** intensity[k]
        out[i] = np.log1p((factor - 1.0) * (1.0 - missed))
    return out


@njit(parallel=True)
def take_part(seed, step, event, households, dialogue, neighbours, context, rules):
    """Outcome per household for one event (stream PARTICIPATION, draws ``2 * event`` for a
    panel's invitation and ``2 * event + 1`` for taking part).

    Args:
        seed: int, the run's seed.
        step: int, the step.
        event: int, numbers the events of this step (and so their draws).
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``,
            ``milieu``, ``node`` (any valid node for empty slots), ``engagement`` are read.
        dialogue: :class:`~urbsim._kernels.records.Dialogue` (in), the event.
        neighbours: ``(N,)`` float64 (in), mean engagement above baseline of each
            neighbourhood's residents (:func:`neighbours`).
        context: ``(N, M)`` float64 (in), logit of each neighbourhood's status against the
            usual neighbourhood of each milieu.
        rules: :class:`~urbsim._kernels.records.ParticipationRules` (in): ``engagement0``,
            ``social``, ``weight``, ``fatigue`` are read.

    Returns:
        ``(H,)`` int8, 0 (not reached), 1 (reached or invited, did not take part) or 2 (took
        part).
    """
    active, milieu = households.active, households.milieu
    node, engagement = households.node, households.engagement
    base_logit, channel_logit = dialogue.base_logit, dialogue.channel_logit
    shift, scope, competing = dialogue.format_shift, dialogue.scope, dialogue.competing
    share = dialogue.engagement_share
    panel, invite_share = dialogue.panel, dialogue.invite_share
    engagement0, social = rules.engagement0, rules.social
    weight, fatigue = rules.weight, rules.fatigue
    h = active.shape[0]
    out = np.zeros(h, np.int8)
    for i in prange(h):
        if not active[i] or not scope[node[i]]:
            continue
        if panel and rng.uniform(seed, step, rng.PARTICIPATION, i, 2 * event) >= invite_share:
            continue
        m = milieu[i]
        n = node[i]
        x = (base_logit[m] + shift + channel_logit[m] + context[n, m] - fatigue * competing[n]
             + share * (social * neighbours[n] + weight * (engagement[i] - engagement0[m])))
        p = 1.0 / (1.0 + np.exp(-x))
        out[i] = 2 if rng.uniform(seed, step, rng.PARTICIPATION, i, 2 * event + 1) < p else 1
    return out


@njit()
def decay(households, rules):
    """Engagement returns towards its milieu baseline by ``rules.decay`` a year.

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``active`` and
            ``milieu`` are read, ``engagement`` of the active households is updated.
        rules: :class:`~urbsim._kernels.records.ParticipationRules` (in): ``engagement0``
            and ``decay`` are read.
    """
    active, milieu, engagement = households.active, households.milieu, households.engagement
    engagement0, rate = rules.engagement0, rules.decay
    for i in range(active.shape[0]):
        if active[i]:
            engagement[i] += rate * (engagement0[milieu[i]] - engagement[i])


@njit()
def neighbours(households, engagement0, n_nodes):
    """Mean engagement above the milieu baseline of the residents of each node (summed in
    household order).

    Args:
        households: :class:`~urbsim._kernels.records.Households` (in): ``active``, ``node``,
            ``milieu``, ``engagement`` are read.
        engagement0: ``(M,)`` float64 (in), baseline engagement per milieu.
        n_nodes: int, ``N``.

    Returns:
        ``(N,)`` float64, the mean (0 where nobody lives).
    """
    active, node = households.active, households.node
    milieu, engagement = households.milieu, households.engagement
    total = np.zeros(n_nodes)
    residents = np.zeros(n_nodes)
    for i in range(active.shape[0]):
        if active[i]:
            total[node[i]] += engagement[i] - engagement0[milieu[i]]
            residents[node[i]] += 1.0
    for n in range(n_nodes):
        total[n] /= max(residents[n], 1.0)
    return total


@njit()
def tally(out, households, participants, reached, rules):
    """Count reached households and participants per node x milieu, and let taking part raise
    engagement and attachment.

    Args:
        out: ``(H,)`` int8 (in), the outcomes of :func:`take_part`.
        households: :class:`~urbsim._kernels.records.Households` (in/out): ``node`` and
            ``milieu`` are read; ``engagement`` and ``attachment`` of the participants are
            raised.
        participants: ``(N, M)`` int64 (in/out), participants added.
        reached: ``(N, M)`` int64 (in/out), reached households added.
        rules: :class:`~urbsim._kernels.records.ParticipationRules` (in):
            ``engagement_gain`` and ``attachment_gain`` are read.
    """
    node, milieu = households.node, households.milieu
    engagement, attachment = households.engagement, households.attachment
    engagement_gain, attachment_gain = rules.engagement_gain, rules.attachment_gain
    for i in range(out.shape[0]):
        if out[i] >= 1:
            reached[node[i], milieu[i]] += 1
        if out[i] == 2:
            participants[node[i], milieu[i]] += 1
            engagement[i] += engagement_gain * (1 - engagement[i])
            attachment[i] += attachment_gain * (1 - attachment[i])
