"""The calendar of a run: policy switches and dialogue events on Mesa's event list.

Mesa runs step t at time t. A policy switches on at ``start - 0.5`` and off at ``end + 0.5``;
a dialogue event is announced at ``step - 0.5`` (recurring events through
``Model.schedule_recurring``), so each acts in the step it names. The model's phases read
``active_policies`` and consume ``events_now``.
"""

from __future__ import annotations

from functools import partial

from mesa.model import Model
from mesa.time import Schedule

from urbsim.inputs.params import DialogueEvent, ModelParams


class Calendar(Model):
    """A ``mesa.Model`` with the policies and events of its parameters scheduled."""

    def schedule_calendar(self, p: ModelParams) -> None:
        """Put ``p.policies`` and ``p.events`` on the event list."""
        self.active_policies: list = []
        self.events_now: list[DialogueEvent] = []
        self._callbacks: list = []  # Mesa holds only weak references to event callbacks

        def at(time: float, fn) -> None:
            self._callbacks.append(fn)
            self.schedule_event(fn, at=time)

        for pol in p.policies.values():
            if not pol.enabled:
                continue
            at(pol.start - 0.5, partial(self._switch, pol, True))
            if pol.end is not None:
                at(pol.end + 0.5, partial(self._switch, pol, False))
        for e in p.events.values():
            if not e.enabled:
                continue
            announce = partial(self.events_now.append, e)
            if e.every is None:
                at(e.step - 0.5, announce)
            else:
                self._callbacks.append(announce)
                end = None if e.until is None else e.until - 0.5
                self.schedule_recurring(announce, Schedule(interval=e.every, start=e.step - 0.5,
                                                           end=end))

    def take_events(self) -> list[DialogueEvent]:
        """The events announced for this step (and clear them)."""
        events = list(self.events_now)
        self.events_now.clear()
        return events

    def _switch(self, policy, on: bool) -> None:
        if on:
            self.active_policies.append(policy)
        else:
            self.active_policies.remove(policy)
