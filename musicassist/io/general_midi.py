"""General MIDI instrument names, to name tracks a file leaves unnamed and to describe programs."""

from __future__ import annotations

from musicassist.core.score import DRUM_CHANNEL

GM_PROGRAM_NAMES: tuple[str, ...] = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica",
    "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)", "Electric Guitar (clean)",
    "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp",
    "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section", "Synth Brass 1",
    "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)",
    "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)", "FX 5 (brightness)",
    "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum",
    "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause",
    "Gunshot",
)


def instrument_name(program: int, channel: int = 0) -> str:
    """What a composer calls the sound of ``program`` on ``channel`` (channel 10 is the drum kit)."""
    if channel == DRUM_CHANNEL:
        return "Drums"
    return GM_PROGRAM_NAMES[program] if 0 <= program < len(GM_PROGRAM_NAMES) else f"Program {program}"


# What composers call the controllers they meet in files (MIDI 1.0 control change numbers).
CONTROLLER_NAMES: dict[int, str] = {
    0: "bank select", 1: "modulation", 2: "breath", 4: "foot controller", 5: "portamento time",
    6: "data entry", 7: "volume", 8: "balance", 10: "pan", 11: "expression", 32: "bank select (fine)",
    38: "data entry (fine)", 64: "sustain pedal", 65: "portamento", 66: "sostenuto pedal", 67: "soft pedal",
    68: "legato", 71: "resonance", 72: "release time", 73: "attack time", 74: "brightness", 84: "portamento control",
    91: "reverb send", 92: "tremolo depth", 93: "chorus send", 94: "detune", 95: "phaser depth",
    96: "data increment", 97: "data decrement", 98: "NRPN (fine)", 99: "NRPN", 100: "RPN (fine)", 101: "RPN",
    120: "all sound off", 121: "reset all controllers", 122: "local control", 123: "all notes off",
    124: "omni off", 125: "omni on", 126: "mono mode", 127: "poly mode",
}
EVENT_KIND_NAMES = {"pitchwheel": "pitch bend", "aftertouch": "channel pressure",
                    "polytouch": "polyphonic pressure", "program_change": "program change"}


def controller_name(kind: str, number: int = 0) -> str:
    """'sustain pedal (CC64)', 'controller 20 (CC20)', 'pitch bend', 'channel pressure', ..."""
    if kind == "control_change":
        return f"{CONTROLLER_NAMES.get(number, f'controller {number}')} (CC{number})"
    return EVENT_KIND_NAMES.get(kind, kind)
