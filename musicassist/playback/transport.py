"""Where the player is: the plan of the current pass, the clock reading it starts at, the loop.

The state shared by the player's commands (any thread) and its thread. It
holds no lock itself: the ``Player`` calls every method with its condition
variable held. ``generation`` goes up whenever the plan changes, so the
thread can tell that what it was about to send no longer applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from musicassist.core.score import Score

from .timeline import EventKind, PassPlan, PlannedEvent

START_LEAD = 0.02  # the first note waits for the thread to start rather than come late
# Planned ahead when a pass starts (the rest is planned by the player thread while it plays,
# keeping PLAN_HORIZON ahead): Space sounds at once however long the piece is.
START_HORIZON = 0.25
PLAN_HORIZON = 1.5


@dataclass
class Transport:
    clock: Callable[[], float]
    metronome: bool = False
    count_in_bars: int = 0
    plan: PassPlan | None = None
    score: Score | None = None
    origin: float = 0.0  # clock reading at which the plan's start beat sounds
    loop: tuple[Fraction, Fraction] | None = None
    region: tuple[Fraction, Fraction] = field(default=(Fraction(0), Fraction(0)))
    generation: int = 0
    stop_requested: bool = False
    panic_requested: bool = False
    flush_requested: bool = False  # release sounding notes before anything else
    paused: bool = False
    position: float = 0.0  # while paused or stopped

    @property
    def running(self) -> bool:
        return self.plan is not None and not self.paused and not self.stop_requested

    def start(self, score: Score, start: Fraction, region: tuple[Fraction, Fraction], looping: bool) -> None:
        """Plan the first pass, with the count-in before ``start``."""
        self.score, self.region = score, region
        self.loop = region if looping else None
        self.stop_requested = self.panic_requested = self.flush_requested = self.paused = False
        self.plan = PassPlan.build(score, start, max(region[1], start), metronome=self.metronome,
                                   count_in_bars=self.count_in_bars, horizon=START_HORIZON)
        count_in = -min(0.0, min((e.offset for e in self.plan.events), default=0.0))  # clicks before offset 0
        self.origin = self.clock() + START_LEAD + count_in
        self.position = float(start)
        self.generation += 1

    def restart_at(self, beat: Fraction) -> None:
        """A new plan from ``beat`` to the region's end, starting now."""
        assert self.score is not None
        self.plan = PassPlan.build(self.score, beat, self.region[1], metronome=self.metronome,
                                   horizon=START_HORIZON)
        self.origin = self.clock()
        self.generation += 1

    def next_pass(self) -> None:
        """Loop again, seamlessly: the new pass starts exactly where this one ends."""
        assert self.plan is not None and self.score is not None and self.loop is not None
        self.origin += self.plan.end_offset
        self.plan = PassPlan.build(self.score, self.loop[0], self.loop[1], metronome=self.metronome,
                                   horizon=START_HORIZON)
        self.generation += 1

    def current_position(self) -> float:
        if not self.running:
            return self.position
        assert self.plan is not None
        beat = self.plan.beat_at(self.clock() - self.origin)
        return min(max(beat, float(self.plan.start)), float(self.plan.end))

    def beat_at_time(self, clock_time: float) -> float | None:
        if not self.running:
            return None
        assert self.plan is not None
        return self.plan.beat_at(clock_time - self.origin)

    def seek_target(self, beat: Fraction) -> Fraction:
        """``beat`` kept inside the loop (else its start) or the region (its end finishes)."""
        low, high = self.region
        if self.loop is not None and not low <= beat < high:
            return low
        return min(max(beat, low), high)

    def switch(self, score: Score) -> None:
        """Play ``score`` from the next barline (or from the next pass when that is the loop end)."""
        self.score = score
        plan = self.plan
        if plan is None or not self.running:
            return
        barline = plan.next_barline(self.clock() - self.origin)
        if barline < plan.end:
            plan.switch(score, barline, metronome=self.metronome, horizon=PLAN_HORIZON)
            self.generation += 1

    def set_metronome(self, on: bool) -> None:
        self.metronome = on
        if self.plan is not None and self.running:
            self.plan.set_clicks(on, self.clock() - self.origin)
            self.generation += 1

    def needs_planning(self, now: float) -> bool:
        """Less than PLAN_HORIZON planned ahead of ``now`` (or nothing planned left to send)."""
        return self.plan is not None and self.plan.needs_more(now - self.origin, PLAN_HORIZON)

    def plan_more(self) -> None:
        assert self.plan is not None
        self.plan.extend()

    def has_next_event(self) -> bool:
        return self.plan is not None and self.plan.index < len(self.plan.events)

    def next_deadline(self) -> float:
        assert self.plan is not None
        return self.origin + self.plan.events[self.plan.index].offset

    def take_due(self, limit: float) -> list[PlannedEvent]:
        """Pop the events due by clock reading ``limit`` (stopping after an END)."""
        assert self.plan is not None
        plan, batch = self.plan, []
        while plan.index < len(plan.events) and self.origin + plan.events[plan.index].offset <= limit:
            event = plan.events[plan.index]
            plan.index += 1
            batch.append(event)
            if event.kind is EventKind.END:
                break
        return batch
