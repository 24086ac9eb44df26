"""What a Dask worker runs to take this checkout's code (lab.cluster sends it).

A worker started from any folder cannot import geneft or the lab: `dask worker` puts its
own bin/ on sys.path, not the folder it was started from. So this module is pickled by
value (cloudpickle.register_pickle_by_value) and needs nothing but the standard library
and distributed: ShippedCode unpickles on a worker that has none of our code, writes the
code's zip into the worker's folder, puts it first on sys.path and imports what a task
needs, or names what the worker lacks. Registered on the scheduler, it also reaches every
worker that joins later, before that worker runs a task.
"""
import importlib
import os
import re
import sys

from distributed.diagnostics.plugin import WorkerPlugin

SHIPPED_TOP = ("geneft", "statics", "repons", "lab")   # the top-level names in the zip
ZIP_PREFIX = "geneft-code-"                             # its file name: ZIP_PREFIX + hash + ".zip"
TASK_MODULES = ("geneft", "lab.executors")              # what a task imports (and they import)


class ShippedCode(WorkerPlugin):
    """A worker plugin carrying the code's zip (its file name names its content's hash).
    setup raises a RuntimeError naming the worker and what it cannot import, which the
    client receives from register_plugin."""

    name = "geneft-code"      # one name: registering new code replaces the old on the scheduler
    idempotent = False        # set up again on every worker each time a run registers it

    def __init__(self, zip_name, data, numpy_min):
        self.zip_name, self.data, self.numpy_min = zip_name, data, tuple(numpy_min)

    def setup(self, worker):
        path = place_zip(worker.local_directory, self.zip_name, self.data)
        use_code_from(path)
        problem = import_problem(self.numpy_min)
        if problem:
            raise RuntimeError(f"worker {worker.address} {problem}")


def place_zip(folder, zip_name, data):
    """The zip written into folder (atomically; kept if the same bytes are there already:
    a worker may be importing from it). Returns its path."""
    path = os.path.join(folder, zip_name)
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return path
    except OSError:
        pass
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path


def use_code_from(path):
    """Make the modules in the zip at path the ones this process imports: a worker that
    ran an older checkout's code forgets those modules (a re-import would find them in
    sys.modules) and that zip, and finds this one first on sys.path."""
    lab = sys.modules.get("lab")
    if lab is not None and (getattr(lab, "__file__", None) or "").startswith(path + os.sep):
        return
    for name in [m for m in sys.modules if m.split(".")[0] in SHIPPED_TOP]:
        del sys.modules[name]
    sys.path[:] = [p for p in sys.path if not os.path.basename(p).startswith(ZIP_PREFIX)]
    sys.path.insert(0, path)
    importlib.invalidate_caches()


def import_problem(numpy_min):
    """What this process cannot import of what a task needs, as words ("cannot import
    numpy (...)"), or None. numpy_min: the oldest NumPy the code runs with, (major, minor)."""
    try:
        import numpy
    except Exception as err:              # a broken install raises more than ImportError
        return f"cannot import numpy ({first_line(err)})"
    found = tuple(int(x) for x in re.findall(r"\d+", numpy.__version__)[:2])
    if found < tuple(numpy_min):
        return (f"has NumPy {numpy.__version__}; the code needs NumPy >= "
                f"{'.'.join(map(str, numpy_min))}")
    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except Exception as err:
            missing = getattr(err, "name", None)
            what = f"{name}, which needs {missing}" if missing and missing != name else name
            return f"cannot import {what} ({first_line(err)})"
    return None


def first_line(err):
    """An exception as `Type: message` on one line; for an ImportError raised from
    another (NumPy's names its cause after many lines of advice), the cause's. (As
    lab.console.first_line: this module imports nothing of ours, see above.)"""
    if isinstance(err, ImportError) and err.__cause__ is not None:
        err = err.__cause__
    text = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
