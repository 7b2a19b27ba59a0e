"""Real components for the playback tests: a JACK server and FluidSynth on it.

The JACK server uses the dummy driver (no sound card needed) and a unique
name, so parallel runs and a composer's own JACK never meet; this process and
every child find it through ``JACK_DEFAULT_SERVER``. Both programs are
stopped afterwards. Missing programs skip the tests locally and fail them
under ``CI=true``. The fixtures themselves (``jack_server``, ``fluidsynth``,
``jack_api``) live in ``tests/conftest.py``, so that the GUI tests share the
one JACK server of a session.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SAMPLE_RATE = 44100
PERIOD = 256  # frames: 5.8 ms, the granularity at which JACK delivers MIDI and audio
SOUNDFONTS = (  # Debian: timgm6mb-soundfont, fluid-soundfont-gm
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
)
START_TIMEOUT = 15.0
_DRIVER_LAG = re.compile(rb"JackTimedDriver::Process XRun = (\d+) usec")


def require(available: bool, what: str) -> None:
    """Skip without a real component, except under CI where that is a failure."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing; CI=true needs the real components (scripts/system-deps.sh).")
    pytest.skip(f"{what} is missing (install with scripts/system-deps.sh)")


def soundfont() -> str | None:
    return next((p for p in SOUNDFONTS if Path(p).is_file()), None)


