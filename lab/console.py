"""What the command line prints through, and the signals it answers: nothing printed
stops a run, and every way a run ends says so in one line.

Standard library only: run_all imports this first, so a Ctrl-C or a failing import (an
address-space limit, ulimit -v, can make NumPy's libraries fail to map) in the seconds
its other imports take is one line too (faults_while_importing).
"""
import contextlib
import errno
import os
import signal
import sys
import threading

INTERRUPTED = "interrupted: every finished ensemble is saved; run the same command again to resume"


def first_line(err):
    """An exception as `Type: message` on one line; for an ImportError raised from another
    (NumPy's names its cause after many lines of advice), its cause's."""
    if isinstance(err, ImportError) and err.__cause__ is not None:
        err = err.__cause__
    text = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@contextlib.contextmanager
def faults_while_importing(active):
    """Around a script's imports (active: run as a script, not imported by a test): a
    Ctrl-C meanwhile is INTERRUPTED and exit 130, an import that fails (a library that
    cannot map its code under an address-space limit, a broken install) one line naming
    it and exit 2, instead of a traceback."""
    if not active:
        yield
        return
    try:
        yield
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(130) from None
    except (ImportError, MemoryError, OSError) as err:
        print(f"error: cannot start ({first_line(err)}): if this process's memory is limited "
              "(ulimit -v), allow it more; else reinstall what it needs (pip install -r "
              "requirements.txt)", file=sys.stderr)
        raise SystemExit(2) from None


def one_line_warning(message, category, filename, lineno, file=None, line=None):
    """warnings.showwarning for the command line: `warning: <message>`, one line (Python's
    own adds the file and line and a second line quoting the warn() call; some libraries'
    messages span lines)."""
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr)


def silence_output():
    """Point stdout and stderr at the null device, so what is still buffered for a pipe
    whose reader has closed goes nowhere at exit (else Python prints a BrokenPipeError)."""
    for stream in (sys.stdout, sys.stderr):
        _to_null_device(stream)


def _to_null_device(stream):
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):    # not a file (a test's capture)
        pass


class KeepGoingStream:
    """A text stream (stdout or stderr) whose faults never stop the run: a write that fails
    (a full disk, /dev/full, an I/O error) is said once on stderr, and what follows goes
    to the null device. A pipe whose reader has closed still raises BrokenPipeError: the
    run then ends quietly, as Unix tools do (run_all's main). kept_going_streams also has
    the stream write characters its encoding lacks (PYTHONIOENCODING=ascii, a C locale)
    as escapes."""

    def __init__(self, stream, name):
        self.stream, self.name, self.failed = stream, name, False

    def write(self, text):
        if not self.failed:
            try:
                self.stream.write(text)
            except OSError as err:
                self._failed(err)
        return len(text)

    def flush(self):
        if not self.failed:
            try:
                self.stream.flush()
            except OSError as err:
                self._failed(err)

    def _failed(self, err):
        if isinstance(err, BrokenPipeError):
            raise err
        self.failed = True
        _to_null_device(self.stream)        # what is still buffered goes nowhere at exit
        if self.name == "stdout":
            cause = err.strerror or errno.errorcode.get(err.errno, str(err))
            print(f"warning: cannot write to stdout ({cause}): the run goes on without its "
                  "progress lines", file=sys.stderr)

    def __getattr__(self, name):
        return getattr(self.stream, name)


@contextlib.contextmanager
def kept_going_streams():
    """sys.stdout and sys.stderr as KeepGoingStreams for the duration (escaping what their
    encoding lacks), then as they were."""
    saved = sys.stdout, sys.stderr
    errors = [_escape_unencodable(s) for s in saved]
    sys.stdout, sys.stderr = KeepGoingStream(saved[0], "stdout"), KeepGoingStream(saved[1], "stderr")
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        for stream, previous in zip(saved, errors):
            if previous is not None:
                with contextlib.suppress(Exception):
                    stream.reconfigure(errors=previous)


def _escape_unencodable(stream):
    """Have stream write what its encoding lacks as backslash escapes; returns its previous
    error handler (None if it cannot change)."""
    previous = getattr(stream, "errors", None)
    try:
        stream.reconfigure(errors="backslashreplace")
    except (AttributeError, ValueError, OSError):
        return None
    return previous


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is, so it ends as on Ctrl-C: workers stopped, every
    finished ensemble kept, one line."""


def interrupted_exit_code(interrupt):
    """The exit code of a run ended by this KeyboardInterrupt: 128 + the signal's number,
    as a shell reports a process that signal ended (130: Ctrl-C, 143: SIGTERM)."""
    return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


@contextlib.contextmanager
def sigterm_as_interrupt():
    """SIGTERM raises Terminated for the duration (in the main thread; elsewhere Python
    cannot set a handler and SIGTERM keeps its default action)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum, frame):
        raise Terminated
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
