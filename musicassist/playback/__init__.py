"""Live playback: Score -> timed MIDI messages -> a MIDI port, on time, from a dedicated thread.

Pure Python on mido and python-rtmidi; no Qt (the GUI subclasses ``Player``
and turns its hooks into signals). Modules: ``schedule`` (score to timed
messages, the controller state chased where a pass starts), ``planner``
(bar-by-bar planning), ``event_index`` (a track's controllers indexed for
that chase), ``metronome`` (clicks, count-in), ``timeline`` (the plan of one
pass, candidate switching), ``transport`` (where the player is), ``voices``
(what is sounding), ``engine`` (the ``Player`` thread), ``ports`` (MIDI
systems and ports), ``jack_watch`` (noticing that JACK stopped) and
``recorder`` (MIDI keyboard input to notes).
"""