def _stop(process: subprocess.Popen[bytes], patience: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL after ``patience`` seconds; True when it had to be killed."""
    if process.poll() is not None:
        return process.returncode == -signal.SIGKILL
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(patience)
        return False
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
        return True


@dataclass
class JackServer:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    sample_rate: int = SAMPLE_RATE
    period: int = PERIOD
    driver_lags: list[tuple[float, float]] = field(default_factory=list)  # (perf_counter, seconds lost)

    def env(self) -> dict[str, str]:
        return {**os.environ, "JACK_DEFAULT_SERVER": self.name}

    def ports(self, connections: bool = False) -> str:
        args = ["jack_lsp", "-c"] if connections else ["jack_lsp"]
        return subprocess.run(args, env=self.env(), capture_output=True, text=True, timeout=10).stdout

    def wait_for(self, condition_text: str, connections: bool = False, timeout: float = START_TIMEOUT) -> None:
        end = time.monotonic() + timeout
        while condition_text not in self.ports(connections):
            if self.process.poll() is not None:
                pytest.fail(f"jackd exited early:\n{self.log_path.read_text(errors='replace')}")
            if time.monotonic() > end:
                pytest.fail(f"JACK port '{condition_text}' did not appear within {timeout} s")
            time.sleep(0.05)

    def port_set(self) -> set[str]:
        return set(self.ports().split("\n"))

    def wait_until_gone(self, leaving: Callable[[set[str]], bool], timeout: float = START_TIMEOUT) -> None:
        """Wait while ``leaving(ports)`` holds: a stopped program's ports leave the graph a moment later
        (JACK removes the client of an ended process asynchronously)."""
        end = time.monotonic() + timeout
        while leaving(self.port_set()) and time.monotonic() < end:
            time.sleep(0.02)

    def pump_log(self, process: subprocess.Popen[bytes]) -> None:
        """Copy jackd's output to the log as it comes, noting when the dummy driver fell behind.

        A late dummy driver does not catch up: the audio timeline loses the
        lateness it reports ("JackTimedDriver::Process XRun = N usec").
        """
        assert process.stdout is not None
        with self.log_path.open("ab") as log:
            for line in process.stdout:
                lag = _DRIVER_LAG.search(line)
                if lag:
                    self.driver_lags.append((time.perf_counter(), int(lag.group(1)) / 1e6))
                log.write(line)
                log.flush()

    def lost_before(self, since: float, until: float) -> float:
        """Seconds of audio timeline the dummy driver lost between two perf_counter readings."""
        return sum(lag for stamp, lag in list(self.driver_lags) if since <= stamp < until)

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


def stop_jack(server: JackServer) -> None:
    """Stop jackd cleanly; a killed one is restarted under its name and stopped again.

    The machine's JACK registry (/dev/shm/jack-shm-registry) has only 8
    server slots, and a killed jackd keeps its slot until a server of the same
    name starts: left alone, a few killed test servers would stop every JACK
    server on this machine. Semaphores of clients still connected when the
    server stopped are removed too.
    """
    if _stop(server.process, patience=15.0):
        with server.log_path.open("ab") as log:
            reclaim = subprocess.Popen(["jackd", "--no-realtime", "-n", server.name, "-d", "dummy"],
                                       stdout=log, stderr=subprocess.STDOUT)
        server.process = reclaim
        with contextlib.suppress(pytest.fail.Exception):
            server.wait_for("system:playback_1")  # registered: now it will unregister on SIGTERM
        _stop(reclaim, patience=15.0)
    for leftover in Path("/dev/shm").glob(f"jack_sem.{os.getuid()}_{server.name}_*"):
        leftover.unlink(missing_ok=True)


@dataclass
class FluidSynth:
    client: str
    process: subprocess.Popen[bytes]

    @property
    def midi_port(self) -> str:
        return f"{self.client}:midi_00"

    @property
    def audio_ports(self) -> tuple[str, str]:
        return f"{self.client}:left", f"{self.client}:right"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)


_SHM = Path("/dev/shm")


def _clear_stale_jack_registry() -> None:
    """jackd refuses to start ("Too many servers already active") once the shared-memory registry holds
    8 servers that were killed rather than stopped: it reclaims a dead server's slot only for the same
    name, and every test server has a new one. With no jackd running at all, nothing in it is alive."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() == "jackd":
                return  # a running server (the composer's own, a parallel test run) still uses the registry
    with contextlib.suppress(OSError):
        (_SHM / "jack-shm-registry").unlink()


def start_jack(directory: Path, period: int = PERIOD) -> JackServer:
    require(shutil.which("jackd") is not None, "jackd (Debian package jackd2)")
    require(shutil.which("jack_lsp") is not None, "jack_lsp (Debian package jackd2)")
    _clear_stale_jack_registry()
    name = f"musicassist-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    log_path = directory / f"{name}.log"
    log_path.touch()
    process = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", str(SAMPLE_RATE), "-p", str(period)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "JACK_NO_AUDIO_RESERVATION": "1"},
    )
    server = JackServer(name, process, log_path, period=period)
    threading.Thread(target=server.pump_log, args=(process,), daemon=True).start()
    try:
        server.wait_for("system:playback_1")
    except BaseException:
        stop_jack(server)
        raise
    return server


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_fluidsynth(server: JackServer, directory: Path) -> FluidSynth:
    require(shutil.which("fluidsynth") is not None, "fluidsynth (Debian package fluidsynth)")
    font = soundfont()
    require(font is not None, "a General MIDI soundfont (Debian package timgm6mb-soundfont)")
    assert font is not None
    client = f"fs{uuid.uuid4().hex[:6]}"
    # -s keeps FluidSynth running without a terminal; its shell listens on a TCP port,
    # so each instance gets a free one instead of the shared default 9800.
    args = ["fluidsynth", "-a", "jack", "-m", "jack", "-i", "-s", "-g", "0.6",
            "-o", f"shell.port={_free_tcp_port()}", "-o", f"audio.jack.id={client}",
            "-o", f"midi.jack.id={client}", "-o", f"synth.sample-rate={SAMPLE_RATE}", font]
    with (directory / f"{client}.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=server.env())
    synth = FluidSynth(client, process)
    try:
        server.wait_for(f"{client}:midi_00")
        server.wait_for(f"{client}:right")
    except BaseException:
        _stop(process)
        raise
    return synth


def retry_if_overloaded(server: JackServer, scenario: Callable[[], None], attempts: int = 3) -> None:
    """Run a real-time scenario; if it fails while JACK logged xruns, run it again (up to ``attempts``).

    On an overloaded machine the dummy driver runs late, and JACK then skips,
    drops or even repeats MIDI events and audio: such a run says nothing
    about MusicAssist. A failure without any xrun fails at once.
    """
    for attempt in range(1, attempts + 1):
        mark = server.log_size()
        try:
            scenario()
            return
        except AssertionError:
            overloaded = "XRun" in server.log_since(mark)
            if not overloaded or attempt == attempts:
                if overloaded:
                    print(f"\nJACK was overloaded (xruns) in all {attempts} attempts")
                raise
            print(f"\nattempt {attempt} failed while JACK reported xruns (machine overloaded); retrying")


def run_child(tmp_path: Path, source: str, args: list[str], env: dict[str, str], timeout: float,
              hang: str, server: JackServer | None = None) -> subprocess.CompletedProcess[str]:
    """Run a Python script in a child process from the project root, so that a hang in a C library
    fails the test (``hang`` says what hung) instead of stopping the suite.

    With ``server``, return only once the child's JACK ports have left its graph: MusicAssist never
    closes its JACK clients (see playback/jack_clients.py), so the server removes them when it notices
    the ended process, a moment later, and the next test must not find them."""
    script = tmp_path / "child.py"
    script.write_text(source)
    root = Path(__file__).resolve().parents[2]
    before = server.port_set() if server is not None else set()
    try:
        done = subprocess.run([sys.executable, str(script), *args], env={**env, "PYTHONPATH": str(root)},
                              capture_output=True, text=True, timeout=timeout, cwd=root)
    except subprocess.TimeoutExpired:
        pytest.fail(hang)
    if server is not None:
        server.wait_until_gone(lambda ports: not ports <= before)
    return done
