"""Process tuning for training workers: what makes a worker fast and tidy, nothing of the paper.

Every worker process keeps glibc's freed memory (keep_freed_memory), dies with its parent
(die_with_parent), trains with one BLAS thread (pin_blas_threads) and with subnormal floats
flushed to zero (subnormals_flushed). None of these changes a result (tested). The main
process asks for few malloc arenas (few_malloc_arenas), so its threads fit an address-space
limit. How many workers to start: at most one per core this process may run on
(usable_cores, cap_workers).
"""
import contextlib
import ctypes
import os
import platform
import signal
import sys

BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def keep_freed_memory():
    """Ask glibc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates temporaries of a few MB; by default glibc maps each
    one fresh and unmaps it when freed, so every step pays its page faults again
    (0.95 -> 0.80 ms per model-step, K = 16, float32, one thread).
    Results are unchanged. Returns False where the C library is not glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3   # <malloc.h>
    return bool(libc.mallopt(m_mmap_threshold, 1 << 25) and libc.mallopt(m_trim_threshold, 1 << 30)
                and libc.mallopt(m_top_pad, 1 << 26))


def few_malloc_arenas(arenas=2):
    """Ask glibc for at most `arenas` malloc arenas in this process. By default each thread
    that allocates may get one of its own, reserving 64 MB of address space each: a worker
    pool's three handler threads then reserve ~200 MB while hardly allocating, which an
    address-space limit (ulimit -v) counts against starting them. Results are unchanged.
    Returns False where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_arena_max = -8                                             # <malloc.h>
    return bool(libc.mallopt(m_arena_max, arenas))


def die_with_parent():
    """Linux: have the kernel kill this process when its parent dies (PR_SET_PDEATHSIG),
    so a killed main process (SIGTERM, SIGKILL) leaves no worker training on."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return False
    pr_set_pdeathsig = 1                                       # <sys/prctl.h>
    return libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0


def usable_cores():
    """The cores this process may run on: its CPU affinity (`taskset`, a cluster job's
    cpuset), which os.cpu_count() ignores, and never more than os.cpu_count()."""
    total = os.cpu_count() or 1
    try:
        allowed = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):          # no affinity call on this platform
        allowed = total
    return max(1, min(allowed, total))


def cap_workers(asked, what):
    """`asked` worker processes, capped at usable_cores() with a one-line note on stderr
    naming `what` was asked for (two workers on one core only take turns)."""
    cores = usable_cores()
    if asked <= cores:
        return asked
    print(f"note: {what} is more than the {cores} core{'s' * (cores != 1)} this process may run on "
          f"(its CPU affinity); using {cores} (one worker per core is the fastest)", file=sys.stderr)
    return cores


def pin_blas_threads():
    """One BLAS thread per worker: one worker per core beats threads inside one step (the
    matmuls are too small to split). Set before workers start; their numpy reads it."""
    for var in BLAS_THREAD_VARS:
        os.environ[var] = "1"


def blas_on_one_thread():
    """This process's BLAS on one thread while a jobs = 1 sweep trains in it: its NumPy is
    loaded already, so the environment of pin_blas_threads comes too late, and OpenBLAS
    would spread the small matmuls over every core (ten times slower on a busy machine).
    threadpoolctl where installed (requirements.txt has it), else nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


class subnormals_flushed:
    """Context manager: inside it, this thread's x86-64 SSE unit flushes subnormal results
    and operands to zero (MXCSR's FTZ and DAZ bits, what torch.set_flush_denormal does).

    Why: a decoder that weight decay has nearly zeroed (Fig. 8, large wd_dec) makes its
    matmuls produce numbers below 1.2e-38 in float32, and each such number costs the CPU
    a slow microcode assist: a 675×50·50×50 matmul went from 0.18 to 8.7 ms. Flushing
    them changes a result only where the exact result is itself below that size, so a
    run that never meets one is bit-identical (tested). Elsewhere (not x86-64 Linux)
    it does nothing. The previous state is restored on exit.
    """
    MXCSR_OFFSET, FTZ_DAZ = 28, 0x8040     # glibc's x86-64 fenv_t: mxcsr is its last field

    def __enter__(self):
        self.saved = None
        if sys.platform.startswith("linux") and platform.machine() in ("x86_64", "AMD64"):
            try:
                self.libm = ctypes.CDLL("libm.so.6")
            except OSError:
                return self
            self.saved = ctypes.create_string_buffer(64)
            if self.libm.fegetenv(self.saved) != 0:
                self.saved = None
                return self
            env = bytearray(self.saved.raw)
            o = self.MXCSR_OFFSET
            mxcsr = int.from_bytes(env[o:o + 4], "little") | self.FTZ_DAZ
            env[o:o + 4] = mxcsr.to_bytes(4, "little")
            self.libm.fesetenv(ctypes.create_string_buffer(bytes(env), 64))
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            self.libm.fesetenv(self.saved)
