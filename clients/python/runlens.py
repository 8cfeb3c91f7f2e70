"""Runlens logging client for Python: one file, standard library only, Python 3.8+.

    import runlens

    with runlens.init(experiment="mnist", params={"lr": 0.01}) as run:
        for step in range(100):
            run.log({"loss": loss, "acc": acc})

Inside a run launched by Runlens (``runlens run -- python train.py``, or the editor), the
environment variable ``RUNLENS_RUN_DIR`` names the run folder: the client attaches to that run,
merges its params, tags, inputs and environment into run.json, and leaves the status to the
launcher. Started alone (``python train.py``), it creates a run in the nearest ``.runlens`` folder
above the working directory (or ``$RUNLENS_STORE``, or a new ``./.runlens``) and owns its status.

Metric points are buffered in memory and appended to metrics.jsonl by a background thread at
least once a second, at exit, on ``finish()`` and on SIGTERM; each flush is a single ``os.write``
to a file opened with O_APPEND, so several writers never interleave inside a line. run.json is
edited under the run's lock (``run.json.lock``, proper-lockfile's format) and replaced atomically.
The on-disk format is described in docs/store-format.md.

A process forked from one with an open run (multiprocessing, DataLoader workers) may log into it;
its points are appended, but it never changes run.json. multiprocessing children (Pool workers,
Process) leave with ``os._exit``, which skips atexit: their points are written by a multiprocessing
finalizer instead. A child forked by other means that leaves with ``os._exit`` should call
``runlens.flush()`` first.
"""

import array
import atexit
import csv
import hashlib
import io
import itertools
import json
import math
import numbers
import operator
import os
import platform
import random
import re
import shutil
import signal
import socket
import struct
import sys
import threading
import time

__version__ = "0.1.0"

__all__ = [
    "Run",
    "init",
    "log",
    "log_params",
    "log_param",
    "set_tags",
    "log_artifact",
    "log_input",
    "log_predictions",
    "flush",
    "finish",
    "active_run",
    "log_metric",
    "log_metrics",
    "set_tag",
    "log_text",
    "log_dict",
    "log_figure",
    "log_image",
    "start_run",
    "end_run",
    "set_experiment",
    "PARENT_TAG",
    "search_runs",
    "get_run",
    "get_metric_history",
    "parse_filter",
    "QueryError",
    "__version__",
]

STORE_DIR_NAME = ".runlens"
_STORE_FILE = "store.json"
_STORE_SCHEMA_VERSION = 1
_RUN_SCHEMA_VERSION = 1
_RUN_FILE = "run.json"
_METRICS_FILE = "metrics.jsonl"
_OUTPUT_FILE = "output.log"
_CLIENT_FILE = "client.json"
_ARTIFACTS_DIR = "artifacts"
_METRICS_HEADER = '{"schema":"runlens.metrics","schemaVersion":1}'

# Buffered points reach the disk within this many seconds (the contract is "at least once a second").
_FLUSH_INTERVAL = 0.5
# A buffer this long is written at once by the thread that logs.
_MAX_BUFFERED_LINES = 10000
# proper-lockfile's defaults as used by Runlens: a lock folder older than this is stale.
_LOCK_STALE_SECONDS = 10.0
_LOCK_TIMEOUT_SECONDS = 30.0

_END_STATUSES = ("finished", "failed", "killed", "crashed")
_TERMINAL_STATUSES = frozenset(_END_STATUSES)

_START_CWD = os.getcwd()


def _now_ms():
    return time.time_ns() // 1000000


# --------------------------------------------------------------------------------------------
# Run ids (src/core/store/ids.ts): 10 characters of millisecond time, 8 random ones, Crockford
# base32 in lower case. Ids made in the same millisecond increment the random part.

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_id_lock = threading.Lock()
_last_id_time = -1
_last_id_random = []  # type: list


def _new_run_id(now=None):
    global _last_id_time, _last_id_random
    with _id_lock:
        if now is None:
            now = _now_ms()
        if now == _last_id_time:
            rnd = list(_last_id_random)
            for i in range(len(rnd) - 1, -1, -1):
                if rnd[i] < 31:
                    rnd[i] += 1
                    break
                rnd[i] = 0
        else:
            rnd = [b & 31 for b in os.urandom(8)]
        _last_id_time = now
        _last_id_random = rnd
    chars = []
    t = now
    for _ in range(10):
        chars.append(_ALPHABET[t % 32])
        t //= 32
    return "".join(reversed(chars)) + "".join(_ALPHABET[d] for d in rnd)


# --------------------------------------------------------------------------------------------
# Files


def _dump_pretty(value):
    """JSON as Node's JSON.stringify(value, null, 2) writes it, plus a newline."""
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _dump_line(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _load_json(path):
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    # Bare NaN/Infinity are not JSON; should a writer have produced them, keep them as the strings
    # the store uses rather than as floats that cannot be written back.
    return json.loads(text, parse_constant=lambda c: c)


_tmp_counter = itertools.count()


def _replace(src, dst):
    # On Windows a reader holding the destination open makes os.replace fail for a moment.
    for attempt in range(100):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 99:
                raise
            time.sleep(0.01)


def _write_atomic(path, data):
    """Write a whole file so that readers see the old or the new content, never a mix."""
    directory, base = os.path.split(path)
    tmp = os.path.join(directory, ".%s.%d.%d.tmp" % (base, os.getpid(), next(_tmp_counter)))
    try:
        with open(tmp, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        _replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _FileLock(object):
    """proper-lockfile's lock: an atomic ``mkdir <file>.lock``; a lock folder whose mtime is older
    than 10 s is stale and is removed. Runlens (Node) takes the same lock on run.json."""

    def __init__(self, target, timeout=_LOCK_TIMEOUT_SECONDS):
        self.path = target + ".lock"
        self.timeout = timeout

    def __enter__(self):
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                os.mkdir(self.path)
                return self
            except FileExistsError:
                pass
            try:
                mtime = os.stat(self.path).st_mtime
            except FileNotFoundError:
                continue  # released meanwhile: try again at once
            if mtime < time.time() - _LOCK_STALE_SECONDS:
                try:
                    os.rmdir(self.path)
                    continue
                except FileNotFoundError:
                    continue
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    "%s is locked by another process (waited %.0f s); retry in a moment, or remove "
                    "the folder if no Runlens process is running" % (self.path, self.timeout)
                )
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.2, 0.05)

    def __exit__(self, *exc):
        try:
            os.rmdir(self.path)
        except OSError:
            pass  # broken as stale by another process
        return False


def _read_run_file(run_dir):
    path = os.path.join(run_dir, _RUN_FILE)
    try:
        record = _load_json(path)
    except ValueError as e:
        raise RuntimeError("%s is not valid JSON: %s" % (path, e))
    if not isinstance(record, dict):
        raise RuntimeError("%s is not a JSON object" % path)
    version = record.get("schemaVersion")
    if not isinstance(version, (int, float)) or isinstance(version, bool):
        raise RuntimeError("%s has no schemaVersion" % path)
    if version > _RUN_SCHEMA_VERSION:
        raise RuntimeError(
            "%s has schema version %s, newer than this Runlens client understands (%d); "
            "upgrade the client (it was left untouched)" % (path, version, _RUN_SCHEMA_VERSION)
        )
    return record


def _update_run_file(run_dir, change):
    """Read-modify-write of run.json under the run's lock, so edits from several processes land."""
    path = os.path.join(run_dir, _RUN_FILE)
    with _MainCritical():
        with _FileLock(path):
            record = _read_run_file(run_dir)
            change(record)
            record["updatedAt"] = _now_ms()
            _note_run_change(run_dir)
            _write_atomic(path, _dump_pretty(record))
            _note_run_change(run_dir)
            return record


def _note_run_change(run_dir):
    """Append the run's id to the store's change notes (index.changes), before and after a run.json
    write, as Runlens does: readers of the listing index re-read only noted runs (docs/store-format.md)."""
    runs = os.path.dirname(os.path.abspath(run_dir))
    if os.path.basename(runs) != "runs":
        return
    try:
        fd = os.open(
            os.path.join(os.path.dirname(runs), "index.changes"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666
        )
        try:
            os.write(fd, (os.path.basename(os.path.abspath(run_dir)) + "\n").encode("ascii"))
        finally:
            os.close(fd)
    except OSError:
        pass  # a read-only store: readers check every run instead


def _relative_to_root(abs_path, root):
    """The path relative to the workspace with forward slashes when inside it, else absolute."""

    def rel(p, r):
        try:
            out = os.path.relpath(p, r)
        except ValueError:  # another drive on Windows
            return None
        if out == os.pardir or out.startswith(os.pardir + os.sep) or os.path.isabs(out):
            return None
        return out.replace(os.sep, "/")

    found = rel(abs_path, root)
    if found is None:
        found = rel(os.path.realpath(abs_path), os.path.realpath(root))
    return found if found is not None else abs_path


# --------------------------------------------------------------------------------------------
# Stores


def _is_store_dir(d):
    return os.path.exists(os.path.join(d, _STORE_FILE)) or os.path.exists(os.path.join(d, "runs"))


def _checked_store_path(d, what):
    """A store path names the store folder itself; one that holds a store in .runlens is an error."""
    d = os.path.abspath(d)
    if not os.path.exists(os.path.join(d, _STORE_FILE)) and os.path.basename(d) != STORE_DIR_NAME:
        inner = os.path.join(d, STORE_DIR_NAME)
        if _is_store_dir(inner):
            raise ValueError(
                "%s %s is not a store, but %s is; a store path names the store folder itself: use %s"
                % (what, d, inner, inner)
            )
    return d


def _resolve_store_dir(explicit=None):
    """The one rule of src/core/store/resolve.ts: an explicit path, else $RUNLENS_STORE (both name
    the store folder itself), else the nearest ``.runlens`` at or above the working directory, else
    a new ``./.runlens``."""
    if explicit:
        return _checked_store_path(os.fspath(explicit), "store")
    env = os.environ.get("RUNLENS_STORE")
    if env:
        return _checked_store_path(env, "RUNLENS_STORE")
    return _find_store_dir(os.getcwd()) or os.path.join(os.getcwd(), STORE_DIR_NAME)


def _find_store_dir(start):
    """The nearest ``.runlens`` (with store.json or runs/) at or above start."""
    d = os.path.abspath(start)
    while True:
        candidate = os.path.join(d, STORE_DIR_NAME)
        if _is_store_dir(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _open_store(store_dir):
    """Check (or create) a store folder; a store written by a newer Runlens is refused."""
    store_file = os.path.join(store_dir, _STORE_FILE)
    meta = None
    try:
        meta = _load_json(store_file)
    except (FileNotFoundError, NotADirectoryError):
        meta = None
    except ValueError as e:
        raise RuntimeError(
            "%s is corrupt: %s; fix or delete store.json (it is recreated)" % (store_file, e)
        )
    if meta is not None:
        version = meta.get("schemaVersion") if isinstance(meta, dict) else None
        if not isinstance(version, (int, float)) or isinstance(version, bool):
            raise RuntimeError(
                "%s has no schemaVersion; fix or delete store.json (it is recreated)" % store_file
            )
        if version > _STORE_SCHEMA_VERSION:
            raise RuntimeError(
                "the store %s was written by a newer Runlens (schema %s, this client reads up to %d); "
                "nothing was changed; upgrade the client" % (store_dir, version, _STORE_SCHEMA_VERSION)
            )
    os.makedirs(os.path.join(store_dir, "runs"), exist_ok=True)
    if meta is None:
        _write_atomic(
            store_file,
            _dump_pretty(
                {"schema": "runlens.store", "schemaVersion": _STORE_SCHEMA_VERSION, "createdAt": _now_ms()}
            ),
        )


# --------------------------------------------------------------------------------------------
# Values


def _encode_value(v):
    """JSON cannot hold NaN or infinities: the store writes them as strings."""
    if math.isfinite(v):
        return v
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


_KEY_PREFIXES = {}  # type: dict


def _key_prefix(key):
    """The start of a point line up to its value: '{"key":<key as JSON>,"value":'."""
    if len(_KEY_PREFIXES) > 10000:
        _KEY_PREFIXES.clear()
    prefix = _KEY_PREFIXES[key] = '{"key":' + json.dumps(key, ensure_ascii=False) + ',"value":'
    return prefix


_int_text = int.__repr__
_float_text = float.__repr__


def _number_text(v):
    """A number as json.dumps writes it (ints and floats by their repr), non-finite ones as the
    strings the store uses ("NaN", "Infinity", "-Infinity")."""
    if type(v) is float:
        if v - v == 0.0:
            return _float_text(v)
        return '"NaN"' if v != v else ('"Infinity"' if v > 0 else '"-Infinity"')
    return _int_text(v) if isinstance(v, int) else _float_text(v)


def _describe(v):
    if v is None:
        return "None"
    if isinstance(v, str):
        return "the string %r" % (v if len(v) <= 40 else v[:40] + "\u2026")
    if isinstance(v, (bytes, bytearray)):
        return "bytes"
    name = type(v).__name__
    return "%s %s" % ("an" if name[:1].lower() in "aeiou" else "a", name)


def _metric_value(key, v):
    """A logged value as an int or float; strings and other objects are refused naming the key."""
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if v is not None and not isinstance(v, (str, bytes, bytearray)):
        tp = type(v)
        # numpy/torch scalars: integers keep their exact value, the rest go through float().
        if getattr(tp, "__index__", None) is not None:
            try:
                return operator.index(v)
            except Exception:
                pass
        if getattr(tp, "__float__", None) is not None:
            try:
                return float(v)
            except Exception:
                pass
    raise TypeError(
        'metric "%s" must be a number, got %s (log numbers only, NaN and Infinity are allowed; '
        "put text in params or tags)" % (key, _describe(v))
    )


def _check_step(step):
    if isinstance(step, bool) or step is None:
        raise TypeError("step must be a number, got %s" % _describe(step))
    if isinstance(step, int):
        return int(step)
    try:
        return operator.index(step)
    except Exception:
        pass
    try:
        f = float(step)
    except Exception:
        raise TypeError("step must be a number, got %s" % _describe(step))
    if not math.isfinite(f):
        raise ValueError("step must be finite, got %r" % f)
    return int(f) if f.is_integer() else f


def _param_value(v):
    """Params are text, numbers, booleans or None; anything else is recorded as str(v)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        return str.__str__(v)
    if type(v).__module__ == "numpy" and type(v).__name__ in ("bool_", "bool"):
        return bool(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        return f if math.isfinite(f) else _encode_value(f)
    return str(v)


def _normalize_params(params):
    if params is None:
        return {}
    if not hasattr(params, "items"):
        raise TypeError("params must be a dict, got %s" % _describe(params))
    return {str(k): _param_value(v) for k, v in params.items()}


def _normalize_tags(tags):
    if tags is None:
        return {}
    if not hasattr(tags, "items"):
        raise TypeError("tags must be a dict, got %s" % _describe(tags))
    return {str(k): (str.__str__(v) if isinstance(v, str) else str(v)) for k, v in tags.items()}


def _launched_params():
    raw = os.environ.get("RUNLENS_PARAMS")
    if not raw:
        return {}
    try:
        v = json.loads(raw)
    except ValueError:
        return {}
    return _normalize_params(v) if isinstance(v, dict) else {}


def _fold_summary(summary, key, value, step, t, source=None):
    """foldSummary of src/core/store/metrics.ts: NaN never becomes min or max unless all are NaN."""
    s = summary.get(key)
    if s is None:
        summary[key] = {
            "last": value,
            "lastStep": step,
            "min": value,
            "max": value,
            "minStep": step,
            "maxStep": step,
            "count": 1,
            "lastTime": t,
        }
        if source:
            summary[key]["source"] = source
        return
    s["count"] += 1
    if step >= s["lastStep"]:
        s["last"] = value
        s["lastStep"] = step
        s["lastTime"] = t
    if value < s["min"] or _isnan(s["min"]):
        s["min"] = value
        s["minStep"] = step
    if value > s["max"] or _isnan(s["max"]):
        s["max"] = value
        s["maxStep"] = step


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _decode_value(v):
    if _is_number(v):
        return v
    if v == "NaN":
        return math.nan
    if v == "Infinity":
        return math.inf
    if v == "-Infinity":
        return -math.inf
    return None


def _summary_from_file(path):
    """The summary of every point in metrics.jsonl (parsePointLine's rules: malformed lines and an
    unterminated last line are skipped)."""
    summary = {}
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            try:
                o = json.loads(raw.decode("utf-8"))
            except ValueError:
                continue
            if not isinstance(o, dict) or o.get("schema") == "runlens.metrics":
                continue
            key, value, step = o.get("key"), _decode_value(o.get("value")), o.get("step")
            if not isinstance(key, str) or value is None or not _is_number(step):
                continue
            t = o.get("time") if _is_number(o.get("time")) else 0
            _fold_summary(summary, key, value, step, t, "stdout" if o.get("source") == "stdout" else None)
    return summary


def _isnan(v):
    return isinstance(v, float) and v != v


def _encode_summary(summary):
    out = {}
    for key, s in summary.items():
        e = dict(s)
        for field in ("last", "min", "max"):
            if isinstance(e[field], float):
                e[field] = _encode_value(e[field])
        out[key] = e
    return out


# --------------------------------------------------------------------------------------------
# Environment

_ARCHES = {
    "x86_64": "x64",
    "amd64": "x64",
    "x64": "x64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "armv8l": "arm64",
    "i386": "ia32",
    "i686": "ia32",
    "x86": "ia32",
    "armv7l": "arm",
    "armv6l": "arm",
    "ppc64le": "ppc64",
    "ppc64": "ppc64",
}


def _os_name():
    """Node's `${os.type()} ${os.release()}`, e.g. "Linux 6.8.0", "Darwin 23.1.0"."""
    system = platform.system() or sys.platform
    if system == "Windows":
        system = "Windows_NT"
    return ("%s %s" % (system, platform.release())).strip()


def _arch():
    machine = platform.machine()
    return _ARCHES.get(machine.lower(), machine.lower() or "unknown")


_packages_cache = None  # type: dict | None


def _python_packages():
    """Installed distributions (name -> version), read once per process: enumerating them costs
    about 100 ms, which a sweep creating runs in one process would otherwise pay for each run."""
    global _packages_cache
    if _packages_cache is None:
        _packages_cache = _read_python_packages()
    return dict(_packages_cache)


def _read_python_packages():
    out = {}
    try:
        from importlib import metadata
    except ImportError:
        return out
    try:
        dists = list(metadata.distributions())
    except Exception:
        return out
    for dist in dists:
        try:
            name, version = _name_and_version(dist)
        except Exception:
            continue
        # The first distribution of a name on sys.path is the one that imports.
        if name and version and str(name) not in out:
            out[str(name)] = str(version)
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


def _name_and_version(dist):
    """A distribution's Name and Version headers, read from the top of its metadata file (parsing
    the whole file as email, as dist.metadata does, took most of a run's start-up)."""
    text = None
    for f in ("METADATA", "PKG-INFO"):
        text = dist.read_text(f)
        if text:
            break
    name = version = None
    for line in (text or "").split("\n", 64)[:64]:
        if not line.strip():
            break  # the end of the headers
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
        if name and version:
            return name, version
    return dist.metadata["Name"], dist.version


def _entry_script():
    """The absolute path of the program's entry point, the notebook a kernel runs when its front end
    names it, or None (python -c, REPL)."""
    main = sys.modules.get("__main__")
    f = getattr(main, "__file__", None)
    if not f:
        a0 = sys.argv[0] if sys.argv else ""
        if a0 and a0 not in ("-c", "-m", "-") and os.path.isfile(os.path.join(_START_CWD, a0)):
            f = a0
    if f and "ipykernel" in os.path.basename(f):
        return _kernel_notebook(main)
    if not f:
        return None
    return os.path.normpath(os.path.join(_START_CWD, f))


def _kernel_notebook(main):
    """In a Jupyter kernel: the notebook, as VS Code (``__vsc_ipynb_file__``) or Jupyter Server
    (``JPY_SESSION_NAME``) names it, so the lenses of its cells find the run; else None."""
    for p in (getattr(main, "__vsc_ipynb_file__", None), os.environ.get("JPY_SESSION_NAME")):
        if isinstance(p, str) and p.lower().endswith(".ipynb"):
            p = os.path.normpath(os.path.join(_START_CWD, p))
            if os.path.isfile(p):
                return p
    return None


def _default_run_name(script, run_id):
    """defaultRunName of src/core/store/store.ts: `<script stem>-<last 4 characters of the id>`."""
    stem = re.sub(r"\.[^.]+$", "", script.replace("\\", "/").rsplit("/", 1)[-1]) if script else "run"
    return "%s-%s" % (stem, run_id[-4:])


# --------------------------------------------------------------------------------------------
# Process-wide machinery: the flusher thread, exit hooks, the SIGTERM handler.

_state_lock = threading.RLock()
_live_runs = []  # type: list
_current = None  # type: Run | None

_flusher_thread = None
_flusher_pid = None
_wake = threading.Event()

_hooks_installed = False
_prev_excepthook = None
_orig_sys_exit = None
_exit_code = None  # the code passed to sys.exit, when it was called
_exiting = False
_terminating = False

# The SIGTERM handler runs in the main thread between two bytecodes. While the main thread is
# inside the client (holding its locks or run.json's lock), it only notes the signal; the signal
# is acted on when the main thread leaves the client.
_busy = 0
_sigterm_pending = False


class _MainCritical(object):
    __slots__ = ("on_main",)

    def __enter__(self):
        global _busy
        self.on_main = threading.current_thread() is threading.main_thread()
        if self.on_main:
            _busy += 1
        return self

    def __exit__(self, *exc):
        global _busy
        if self.on_main:
            _busy -= 1
            if _busy == 0 and _sigterm_pending:
                _terminate()
        return False


def _flusher_loop():
    while True:
        _wake.wait()
        time.sleep(_FLUSH_INTERVAL)  # gather the points of the next moments into one write
        _wake.clear()
        with _state_lock:
            runs = list(_live_runs)
        for run in runs:
            run._writer.flush(background=True)


def _ensure_flusher():
    global _flusher_thread, _flusher_pid
    with _state_lock:
        if _flusher_thread is not None and _flusher_pid == os.getpid() and _flusher_thread.is_alive():
            return
        _flusher_pid = os.getpid()
        _flusher_thread = threading.Thread(target=_flusher_loop, name="runlens-flush", daemon=True)
        _flusher_thread.start()


def _register(run):
    with _state_lock:
        _live_runs.append(run)
    _install_hooks()
    _install_sigterm()
    _ensure_flusher()


def _unregister(run):
    with _state_lock:
        if run in _live_runs:
            _live_runs.remove(run)
        remaining = len(_live_runs)
    if remaining == 0:
        _uninstall_sigterm()


def _install_hooks():
    global _hooks_installed, _prev_excepthook, _orig_sys_exit
    with _state_lock:
        if _hooks_installed:
            return
        _hooks_installed = True
        _prev_excepthook = sys.excepthook
        sys.excepthook = _excepthook
        # sys.exit(code) is wrapped only to learn the code: atexit cannot see it otherwise.
        _orig_sys_exit = sys.exit
        sys.exit = _sys_exit
        atexit.register(_atexit)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)


def _sys_exit(code=None):
    global _exit_code
    _exit_code = code
    _orig_sys_exit(code)


def _exit_status(code):
    """The (status, exitCode) of a run whose program exits with sys.exit(code)."""
    if code is None or code == 0:
        return "finished", 0
    if isinstance(code, int) and not isinstance(code, bool):
        return "failed", code
    return "failed", 1


def _excepthook(tp, value, tb):
    global _exiting
    try:
        if _prev_excepthook is not None:
            _prev_excepthook(tp, value, tb)
    finally:
        _exiting = True
        if issubclass(tp, KeyboardInterrupt):
            status, code = "killed", 130
        else:
            status, code = "failed", 1
        _end_all(status, code)


def _atexit():
    global _exiting
    _exiting = True
    status, code = _exit_status(_exit_code)
    _end_all(status, code)


def _end_all(status, code):
    with _state_lock:
        runs = list(_live_runs)
    for run in runs:
        try:
            run._end(status, code)
        except Exception as e:  # never let the client hide the program's own exit
            _warn("could not record the end of run %s: %s" % (run.id, e))


def _warn(message):
    try:
        sys.stderr.write("runlens: %s\n" % message)
        sys.stderr.flush()
    except Exception:
        pass


def _install_sigterm():
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return
    try:
        current = signal.getsignal(signal.SIGTERM)
        if current is _sigterm_handler:
            return
        if current == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _sigterm_handler)
    except (ValueError, OSError):
        pass  # not the main interpreter


def _uninstall_sigterm():
    if not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is _sigterm_handler:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (ValueError, OSError):
        pass


def _sigterm_handler(signum, frame):
    global _sigterm_pending
    if _busy > 0:
        _sigterm_pending = True
        return
    _terminate()


def _terminate():
    """SIGTERM: write what is buffered, mark owned runs killed, exit with 128 + 15."""
    global _sigterm_pending, _terminating, _exiting
    _sigterm_pending = False
    if _exiting or _terminating:
        return
    with _state_lock:
        runs = list(_live_runs)
    if not runs:
        # No run left: behave as if no handler had been installed.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    _terminating = True
    _end_all("killed", 143)
    _exiting = True
    (_orig_sys_exit or sys.exit)(143)


def _after_fork_in_child():
    """A forked child (multiprocessing, DataLoader workers) does not own its parent's runs: it only
    appends the points it logs itself. Locks and buffers copied from the parent are reset."""
    global _state_lock, _wake, _flusher_thread, _flusher_pid, _busy, _sigterm_pending
    _state_lock = threading.RLock()
    _wake = threading.Event()
    _flusher_thread = None
    _flusher_pid = None
    _busy = 0
    _sigterm_pending = False
    for run in _live_runs:
        run._after_fork()
    # multiprocessing workers (Pool, Process) leave with os._exit, which skips atexit: a
    # multiprocessing finalizer flushes them. The process start clears the finalizers a fork
    # inherits and then runs the after-fork callbacks, so the finalizer is registered from one.
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None and _live_runs:
        try:
            mp_util.register_after_fork(_fork_token, _register_exit_flush)
        except Exception as e:  # a private detail of multiprocessing changed: points may be lost
            _warn("cannot flush at the exit of multiprocessing workers: %s" % e)


class _ForkToken(object):
    """Kept alive for multiprocessing.util.register_after_fork (a weak-value registry)."""


_fork_token = _ForkToken()


def _register_exit_flush(_token):
    import multiprocessing.util as mp_util

    mp_util.Finalize(None, _flush_forked_runs, exitpriority=100)


def _flush_forked_runs():
    with _state_lock:
        runs = list(_live_runs)
    for run in runs:
        try:
            run._writer.flush(background=True)
        except Exception as e:
            _warn("could not write the points of run %s: %s" % (run.id, e))


# --------------------------------------------------------------------------------------------
# metrics.jsonl appender


def _last_byte(fd, size):
    if hasattr(os, "pread"):
        return os.pread(fd, 1, size - 1)
    with open(fd, "rb", closefd=False) as f:  # Windows: no pread
        f.seek(size - 1)
        return f.read(1)


# metrics.cache (src/core/store/metricsCache.ts): the run's points as binary columns next to
# metrics.jsonl, so a chart opens without parsing the JSONL. Little-endian:
#   "RLMC" u32 version, f64 coveredOffset, lines, t0, ino, mtimeMs (of the JSONL when it was exactly
#   coveredOffset bytes long, else 0), u32 tailLength + the JSONL bytes just before coveredOffset,
#   u32 warningsLength + warnings JSON, u32 keyCount + per key (u32 length, UTF-8 key, u32 points),
#   zero padding to a multiple of 8, then per key f64 steps[n], values[n], times[n].
_CACHE_MAGIC = 0x434D4C52
_CACHE_VERSION = 2
_CACHE_TAIL = 64
# Beyond this many points a writer leaves the cache to the readers (metricsCacheWriter.ts).
_CACHE_MAX_POINTS = 4000000
_CACHE_MIN_WRITE_BYTES = 256 * 1024


def _cache_file(jsonl):
    return (jsonl[:-6] if jsonl.endswith(".jsonl") else jsonl) + ".cache"


def _node_mtime_ms(st):
    ns = st.st_mtime_ns
    return (ns // 1000000000) * 1e3 + (ns % 1000000000) / 1e6


def _le_bytes(a):
    if sys.byteorder != "little":
        a = array.array("d", a)
        a.byteswap()
    return a.tobytes()


def _read_cache(jsonl, fd, size):
    """The columns of a cache that covers exactly the `size` bytes of the open JSONL (same inode,
    same last bytes, same mtime when it was written at this length), or None."""
    try:
        with open(_cache_file(jsonl), "rb") as f:
            buf = f.read()
        magic, version, offset, lines, _t0, ino, mtime = struct.unpack_from("<II5d", buf, 0)
        if magic != _CACHE_MAGIC or version != _CACHE_VERSION or offset != size:
            return None
        st = os.fstat(fd)
        if (ino and ino != st.st_ino) or (mtime and mtime != _node_mtime_ms(st)):
            return None
        at = 48
        (tail_len,) = struct.unpack_from("<I", buf, at)
        at += 4
        tail = buf[at : at + tail_len]
        at += tail_len
        if tail_len > size or os.pread(fd, tail_len, size - tail_len) != tail:
            return None
        (warnings_len,) = struct.unpack_from("<I", buf, at)
        if buf[at + 4 : at + 4 + warnings_len] != b"[]":
            return None  # lines the writer could not read: left to the readers
        at += 4 + warnings_len
        (nkeys,) = struct.unpack_from("<I", buf, at)
        at += 4
        keys = []
        for _ in range(nkeys):
            (n,) = struct.unpack_from("<I", buf, at)
            key = buf[at + 4 : at + 4 + n].decode("utf-8")
            (count,) = struct.unpack_from("<I", buf, at + 4 + n)
            at += 8 + n
            keys.append((key, count))
        at = (at + 7) // 8 * 8
        cols = {}
        for key, count in keys:
            col = []
            for _ in range(3):
                a = array.array("d")
                a.frombytes(buf[at : at + 8 * count])
                if len(a) != count:
                    return None
                if sys.byteorder != "little":
                    a.byteswap()
                col.append(a)
                at += 8 * count
            cols[key] = col
        return int(offset), int(lines), cols
    except (OSError, ValueError, struct.error, UnicodeDecodeError):
        return None


class _MetricsCache(object):
    """Keeps metrics.cache current while this process appends to metrics.jsonl, as the Node client's
    MetricsCacheWriter does: the points logged go into columns as they are logged (no parsing), and
    after each append that was exactly this process's bytes the columns cover the file up to its
    new end. The cache is rewritten on a doubling schedule (total work stays linear) and when the run
    ends. The JSONL is always written first: a process killed in between leaves a cache that covers
    less than the JSONL, which readers complete from it. A file this writer cannot account for
    (another writer, a torn line, an unreadable start) turns the cache off for this writer; the
    readers then rebuild it. Failing here never fails the logging."""

    def __init__(self, jsonl):
        self.jsonl = jsonl
        # key -> [steps, values, times], guarded by the run lock; None when off (no pread: Windows)
        self.cols = {} if hasattr(os, "pread") else None
        self.started = False
        self.offset = 0
        self.lines = 0
        self.points = 0
        self.cached_offset = 0

    def stop(self):
        self.cols = None

    def new_key(self, key):
        col = [array.array("d"), array.array("d"), array.array("d")]
        self.cols[key] = col
        return col

    def mark(self):
        """How many points of each key the lines taken for the next write hold."""
        cols = self.cols
        return None if cols is None else {k: len(c[0]) for k, c in cols.items()}

    def start(self, fd, size, mark):
        """The file as first opened (after the header was written to a new one): what it holds
        before this process's first append. Returns `mark` counting the points found there too,
        or None when the cache is off."""
        self.started = True
        header = (_METRICS_HEADER + "\n").encode("utf-8")
        if size == len(header) and os.pread(fd, size, 0) == header:
            self.offset, self.lines = size, 1
            return mark
        cached = _read_cache(self.jsonl, fd, size)
        if cached is None:
            self.stop()
            return None
        self.offset, self.lines, old = cached
        self.cached_offset = self.offset
        counts = dict((k, len(c[0])) for k, c in old.items())
        for key, col in self.cols.items():
            prev = old.get(key)
            if prev is None:
                old[key] = col
            else:
                for a, b in zip(prev, col):
                    a.extend(b)
        self.cols = old
        out = dict(counts)
        for k, n in mark.items():
            out[k] = out.get(k, 0) + n
        return out

    def appended(self, fd, before, after, nbytes, nlines, mark):
        """After a write of `nbytes` (`nlines` lines holding the points up to `mark`), the file
        was `before` bytes long just before it and `after` just after."""
        if self.cols is None:
            return
        if mark is None or before != self.offset or after - before != nbytes:
            return self.stop()
        self.offset = after
        self.lines += nlines
        self.points = sum(mark.values())
        if self.points > _CACHE_MAX_POINTS:
            return self.stop()
        if self.offset - self.cached_offset >= max(_CACHE_MIN_WRITE_BYTES, self.cached_offset):
            self.write(fd, mark)

    def write(self, fd, mark):
        cols = self.cols
        if cols is None or not self.started:
            return
        try:
            st = os.fstat(fd)
            offset = self.offset
            tail = os.pread(fd, min(_CACHE_TAIL, offset), offset - min(_CACHE_TAIL, offset))
            stamp_mtime = _node_mtime_ms(st) if st.st_size == offset else 0
            keys = [(k.encode("utf-8"), cols[k], n) for k, n in mark.items() if n > 0]
            # The first time of any point in the file: the relative-time axis starts there.
            t0 = min([min(c[2]) if len(c[2]) == n else min(c[2][:n]) for _, c, n in keys] or [math.inf])
            parts = [
                struct.pack(
                    "<II5dI", _CACHE_MAGIC, _CACHE_VERSION, offset, self.lines, t0, st.st_ino, stamp_mtime, len(tail)
                ),
                tail,
                struct.pack("<I", 2),
                b"[]",
                struct.pack("<I", len(keys)),
            ]
            head = sum(len(b) for b in parts)
            for k, _, n in keys:
                parts.append(struct.pack("<I", len(k)) + k + struct.pack("<I", n))
                head += 8 + len(k)
            parts.append(b"\0" * (-head % 8))
            for _, col, n in keys:
                for a in col:
                    # The points logged after this write's lines are not in the file yet.
                    parts.append(_le_bytes(a[:n]) if len(a) != n else _le_bytes(a))
            _write_atomic(_cache_file(self.jsonl), b"".join(parts))
            self.cached_offset = offset
        except (OSError, ValueError, OverflowError, struct.error):
            self.stop()


class _MetricWriter(object):
    def __init__(self, path, run_lock, removed=lambda: False):
        self.path = path
        self.run_lock = run_lock
        self.removed = removed  # true once the run's folder is gone (runlens rm): points are dropped
        self.lines = []  # guarded by run_lock
        self.cache = _MetricsCache(path)
        self.write_lock = threading.Lock()
        self.fd = None
        self.closed = False
        self.reported = False
        self.bytes_written = 0  # by this process, header excluded
        self.mark = None  # points of each key in the file so far (for the cache)

    def flush(self, background=False):
        run_lock = self.run_lock
        with _MainCritical():
            with self.write_lock:
                if self.closed:
                    return
                cache = self.cache
                with run_lock:
                    if not self.lines:
                        return
                    lines = self.lines
                    self.lines = []
                    mark = cache.mark()
                if self.removed():
                    with run_lock:
                        cache.stop()
                    return
                data = ("\n".join(lines) + "\n").encode("utf-8")
                written = 0
                try:
                    if self.fd is None:
                        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
                        fd = os.open(self.path, flags, 0o666)
                        size = os.fstat(fd).st_size
                        if size == 0:
                            os.write(fd, (_METRICS_HEADER + "\n").encode("utf-8"))
                        elif _last_byte(fd, size) != b"\n":
                            # A writer killed mid-line left half a point: end it, or the first point
                            # written here would be glued onto it and lost with it.
                            data = b"\n" + data
                        self.fd = fd
                        if mark is not None:
                            with run_lock:
                                mark = cache.start(fd, os.fstat(fd).st_size, mark)
                    before = os.fstat(self.fd).st_size if cache.cols is not None else -1
                    view = memoryview(data)
                    while written < len(data):
                        # One write for the whole buffer; a short write (disk full) is continued.
                        written += os.write(self.fd, view[written:])
                    self.bytes_written += written
                except OSError as e:
                    self.bytes_written += written
                    if written == 0:
                        with run_lock:
                            self.lines[:0] = lines  # kept for the next flush
                    else:
                        with run_lock:
                            cache.stop()
                    if not self.reported:
                        self.reported = True
                        _warn("cannot write %s: %s (points are kept in memory and retried)" % (self.path, e))
                    if not background:
                        raise
                    return
                if cache.cols is not None:
                    try:
                        after = os.fstat(self.fd).st_size
                        with run_lock:
                            cache.appended(self.fd, before, after, len(data), len(lines), mark)
                    except OSError:
                        with run_lock:
                            cache.stop()

    def close(self):
        try:
            self.flush()
        finally:
            with self.write_lock:
                self.closed = True
                if self.fd is not None:
                    cache = self.cache
                    with self.run_lock:
                        if cache.cols is not None and cache.offset != cache.cached_offset and not self.lines:
                            cache.write(self.fd, cache.mark())
                    try:
                        os.close(self.fd)
                    except OSError:
                        pass
                    self.fd = None


# --------------------------------------------------------------------------------------------
# Runs


PARENT_TAG = "runlens.parentRun"
"""The tag a nested run carries: its parent run's id (the explorer shows it under the parent)."""


def _check_params_unchanged(record, params):
    current = record.get("params") if isinstance(record.get("params"), dict) else {}
    for key, value in params.items():
        if key in current and current[key] != value:
            raise ValueError(
                "param %r of run %s is already %r, cannot log %r: a param cannot change once logged "
                "(MLflow's rule). Log the new value under another key, or as a metric or tag"
                % (key, record.get("id"), current[key], value)
            )


def _png_bytes(image):
    """A PNG (zlib, no other dependency) of an (H, W), (H, W, 3) or (H, W, 4) array or nested list."""
    import struct
    import zlib

    rows = image.tolist() if hasattr(image, "tolist") else [list(r) for r in image]
    if not rows or not hasattr(rows[0], "__len__") or not len(rows[0]):
        raise ValueError("log_image: an image needs rows of pixels, shape (H, W[, 3 or 4])")
    first = rows[0][0]
    channels = len(first) if hasattr(first, "__len__") else 1
    if channels not in (1, 3, 4):
        raise ValueError("log_image: %d channels; use 1 (gray), 3 (RGB) or 4 (RGBA)" % channels)
    flat = []
    for row in rows:
        if len(row) != len(rows[0]):
            raise ValueError("log_image: rows of different lengths")
        for px in row:
            flat.extend(px if channels > 1 else [px])
    floats = any(isinstance(v, float) for v in flat)
    if floats and any(v < 0 or v > 1 for v in flat if not _isnan(v)):
        raise ValueError("log_image: float pixels must lie in [0, 1]")

    def byte(v):
        if floats:
            v = 0 if _isnan(v) else int(round(v * 255))
        if not 0 <= v <= 255:
            raise ValueError("log_image: integer pixels must lie in [0, 255], got %r" % (v,))
        return int(v)

    height, width = len(rows), len(rows[0])
    raw = bytearray()
    i = 0
    for _ in range(height):
        raw.append(0)
        for _ in range(width * channels):
            raw.append(byte(flat[i]))
            i += 1

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    color = {1: 0, 3: 2, 4: 6}[channels]
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


class Run(object):
    """A tracked run. Attaches to the run named by $RUNLENS_RUN_DIR when launched by Runlens (and
    leaves its status to the launcher); otherwise creates a run and owns its status."""

    def __init__(self, experiment=None, name=None, params=None, tags=None, store=None, run_id=None, parent=None):
        with _MainCritical():
            self._init(experiment, name, params, tags, store, run_id, parent)

    def _init(self, experiment, name, params, tags, store, run_id=None, parent=None):
        self._lock = threading.Lock()
        self._end_lock = threading.Lock()
        self._ended = False
        self._forked = False
        self._auto_step = 0
        self._summary = {}

        launched = _launched_params()
        merged = _normalize_params(params)
        merged.update(launched)  # values given on the command line (runlens run -p k=v) win
        tags = _normalize_tags(tags)
        self._parent_run = parent if isinstance(parent, Run) else None
        if parent is not None:
            tags[PARENT_TAG] = parent.id if isinstance(parent, Run) else str(parent)
        env_experiment = os.environ.get("RUNLENS_EXPERIMENT") or None
        run_dir = os.environ.get("RUNLENS_RUN_DIR")
        python_env = {"python": platform.python_version(), "pythonPackages": _python_packages()}

        if run_id is not None and not run_dir:
            record = self._resume(run_id, store, merged, tags)
        elif run_dir:
            self.attached = True
            self.dir = os.path.abspath(run_dir)
            if not os.path.isfile(os.path.join(self.dir, _RUN_FILE)):
                raise RuntimeError(
                    "RUNLENS_RUN_DIR is %s, which has no run.json; unset RUNLENS_RUN_DIR to create a "
                    "run of your own" % self.dir
                )
            self.store_dir = os.path.dirname(os.path.dirname(self.dir))

            def attach(r):
                r["params"] = dict(r["params"]) if isinstance(r.get("params"), dict) else {}
                r["params"].update(merged)
                r["tags"] = dict(r["tags"]) if isinstance(r.get("tags"), dict) else {}
                r["tags"].update(tags)
                if name and name.strip() and r.get("name") != name.strip():
                    r["name"] = name.strip()
                # An experiment given to the launcher (-e) wins over the script's.
                if experiment and experiment.strip() and not env_experiment:
                    r["experiment"] = experiment.strip()
                env = dict(r["environment"]) if isinstance(r.get("environment"), dict) else {}
                env.setdefault("os", _os_name())
                env.setdefault("arch", _arch())
                env.update(python_env)
                r["environment"] = env

            # client.json first: the launcher stops reading metrics from the output once it exists.
            self._write_client_file(self.dir)
            record = _update_run_file(self.dir, attach)
        else:
            self.attached = False
            store_dir = _resolve_store_dir(store)
            _open_store(store_dir)
            self.store_dir = store_dir
            root = os.path.dirname(store_dir)
            entry = _entry_script()
            script = _relative_to_root(entry, root) if entry else None
            run_id = _new_run_id()
            exp = experiment if experiment is not None else env_experiment
            now = _now_ms()
            environment = {"os": _os_name(), "arch": _arch()}
            environment.update(python_env)
            command = getattr(sys, "orig_argv", None)
            record = {
                "schemaVersion": _RUN_SCHEMA_VERSION,
                "id": run_id,
                "experiment": (exp or "").strip() or "default",
                "name": (name or "").strip() or _default_run_name(script, run_id),
                "status": "running",
                "command": list(command) if command else [sys.executable] + list(sys.argv),
                "cwd": os.getcwd(),
                "script": script,
                "params": merged,
                "tags": tags,
                "starred": False,
                "startTime": now,
                "endTime": None,
                "exitCode": None,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "git": None,
                "environment": environment,
                "inputs": [],
                "summary": None,
                "note": None,
                "updatedAt": now,
            }
            runs_dir = os.path.join(store_dir, "runs")
            self.dir = os.path.join(runs_dir, run_id)
            # Built under a hidden name and renamed into place: readers never see a half-made run.
            tmp = os.path.join(runs_dir, ".%s.%d.tmp" % (run_id, os.getpid()))
            try:
                os.makedirs(os.path.join(tmp, _ARTIFACTS_DIR))
                with open(os.path.join(tmp, _METRICS_FILE), "wb") as f:
                    f.write((_METRICS_HEADER + "\n").encode("utf-8"))
                open(os.path.join(tmp, _OUTPUT_FILE), "wb").close()
                with open(os.path.join(tmp, _RUN_FILE), "wb") as f:
                    f.write(_dump_pretty(record).encode("utf-8"))
                self._write_client_file(tmp)
                os.rename(tmp, self.dir)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise

        self.id = record["id"]
        self.parent_id = (record.get("tags") or {}).get(PARENT_TAG)
        self.name = record.get("name") or record["id"]
        self.experiment = record.get("experiment")
        self.params = merged
        self.tags = tags
        self.root = os.path.dirname(self.store_dir)
        self._removed = False
        self._writer = _MetricWriter(os.path.join(self.dir, _METRICS_FILE), self._lock, self._is_removed)
        _register(self)

    def _is_removed(self):
        """True once the run's folder is gone (``runlens rm`` moves it to the trash); warns once."""
        if self._removed:
            return True
        if os.path.exists(os.path.join(self.dir, _RUN_FILE)):
            return False
        self._removed = True
        _warn("run %s was removed; this process no longer writes to it" % self.id)
        return True

    def _update(self, change):
        """_update_run_file on this run, a no-op once the run was removed."""
        if self._is_removed():
            return None
        try:
            return _update_run_file(self.dir, change)
        except OSError:
            if self._is_removed():
                return None
            raise

    def _resume(self, run_id, store, params, tags):
        """Reopen a run of the store (MLflow's start_run(run_id=...)): it is running again, owned by
        this process; automatic steps continue after the last one it logged."""
        self.attached = False
        self.store_dir = _store_for_reading(store)
        self.dir = _resolve_run_dir(self.store_dir, run_id)
        try:
            self._summary = _summary_from_file(os.path.join(self.dir, _METRICS_FILE))
        except OSError:
            self._summary = {}
        if self._summary:
            self._auto_step = int(max(s["lastStep"] for s in self._summary.values())) + 1
        self._write_client_file(self.dir)

        def reopen(r):
            _check_params_unchanged(r, params)
            _merge_field(r, "params", params)
            _merge_field(r, "tags", tags)
            r["status"] = "running"
            r["endTime"] = None
            r["exitCode"] = None
            r["summary"] = None
            r["pid"] = os.getpid()
            r["host"] = socket.gethostname()

        return _update_run_file(self.dir, reopen)

    def _write_client_file(self, directory):
        _write_atomic(
            os.path.join(directory, _CLIENT_FILE),
            _dump_line({"language": "python", "version": __version__, "pid": os.getpid()}) + "\n",
        )

    def __repr__(self):
        return "<runlens.Run %s %r%s>" % (self.id, self.name, " attached" if self.attached else "")

    @property
    def owner(self):
        """True when this process owns the run's status (created it and was not forked from it)."""
        return not self.attached and not self._forked

    @property
    def info(self):
        """MLflow's ``run.info``: run_id, run_name, experiment_id (the experiment's name), parent_run_id."""
        import types

        return types.SimpleNamespace(
            run_id=self.id, run_name=self.name, experiment_id=self.experiment, parent_run_id=self.parent_id
        )

    @property
    def finished(self):
        return self._ended

    # ---------------------------------------------------------------------------- logging

    def log(self, metrics, step=None, timestamp=None):
        """Log numbers at a step (the next automatic step when omitted: 0, 1, 2, ...); timestamp in
        milliseconds since the epoch (now when omitted)."""
        # The common case (floats and ints, an int step, no timestamp) is tested inline: this runs
        # once per point of a training loop and is most of the client's cost.
        if self._ended:
            self._assert_open()
        if not hasattr(metrics, "items"):
            raise TypeError("log() takes a dict of metric names to numbers, got %s" % _describe(metrics))
        values = []
        for key, raw in metrics.items():
            if type(key) is not str or not key:
                if not isinstance(key, str) or not key:
                    raise TypeError("metric key must be a non-empty string, got %r" % (key,))
            tp = type(raw)
            values.append((key, raw if tp is float or tp is int else _metric_value(key, raw)))
        if step is not None and type(step) is not int:
            step = _check_step(step)
        if timestamp is None:
            t = time.time_ns() // 1000000
        elif _is_number(timestamp) and math.isfinite(timestamp):
            t = int(timestamp)
        else:
            raise TypeError("timestamp must be milliseconds since the epoch, got %s" % _describe(timestamp))
        global _busy
        # _MainCritical, inline: a SIGTERM arriving now waits until the point is buffered.
        on_main = threading.get_ident() == threading.main_thread().ident
        if on_main:
            _busy += 1
        try:
            with self._lock:
                if step is None:
                    s = self._auto_step
                    self._auto_step += 1
                else:
                    s = step
                writer = self._writer
                lines = writer.lines
                cols = writer.cache.cols
                summary = self._summary
                was_empty = not lines
                # What _dump_line writes for {"key", "value", "step", "time"}, without json.dumps.
                step_text = _int_text(s) if type(s) is int else _number_text(s)
                end = ',"step":' + step_text + ',"time":' + _int_text(t) + "}"
                for key, v in values:
                    prefix = _KEY_PREFIXES.get(key)
                    if prefix is None:
                        prefix = _key_prefix(key)
                    if type(v) is float and v - v == 0.0:
                        lines.append(prefix + _float_text(v) + end)
                    else:
                        lines.append(prefix + _number_text(v) + end)
                    # _fold_summary, inline for a key seen before.
                    m = summary.get(key)
                    if m is None:
                        _fold_summary(summary, key, v, s, t)
                    else:
                        m["count"] += 1
                        if s >= m["lastStep"]:
                            m["last"] = v
                            m["lastStep"] = s
                            m["lastTime"] = t
                        lo = m["min"]
                        if v < lo or lo != lo:
                            m["min"] = v
                            m["minStep"] = s
                        hi = m["max"]
                        if v > hi or hi != hi:
                            m["max"] = v
                            m["maxStep"] = s
                    if cols is not None:
                        c = cols.get(key)
                        if c is None:
                            c = writer.cache.new_key(key)
                        try:
                            c[0].append(s)
                            c[1].append(v)
                            c[2].append(t)
                        except OverflowError:  # an integer beyond a double: left to the readers
                            writer.cache.stop()
                            cols = None
                n = len(lines)
        finally:
            if on_main:
                _busy -= 1
                if _busy == 0 and _sigterm_pending:
                    _terminate()
        if n >= _MAX_BUFFERED_LINES:
            writer.flush(background=True)
        elif was_empty and n:
            if _flusher_pid != os.getpid():
                _ensure_flusher()
            _wake.set()

    def flush(self):
        """Write the buffered points to metrics.jsonl now."""
        self._writer.flush()

    def log_metric(self, key, value, step=None, timestamp=None):
        """One metric point (MLflow's log_metric)."""
        self.log({key: value}, step=step, timestamp=timestamp)

    def log_metrics(self, metrics, step=None, timestamp=None):
        self.log(metrics, step=step, timestamp=timestamp)

    def log_params(self, params):
        """Record params. A param already recorded with another value is an error (MLflow's rule:
        params describe how the run was made); the same value again is fine."""
        self._assert_open()
        clean = _normalize_params(params)

        def merge(r):
            _check_params_unchanged(r, clean)
            _merge_field(r, "params", clean)

        self._update(merge)
        self.params.update(clean)

    def log_param(self, key, value):
        self.log_params({key: value})

    def set_tags(self, tags):
        self._assert_open()
        clean = _normalize_tags(tags)
        self.tags.update(clean)
        self._update(lambda r: _merge_field(r, "tags", clean))

    def set_tag(self, key, value):
        self.set_tags({key: value})

    # ---------------------------------------------------------------------------- artifacts from memory

    def _artifact_path(self, artifact_file, what):
        parts = [p for p in str(artifact_file).replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise ValueError("%s: artifact_file %r must be a relative path inside artifacts/" % (what, artifact_file))
        dest = os.path.join(self.dir, _ARTIFACTS_DIR, *parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        return dest, "/".join([_ARTIFACTS_DIR] + parts)

    def log_text(self, text, artifact_file):
        """Save text as an artifact (MLflow's log_text); returns its path in the run folder."""
        if not isinstance(text, str):
            raise TypeError("log_text: text must be a str, got %s" % _describe(text))
        dest, rel = self._artifact_path(artifact_file, "log_text")
        _write_atomic(dest, text)
        return rel

    def log_dict(self, dictionary, artifact_file):
        """Save a dict as JSON (or YAML for .yaml/.yml when PyYAML is importable; else JSON, which
        is valid YAML) as an artifact (MLflow's log_dict)."""
        dest, rel = self._artifact_path(artifact_file, "log_dict")
        text = None
        if str(artifact_file).lower().endswith((".yaml", ".yml")):
            try:
                import yaml

                text = yaml.safe_dump(dictionary, sort_keys=False)
            except ImportError:
                text = None
        if text is None:
            text = json.dumps(dictionary, indent=2) + "\n"
        _write_atomic(dest, text)
        return rel

    def log_figure(self, figure, artifact_file):
        """Save a matplotlib figure (anything with ``savefig``; a plotly figure to .html with
        ``write_html``) as an artifact (MLflow's log_figure)."""
        dest, rel = self._artifact_path(artifact_file, "log_figure")
        tmp = "%s.%d.%d.tmp%s" % (dest, os.getpid(), next(_tmp_counter), os.path.splitext(dest)[1])
        try:
            if str(artifact_file).lower().endswith(".html") and hasattr(figure, "write_html"):
                figure.write_html(tmp)
            elif hasattr(figure, "savefig"):
                figure.savefig(tmp)
            else:
                raise TypeError("log_figure: %s is not a matplotlib or plotly figure" % type(figure).__name__)
            _replace(tmp, dest)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return rel

    def log_image(self, image, artifact_file):
        """Save an image as an artifact (MLflow's log_image): a PIL image, or an array (numpy or
        nested lists) of shape (H, W), (H, W, 3) or (H, W, 4) - integers in [0, 255], or floats in
        [0, 1] - written as PNG."""
        dest, rel = self._artifact_path(artifact_file, "log_image")
        if hasattr(image, "save") and not hasattr(image, "shape"):
            tmp = "%s.%d.%d.tmp%s" % (dest, os.getpid(), next(_tmp_counter), os.path.splitext(dest)[1])
            image.save(tmp)
            _replace(tmp, dest)
            return rel
        if not str(artifact_file).lower().endswith(".png"):
            raise ValueError("log_image: an array is written as PNG; name the artifact *.png, got %r" % (artifact_file,))
        _write_atomic(dest, _png_bytes(image))
        return rel

    def log_artifact(self, path, name=None):
        """Copy a file (or folder) into the run's artifacts/; returns its path in the run folder."""
        src = os.path.abspath(os.fspath(path))
        if not os.path.exists(src):
            raise FileNotFoundError("artifact %s does not exist" % src)
        if name is None:
            name = os.path.basename(src.rstrip("/\\"))
        parts = [p for p in str(name).replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise ValueError("artifact name %r must be a relative path inside artifacts/" % (name,))
        dest = os.path.join(self.dir, _ARTIFACTS_DIR, *parts)
        if self._is_removed():
            return "/".join([_ARTIFACTS_DIR] + parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            tmp = os.path.join(
                os.path.dirname(dest), ".%s.%d.%d.tmp" % (parts[-1], os.getpid(), next(_tmp_counter))
            )
            try:
                shutil.copyfile(src, tmp)
                _replace(tmp, dest)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        return "/".join([_ARTIFACTS_DIR] + parts)

    def log_predictions(self, labels, predictions=None, scores=None, classes=None, name="predictions"):
        """Save a model's predictions as artifacts/<name>.csv, the input of ``runlens eval``.

        Columns: ``label`` (the truth), ``prediction``, and ``score`` (binary: one probability a row,
        of the positive class) or ``score_<class>`` (one column per class of a 2-D ``scores``;
        ``classes`` names them, default 0..k-1). Lists, tuples, numpy arrays and pandas Series work.
        """
        labels = _as_list(labels, "labels")
        n = len(labels)
        if n == 0:
            raise ValueError("log_predictions: labels is empty")
        columns = [("label", labels)]
        if predictions is not None:
            predictions = _as_list(predictions, "predictions")
            if len(predictions) != n:
                raise ValueError("log_predictions: %d labels but %d predictions" % (n, len(predictions)))
            columns.append(("prediction", predictions))
        if scores is not None:
            scores = _as_list(scores, "scores")
            if len(scores) != n:
                raise ValueError("log_predictions: %d labels but %d rows of scores" % (n, len(scores)))
            rows2d = [_as_list(r, "scores row") if _is_row(r) else None for r in scores]
            if all(r is None for r in rows2d):
                columns.append(("score", scores))
            else:
                width = len(rows2d[0] or [])
                for i, r in enumerate(rows2d):
                    if r is None or len(r) != width:
                        raise ValueError("log_predictions: scores row %d has %s values, row 0 has %d" % (i, "one" if r is None else len(r), width))
                names = list(classes) if classes is not None else list(range(width))
                if len(names) != width:
                    raise ValueError("log_predictions: %d classes but %d score columns" % (len(names), width))
                for k, c in enumerate(names):
                    columns.append(("score_%s" % (c,), [r[k] for r in rows2d]))
        elif predictions is None:
            raise ValueError("log_predictions: give predictions, scores or both")
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c for c, _ in columns])
        for i in range(n):
            writer.writerow([_csv_cell(values[i]) for _, values in columns])
        parts = [p for p in str(name).replace("\\", "/").split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise ValueError("log_predictions: name %r must be a relative path inside artifacts/" % (name,))
        dest = os.path.join(self.dir, _ARTIFACTS_DIR, *parts[:-1], parts[-1] + ".csv")
        if not self._is_removed():
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            _write_atomic(dest, buf.getvalue())
        return "/".join([_ARTIFACTS_DIR] + parts[:-1] + [parts[-1] + ".csv"])

    def log_input(self, path):
        """Record a data file the run reads: its path (relative to the workspace), size and sha256."""
        src = os.path.abspath(os.fspath(path))
        if not os.path.isfile(src):
            if os.path.isdir(src):
                raise IsADirectoryError("input %s is a folder; declare data files" % src)
            raise FileNotFoundError("input %s does not exist" % src)
        digest = hashlib.sha256()
        size = 0
        with open(src, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
        entry = {"path": _relative_to_root(src, self.root), "size": size, "sha256": digest.hexdigest()}

        def add(r):
            old = r.get("inputs") if isinstance(r.get("inputs"), list) else []
            r["inputs"] = [i for i in old if not (isinstance(i, dict) and i.get("path") == entry["path"])]
            r["inputs"].append(entry)

        self._update(add)
        return entry

    # ---------------------------------------------------------------------------- ending

    def finish(self, status="finished"):
        """End the run: write buffered points; when this process owns the run, record its status
        ("finished", "failed", "killed"), end time, exit code and metric summary. Inside a run
        launched by Runlens the launcher owns the status: a status other than "finished" is kept in
        the tag runlens.client_status. Returns run.json as a dict (None when the run was removed)."""
        if status not in _END_STATUSES:
            raise ValueError("status must be one of %s, got %r" % (", ".join(_END_STATUSES), status))
        record = self._end(status, None)
        if record is None and not self._is_removed():
            record = _read_run_file(self.dir)
        return record

    def __enter__(self):
        return self

    def __exit__(self, tp, value, tb):
        if self._ended:
            return False
        if tp is None:
            self._end("finished", 0)
        elif issubclass(tp, KeyboardInterrupt):
            self._end("killed", 130)
        elif issubclass(tp, SystemExit):
            self._end(*_exit_status(value.code if value is not None else None))
        else:
            self._end("failed", 1)
        return False

    def _end(self, status, exit_code):
        with _MainCritical():
            with self._end_lock:
                if self._ended:
                    return None
                self._ended = True
            try:
                self._writer.close()
            finally:
                _unregister(self)
                _leave_default(self)
            if self._forked:
                return None  # a forked child (a DataLoader worker, say) does not speak for the run
            if not self.owner:
                if status == "finished":
                    return None
                return self._update(
                    lambda r: _merge_field(r, "tags", {"runlens.client_status": status})
                )
            with self._lock:
                summary = self._summary
            metrics_file = os.path.join(self.dir, _METRICS_FILE)
            try:
                others_wrote = os.path.getsize(metrics_file) != self._writer.bytes_written + len(
                    _METRICS_HEADER
                ) + 1
            except OSError:
                others_wrote = False
            if others_wrote:
                # Points from forked children or other processes: fold the whole file, as the
                # launcher does, so that the summary covers every point of the run.
                try:
                    summary = _summary_from_file(metrics_file)
                except (OSError, ValueError):
                    pass
            summary = _encode_summary(summary)
            code = exit_code if exit_code is not None else (0 if status == "finished" else 1)

            def end(r):
                if r.get("status") in _TERMINAL_STATUSES:
                    return  # already ended (by a reader that found the process gone, say)
                r["status"] = status
                r["endTime"] = _now_ms()
                r["exitCode"] = code
                r["summary"] = summary

            return self._update(end)

    def _assert_open(self):
        if self._ended:
            raise RuntimeError("run %s has finished; call runlens.init() for a new run" % self.id)

    def _after_fork(self):
        self._lock = threading.Lock()
        self._end_lock = threading.Lock()
        self._forked = True
        writer = self._writer
        writer.lines = []  # the parent writes the points it buffered
        writer.cache.stop()  # and keeps the cache; the file is no longer this process's alone
        writer.write_lock = threading.Lock()
        writer.run_lock = self._lock


def _merge_field(record, field, values):
    current = record.get(field)
    record[field] = dict(current) if isinstance(current, dict) else {}
    record[field].update(values)


# --------------------------------------------------------------------------------------------
# Module-level API on the default run


def _leave_default(run):
    """A run ended: when it was the default run, its parent (a nested run's) becomes it again."""
    global _current
    if _current is run:
        parent = run._parent_run
        _current = parent if parent is not None and not parent._ended else None


def init(experiment=None, name=None, params=None, tags=None, store=None, run_id=None, parent=None):
    """Start (or, inside a run launched by Runlens, attach to) a run and make it the default one.

    params are defaults: values passed on the command line (``runlens run -p lr=0.1``) win, and
    ``run.params`` holds the merged values. A previous default run still open is finished first,
    unless the new run is nested in it (``parent=run`` or its id): the parent becomes the default
    run again when the nested one ends. ``run_id`` reopens a run of the store (MLflow's resume).
    Usable as a context manager: ``with runlens.init(...) as run:``."""
    global _current
    previous = _current
    parent_run = parent if isinstance(parent, Run) else None
    if parent is not None and parent_run is None and previous is not None and previous.id == str(parent):
        parent_run = previous
    if previous is not None and not previous._ended and previous is not parent_run:
        previous.finish()
    if parent_run is not None and store is None and not parent_run.attached:
        store = parent_run.store_dir
    _current = Run(
        experiment=experiment if experiment is not None or parent_run is None else parent_run.experiment,
        name=name,
        params=params,
        tags=tags,
        store=store,
        run_id=run_id,
        parent=parent_run if parent_run is not None else parent,
    )
    return _current


_experiment_name = None


def set_experiment(experiment_name):
    """The experiment of the runs started next (MLflow's set_experiment)."""
    global _experiment_name
    _experiment_name = str(experiment_name)
    return _experiment_name


def start_run(run_id=None, experiment_id=None, run_name=None, nested=False, tags=None, description=None):
    """MLflow's ``start_run``: a new run (or ``run_id`` reopened); ``nested=True`` nests it in the
    active run. Experiments are names (``set_experiment``, or ``experiment_id``)."""
    parent = _current if nested and _current is not None and not _current._ended else None
    if nested and parent is None:
        raise RuntimeError("start_run(nested=True) needs an active run to nest in")
    tags = dict(tags or {})
    if description is not None:
        tags["runlens.note"] = str(description)
    return init(
        experiment=experiment_id if experiment_id is not None else _experiment_name,
        name=run_name,
        tags=tags,
        run_id=run_id,
        parent=parent,
    )


def end_run(status="FINISHED"):
    """MLflow's ``end_run``: finish the active run (FINISHED, FAILED or KILLED)."""
    if _current is not None and not _current._ended:
        finish(str(status).lower())


def active_run():
    """The default run, or None before init()."""
    return _current


def _active():
    if _current is None:
        raise RuntimeError("no active run: call runlens.init() first")
    return _current


def log(metrics, step=None, timestamp=None):
    _active().log(metrics, step, timestamp)


def log_metric(key, value, step=None, timestamp=None):
    _active().log_metric(key, value, step, timestamp)


def log_metrics(metrics, step=None, timestamp=None):
    _active().log_metrics(metrics, step, timestamp)


def set_tag(key, value):
    _active().set_tag(key, value)


def log_text(text, artifact_file):
    return _active().log_text(text, artifact_file)


def log_dict(dictionary, artifact_file):
    return _active().log_dict(dictionary, artifact_file)


def log_figure(figure, artifact_file):
    return _active().log_figure(figure, artifact_file)


def log_image(image, artifact_file):
    return _active().log_image(image, artifact_file)


def log_params(params):
    _active().log_params(params)


def log_param(key, value):
    _active().log_param(key, value)


def set_tags(tags):
    _active().set_tags(tags)


def log_artifact(path, name=None):
    return _active().log_artifact(path, name)


def _as_list(values, what):
    if hasattr(values, "tolist"):
        return values.tolist()
    try:
        return list(values)
    except TypeError:
        raise TypeError("log_predictions: %s must be a sequence, not %s" % (what, type(values).__name__))


def _is_row(v):
    return not isinstance(v, (str, bytes)) and (hasattr(v, "__len__") or hasattr(v, "tolist"))


def _csv_cell(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
    return str(v)


def log_input(path):
    return _active().log_input(path)


def log_predictions(labels, predictions=None, scores=None, classes=None, name="predictions"):
    return _active().log_predictions(labels, predictions, scores, classes, name)


def flush():
    _active().flush()


def finish(status="finished"):
    """Finish the default run; a nested run's parent becomes the default run again."""
    return _active().finish(status)


# --------------------------------------------------------------------------------------------
# Reading the store: search_runs, get_run, get_metric_history.
#
# The query language is the one of src/core/store/query.ts (the CLI's ls -w/--sort and the
# editor's filter), ported rule for rule; test/unit/query-cases.json holds the cases both must
# agree on. docs/coming-from-mlflow.md describes it.

_ATTRIBUTES = {
    "id": "id", "run_id": "id", "name": "name", "run_name": "name", "experiment": "experiment",
    "experiment_name": "experiment", "experiment_id": "experiment", "status": "status",
    "script": "script", "starred": "starred", "gitCommit": "gitCommit", "git_commit": "gitCommit",
    "start": "start", "startTime": "start", "start_time": "start", "end": "end", "endTime": "end",
    "end_time": "end", "duration": "duration",
}  # fmt: skip
_PREFIXES = {
    "metrics": "metric", "metric": "metric", "params": "param", "param": "param", "tags": "tag",
    "tag": "tag", "attributes": "attr", "attribute": "attr", "attr": "attr", "run": "attr",
}  # fmt: skip
_KEYWORDS = frozenset(["AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL", "ASC", "DESC"])
_NUMBER_RE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_NUMBER_PREFIX_RE = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_WORD_CHAR_RE = re.compile(r"[\w.:/-]")


class QueryError(ValueError):
    """A filter or sort order that does not read whole; ``position`` is where reading stopped."""

    def __init__(self, what, text, position, problem):
        self.what, self.text, self.position, self.problem = what, text, position, problem
        ValueError.__init__(
            self,
            "cannot read the %s at column %d: %s\n  %s\n  %s^" % (what, position + 1, problem, text, " " * position),
        )


def _q_tokenize(text, what):
    tokens = []
    i, n = 0, len(text)

    def read_quoted(start):
        q = text[start]
        j = start + 1
        value = []
        while True:
            if j >= n:
                raise QueryError(what, text, start, "the text starting here has no closing %s" % q)
            c = text[j]
            if c == q:
                if j + 1 < n and text[j + 1] == q:
                    value.append(q)
                    j += 2
                    continue
                return "".join(value), j + 1
            if c == "\\" and j + 1 < n and text[j + 1] in (q, "\\"):
                value.append(text[j + 1])
                j += 2
                continue
            value.append(c)
            j += 1

    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            tokens.append(("punct", c, i, i + 1))
            i += 1
            continue
        two = text[i : i + 2]
        if two in (">=", "<=", "!=", "<>", "=="):
            tokens.append(("op", {"<>": "!=", "==": "="}.get(two, two), i, i + 2))
            i += 2
            continue
        if c in "=<>~":
            tokens.append(("op", c, i, i + 1))
            i += 1
            continue
        if c in "'\"":
            value, end = read_quoted(i)
            tokens.append(("string", value, i, end))
            i = end
            continue
        if c == "`":
            value, end = read_quoted(i)
            prev = tokens[-1] if tokens else None
            if prev and prev[0] == "field" and prev[3] == i and prev[1][-1].endswith("."):
                tokens[-1] = ("field", [prev[1][0][:-1] if len(prev[1]) == 1 else prev[1][0], value], prev[2], end)
            else:
                tokens.append(("field", [value], i, end))
            i = end
            continue
        m = _NUMBER_PREFIX_RE.match(text, i)
        if m and (c.isdigit() or c == "." or (c in "-+" and tokens and tokens[-1][0] == "op")):
            tokens.append(("number", float(m.group(0)) if not re.match(r"^[-+]?\d+$", m.group(0)) else int(m.group(0)), i, m.end()))
            i = m.end()
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and _WORD_CHAR_RE.match(text[j]):
                j += 1
            word = text[i:j]
            if word.endswith(".") and j < n and text[j] in '"`':
                value, end = read_quoted(j)
                tokens.append(("field", [word[:-1], value], i, end))
                i = end
                continue
            tokens.append(("word", word, i, j))
            i = j
            continue
        raise QueryError(what, text, i, 'unexpected "%s"' % c)
    tokens.append(("end", None, n, n))
    return tokens


def _q_field(raw, parts=None):
    """(kind, key, stat) for metric; (kind, key) otherwise; kind in metric/param/tag/attr/bare."""
    if parts is not None and len(parts) == 1:
        return ("bare", parts[0])
    if parts is not None:
        head, rest = parts
    else:
        head, _, rest = raw.partition(".")
        if "." not in raw:
            rest = None
    prefix = _PREFIXES.get(head)
    if prefix and rest is not None:
        if rest == "":
            raise ValueError('"%s" names no %s key' % (raw, head))
        if prefix == "metric":
            m = re.match(r"^(.*):(min|max|last)$", rest, re.S)
            return ("metric", m.group(1), m.group(2)) if m else ("metric", rest, "last")
        if prefix == "param":
            return ("param", rest)
        if prefix == "tag":
            return ("attr", "name") if rest == "mlflow.runName" else ("tag", rest)
        if rest not in _ATTRIBUTES:
            raise ValueError('"%s" is not a run attribute' % rest)
        return ("attr", _ATTRIBUTES[rest])
    if raw in _ATTRIBUTES:
        return ("attr", _ATTRIBUTES[raw])
    return ("bare", raw)


def _q_field_name(f):
    if f[0] == "metric":
        return "metrics.%s%s" % (f[1], "" if f[2] == "last" else ":" + f[2])
    return {"param": "params.", "tag": "tags."}.get(f[0], "") + f[1]


def parse_filter(text):
    """Parse a filter into a tree of tuples (None for an empty text); raises QueryError."""
    what = "filter"
    tokens = _q_tokenize(text, what)
    pos = [0]

    def peek():
        return tokens[pos[0]]

    def fail(tok, problem):
        raise QueryError(what, text, tok[2], problem)

    def is_kw(tok, kw):
        return tok[0] == "word" and tok[1].upper() == kw

    def describe(tok):
        return "the end of the text" if tok[0] == "end" else '"%s"' % text[tok[2] : tok[3]]

    if peek()[0] == "end":
        return None

    def parse_or():
        items = [parse_and()]
        while is_kw(peek(), "OR"):
            pos[0] += 1
            items.append(parse_and())
        return items[0] if len(items) == 1 else ("or", items)

    def parse_and():
        items = [parse_unary()]
        while is_kw(peek(), "AND"):
            pos[0] += 1
            items.append(parse_unary())
        return items[0] if len(items) == 1 else ("and", items)

    def parse_unary():
        tok = peek()
        if is_kw(tok, "NOT"):
            pos[0] += 1
            return ("not", parse_unary())
        if tok[0] == "punct" and tok[1] == "(":
            pos[0] += 1
            inner = parse_or()
            close = peek()
            if not (close[0] == "punct" and close[1] == ")"):
                fail(close, 'expected ")" to close the "(" at column %d, found %s' % (tok[2] + 1, describe(close)))
            pos[0] += 1
            return inner
        return parse_comparison()

    def parse_literal(field):
        tok = peek()
        if tok[0] in ("number", "string"):
            v = tok[1]
        elif tok[0] == "word" and tok[1].upper() not in _KEYWORDS:
            v = tok[1]
        else:
            fail(tok, "expected a value (a number, 'quoted text' or a word) after %s, found %s" % (_q_field_name(field), describe(tok)))
        pos[0] += 1
        if field == ("attr", "status") and isinstance(v, str):
            v = v.lower()
            v = "queued" if v == "scheduled" else v
        return v

    def parse_comparison():
        tok = peek()
        if tok[0] not in ("word", "field"):
            fail(tok, "expected a field (metrics.KEY, params.KEY, tags.KEY or an attribute), found %s" % describe(tok))
        if tok[0] == "word" and tok[1].upper() in _KEYWORDS:
            fail(tok, "expected a field, found the keyword %s" % tok[1].upper())
        pos[0] += 1
        try:
            field = _q_field(tok[1], None) if tok[0] == "word" else _q_field(text[tok[2] : tok[3]], tok[1])
        except ValueError as e:
            fail(tok, str(e))
        op = peek()
        if op[0] == "op":
            pos[0] += 1
            return ("cmp", field, op[1], parse_literal(field))
        negated = False
        if is_kw(op, "NOT"):
            negated = True
            pos[0] += 1
        kw = peek()
        if is_kw(kw, "LIKE") or is_kw(kw, "ILIKE"):
            pos[0] += 1
            node = ("cmp", field, kw[1].upper(), str(parse_literal(field)))
            return ("not", node) if negated else node
        if is_kw(kw, "IN"):
            pos[0] += 1
            if not (peek()[0] == "punct" and peek()[1] == "("):
                fail(peek(), 'expected "(" after IN, found %s' % describe(peek()))
            pos[0] += 1
            values = [parse_literal(field)]
            while True:
                sep = peek()
                if sep[0] == "punct" and sep[1] == ",":
                    pos[0] += 1
                    values.append(parse_literal(field))
                    continue
                if sep[0] == "punct" and sep[1] == ")":
                    pos[0] += 1
                    break
                fail(sep, 'expected "," or ")" in the IN list, found %s' % describe(sep))
            return ("in", field, values, negated)
        if not negated and is_kw(kw, "IS"):
            pos[0] += 1
            neg = False
            if is_kw(peek(), "NOT"):
                neg = True
                pos[0] += 1
            if not is_kw(peek(), "NULL"):
                fail(peek(), "expected NULL after IS%s, found %s" % (" NOT" if neg else "", describe(peek())))
            pos[0] += 1
            return ("null", field, neg)
        bad = kw if negated else op
        fail(bad, "expected an operator (=, !=, >, >=, <, <=, ~, LIKE, ILIKE, IN, IS NULL) after %s, found %s" % (_q_field_name(field), describe(bad)))

    node = parse_or()
    rest = peek()
    if rest[0] != "end":
        extra = ""
        if rest[0] == "word" and tokens[pos[0] - 1][0] == "number":
            prev = tokens[pos[0] - 1]
            extra = " (the value ended at \"%s\"; quote text values: '...')" % text[prev[2] : prev[3]]
        fail(rest, "expected AND, OR or the end, found %s%s" % (describe(rest), extra))
    return node


def _q_value(e, f):
    kind = f[0]
    if kind == "metric":
        s = e["metrics"].get(f[1])
        return s.get(f[2]) if isinstance(s, dict) else None
    if kind == "param":
        return e["params"].get(f[1])
    if kind == "tag":
        return e["tags"].get(f[1])
    if kind == "bare":
        if f[1] in e["params"]:
            return e["params"][f[1]]
        s = e["metrics"].get(f[1])
        return s.get("last") if isinstance(s, dict) else None
    name = f[1]
    if name == "start":
        return e.get("startTime")
    if name == "end":
        return e.get("endTime")
    if name == "duration":
        return e["endTime"] - e["startTime"] if e.get("endTime") is not None else None
    return e.get(name)


def _q_number(v):
    if _is_number(v):
        return v
    if isinstance(v, str) and _NUMBER_RE.match(v.strip()):
        return float(v)
    return None


def _q_text(v):
    """String(v) of JavaScript, for the values a run holds."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if type(v) is int and not -9007199254740992 < v < 9007199254740992:
        return _q_text(_q_double(v))  # String() of the double it is in JavaScript
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (math.inf, -math.inf):
            return "Infinity" if v > 0 else "-Infinity"
        if v == int(v) and abs(v) < 1e21:
            return str(_json_number(v))
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", repr(v))
    return str(v)


def _q_like(pattern, insensitive):
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("^%s$" % body, re.S | (re.I if insensitive else 0))


def _q_double(v):
    """A number as JavaScript holds it: an int (an integer literal, a value from JSON) as a double."""
    if type(v) is int:
        try:
            return float(v)
        except OverflowError:
            return math.inf if v > 0 else -math.inf
    return v


def _q_compare(v, op, lit):
    if op == "~":
        return _q_text(lit).lower() in _q_text(v).lower()
    if op in ("LIKE", "ILIKE"):
        return _q_like(_q_text(lit), op == "ILIKE").match(_q_text(v)) is not None
    a, b = _q_number(v), _q_number(lit)
    if a is None or b is None:
        a, b = _q_text(v), _q_text(lit)
    else:
        a, b = _q_double(a), _q_double(b)
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "<":
        return a < b
    return a <= b


def _q_eval(node, e):
    if node is None:
        return True
    t = node[0]
    if t == "and":
        for x in node[1]:
            if not _q_eval(x, e):
                return False
        return True
    if t == "or":
        for x in node[1]:
            if _q_eval(x, e):
                return True
        return False
    if t == "not":
        return not _q_eval(node[1], e)
    v = _q_value(e, node[1])
    if t == "null":
        return (v is None) != node[2]
    if t == "in":
        if v is None:
            return node[3]
        return any(_q_compare(v, "=", lit) for lit in node[2]) != node[3]
    if v is None:
        return node[2] == "!="
    return _q_compare(v, node[2], node[3])


def parse_order_by(order_by):
    """``"metrics.acc DESC"``, ``-metrics.acc``, ``metrics.acc:desc``; a list or a comma-separated text."""
    items = order_by if isinstance(order_by, (list, tuple)) else str(order_by).split(",")
    keys = []
    for raw in items:
        item = raw.strip()
        desc = False
        m = re.search(r"\s+(ASC|DESC)$", item, re.I)
        if m:
            desc = m.group(1).upper() == "DESC"
            item = item[: m.start()].strip()
        elif item.startswith("-"):
            desc, item = True, item[1:]
        elif re.search(r":(asc|desc)$", item, re.I):
            desc = item.lower().endswith(":desc")
            item = item[: -(5 if desc else 4)]
        if not re.match(r'^(`[^`]*`|[A-Za-z_][\w.:/-]*(\.("[^"]*"|`[^`]*`))?)$', item):
            raise QueryError("sort order", raw, 0, '"%s" is not a field name; write FIELD [ASC|DESC] or -FIELD' % item)
        quoted = re.match(r'^(.*)\.("([^"]*)"|`([^`]*)`)$', item)
        if quoted:
            field = _q_field(item, [quoted.group(1), quoted.group(3) if quoted.group(3) is not None else quoted.group(4)])
        elif item.startswith("`"):
            field = _q_field(item, [item[1:-1]])
        else:
            field = _q_field(item)
        keys.append((field, desc))
    return keys


def _q_sort(entries, keys):
    """sortBy's order (src/core/store/query.ts): missing values (None, NaN) last in either direction,
    numbers by value, other values by their text, ties in the order given. When no key mixes numbers
    with other values: one stable sort per key, the last key first, by the values themselves where
    they are numbers (the sort of a search's rows was most of its time). A key that mixes them
    (5, 10, "1cycle": by value, by text and by value again) orders no better than the comparison it
    is given, so then the rows are sorted as sortBy does, with one comparison over all keys."""
    out = list(entries)
    columns = []
    for field, desc in keys:
        values = [_q_value(e, field) for e in out]
        kinds = set()
        for v in values:
            if not (v is None or _isnan(v)):
                kinds.add(_is_number(v))
        if len(kinds) > 1:
            return _q_sort_compare(out, keys)
        columns.append((values, desc, kinds == {True}))
    order = list(range(len(out)))
    for values, desc, numbers in reversed(columns):
        present = [i for i in order if not (values[i] is None or _isnan(values[i]))]
        missing = [i for i in order if values[i] is None or _isnan(values[i])]
        key = values.__getitem__ if numbers else (lambda i, values=values: _q_text(values[i]))
        # reverse=True keeps equal values in their order: still stable
        order = sorted(present, key=key, reverse=desc) + missing
    return [out[i] for i in order]


def _q_sort_compare(entries, keys):
    import functools

    def cmp(x, y):
        for field, desc in keys:
            a, b = _q_value(x, field), _q_value(y, field)
            am = a is None or _isnan(a)
            bm = b is None or _isnan(b)
            if am or bm:
                if am == bm:
                    continue
                return 1 if am else -1
            if _is_number(a) and _is_number(b):
                c = (a > b) - (a < b)
            else:
                sa, sb = _q_text(a), _q_text(b)
                c = (sa > sb) - (sa < sb)
            if c:
                return -c if desc else c
        return 0

    return sorted(entries, key=functools.cmp_to_key(cmp))


_Q_KINDS = {"metric": ("metrics",), "param": ("params",), "tag": ("tags",), "bare": ("params", "metrics")}


def _q_check_sort(keys, entries):
    """A sort key no run has is an error naming the close names (a key is looked up in the entries
    until one has it, not in a set of every name: most keys are in the first entry)."""
    if not entries:
        return
    for field, _ in keys:
        kinds = _Q_KINDS.get(field[0])
        if kinds is None or any(field[1] in e[k] for e in entries for k in kinds):
            continue
        names = set()
        for e in entries:
            for k in ("params", "metrics", "tags"):
                names.update(k + "." + name for name in e[k])
        full = field[1] if field[0] == "bare" else kinds[0] + "." + field[1]
        import difflib

        close = difflib.get_close_matches(full, sorted(names) + sorted(_ATTRIBUTES), n=5, cutoff=0.6)
        raise ValueError(
            'cannot sort by "%s": no run has it%s'
            % (_q_field_name(field), ("; close names: " + ", ".join(close)) if close else "")
        )


def _store_for_reading(store):
    d = _resolve_store_dir(store)
    if not os.path.isdir(os.path.join(d, "runs")):
        raise FileNotFoundError("no Runlens store at %s" % d)
    return d


_NUMBER_TYPES = (int, float)


def _entry_metrics(summary):
    """A summary map (run.json's, or an index entry's) as the reader's metrics: last/min/max decoded.
    A summary already all numbers is used as it is (the readers only read it)."""
    metrics = {}
    for k, s in summary.items():
        if type(s) is not dict:
            continue
        if type(s.get("last")) in _NUMBER_TYPES and type(s.get("min")) in _NUMBER_TYPES and type(s.get("max")) in _NUMBER_TYPES:
            metrics[k] = s
            continue
        m = dict((f, _decode_value(s.get(f))) for f in ("last", "min", "max"))
        m["lastStep"] = s.get("lastStep")
        m["count"] = s.get("count")
        metrics[k] = m
    return metrics


def _entry_of(run_dir, record):
    summary = record.get("summary")
    if not isinstance(summary, dict):
        try:
            summary = _summary_from_file(os.path.join(run_dir, _METRICS_FILE))
        except OSError:
            summary = {}
    git = record.get("git")
    tags = record.get("tags") if isinstance(record.get("tags"), dict) else {}
    return {
        "id": record.get("id"),
        "experiment": record.get("experiment"),
        "name": record.get("name"),
        "status": record.get("status"),
        "script": record.get("script"),
        "params": record.get("params") if isinstance(record.get("params"), dict) else {},
        "tags": tags,
        "starred": bool(record.get("starred")),
        "startTime": record.get("startTime"),
        "endTime": record.get("endTime"),
        "gitCommit": git.get("commit") if isinstance(git, dict) else None,
        "parent": tags.get(PARENT_TAG),
        "metrics": _entry_metrics(summary),
    }


def _scan_entries(runs_dir, names):
    """Entries read from the run folders themselves (run.json, and metrics.jsonl while a run goes on)."""
    out = []
    for name in names:
        if name.startswith("."):
            continue
        run_dir = os.path.join(runs_dir, name)
        try:
            record = _read_run_file(run_dir)
        except (OSError, RuntimeError):
            continue
        out.append(_entry_of(run_dir, record))
    return out


# The store's index (docs/store-format.md, src/core/store/runIndex.ts): index.json (lowdb,
# {"schemaVersion": 1, "runs": {id: entry}}) plus the append-only journal index.journal.jsonl
# (and index.journal.*.old while it is being folded in). Read only: the CLI and the editor keep it.
_INDEX_FILE = "index.json"
_JOURNAL_FILE = "index.journal.jsonl"
_INDEX_SCHEMA_VERSION = 1
_RUN_ID_RE = re.compile(r"^[0-9a-hjkmnp-tv-z]{18}$")
_RUN_STATUSES = ("queued", "running", "finished", "failed", "killed", "crashed", "unreadable")
_TERMINAL_STATUSES = ("finished", "failed", "killed", "crashed")


def _index_entry_ok(e):
    """checkIndexEntry's rules (src/core/store/schemas.ts): a malformed entry is skipped and its run
    is read from its folder. (Values from JSON: a type check is an isinstance check, bool is not a
    number.)"""
    if type(e) is not dict:
        return False
    get = e.get
    numbers = _NUMBER_TYPES
    script = get("script")
    git_commit = get("gitCommit")
    end_time = get("endTime")
    tags = get("tags")
    metrics = get("metrics")
    if not (
        type(get("id")) is str
        and type(get("experiment")) is str
        and type(get("name")) is str
        and get("status") in _RUN_STATUSES
        and (script is None or type(script) is str)
        and type(get("params")) is dict
        and type(tags) is dict
        and type(get("starred")) is bool
        and type(get("startTime")) in numbers
        and (end_time is None or type(end_time) in numbers)
        and (git_commit is None or type(git_commit) is str)
        and type(get("metricsBytes")) in numbers
        and type(get("updatedAt")) in numbers
        and ("runFileMtime" not in e or type(e["runFileMtime"]) in numbers)
        and type(metrics) is dict
    ):
        return False
    for v in tags.values():
        if type(v) is not str:
            return False
    for s in metrics.values():
        if type(s) is not dict or type(s.get("lastStep")) not in numbers:
            return False
        last = s.get("last")
        if type(last) not in numbers and _decode_value(last) is None:
            return False
    return True


def _newer(a, b):
    if a["updatedAt"] != b["updatedAt"]:
        return a["updatedAt"] > b["updatedAt"]
    return a["metricsBytes"] >= b["metricsBytes"]


def _load_index(store_dir):
    """The index with the journal replayed over it: ({id: entry}, skipped, None, listed), or
    (None, 0, why, None) when index.json is missing or unreadable. The entries come from index.listing
    when it is whole and was made from the index.json there now (no JSON to parse but its
    dictionaries; `listed` is then its entries, already the reader's, see _listing_entries), else
    from index.json (`listed` None)."""
    index_file = os.path.join(store_dir, _INDEX_FILE)
    try:
        st = os.stat(index_file)
    except FileNotFoundError:
        return None, 0, "%s is missing" % index_file, None
    except OSError as e:
        return None, 0, "%s is unreadable (%s)" % (index_file, e), None
    listed = _listing_entries(os.path.join(store_dir, _LISTING_FILE), st)
    skipped = 0
    if listed is not None:
        entries = dict(listed)  # the journal is replayed over a copy: `listed` tells its entries apart
    else:
        try:
            with open(index_file, "rb") as f:
                data = json.loads(f.read().decode("utf-8"))
        except FileNotFoundError:
            return None, 0, "%s is missing" % index_file, None
        except (OSError, ValueError) as e:
            return None, 0, "%s is unreadable (%s)" % (index_file, e), None
        if (
            not isinstance(data, dict)
            or data.get("schemaVersion") != _INDEX_SCHEMA_VERSION
            or not isinstance(data.get("runs"), dict)
        ):
            return None, 0, "%s is not a version-%d index" % (index_file, _INDEX_SCHEMA_VERSION), None
        entries = {}
        for run_id, raw in data["runs"].items():
            if _index_entry_ok(raw) and raw["id"] == run_id:
                entries[run_id] = raw
            else:
                skipped += 1
    try:
        names = os.listdir(store_dir)
    except OSError:
        names = []
    old = sorted(n for n in names if n.startswith("index.journal.") and n.endswith(".old"))
    for name in old + [_JOURNAL_FILE]:
        try:
            with open(os.path.join(store_dir, name), "rb") as f:
                lines = f.read().split(b"\n")
        except OSError:
            continue
        for line in lines:
            if not line:
                continue
            try:
                raw = json.loads(line.decode("utf-8"))
            except ValueError:
                continue  # a torn line from a killed writer: the run folder still has the truth
            if not _index_entry_ok(raw):
                skipped += 1
                continue
            cur = entries.get(raw["id"])
            if cur is None or _newer(raw, cur):
                entries[raw["id"]] = raw
    return entries, skipped, None, listed


# index.listing (src/core/store/listing.ts, docs/store-format.md): the index entries as little-endian
# binary columns, written by the CLI and the editor. Read only, and only when it is whole (magic,
# CRC-32 of the header and of each column, counts) and was made from the index.json there now.
_LISTING_FILE = "index.listing"
_LISTING_MAGIC = b"RLLIST1\n"
_LISTING_VERSION = 2
_LISTING_COLUMNS = (
    ("d", 8, ("startTime", "endTime", "updatedAt", "metricsBytes", "runFileMtime", "mLast", "mMin", "mMax")),
    (
        "i",
        4,
        ("experiment", "status", "script", "gitCommit", "paramShape", "tagShape", "metricShape", "paramCodes",
         "tagCodes", "idEnds", "nameEnds"),
    ),
    ("B", 1, ("starred",)),
)
_LISTING_TEXTS = {"latin1": ("latin-1", 1), "utf16le": ("utf-16-le", 2)}


def _listing_texts(raw, ends, encoding):
    codec, unit = _LISTING_TEXTS[encoding]
    if (ends[-1] if ends else 0) * unit != len(raw):
        raise ValueError("text lengths differ")
    if unit == 1:
        joined = raw.decode(codec)
        out = []
        start = 0
        for end in ends:
            out.append(joined[start:end])
            start = end
        return out
    # UTF-16 units: each string is decoded from its own bytes (a surrogate pair is one character here)
    out = []
    start = 0
    for end in ends:
        out.append(raw[2 * start : 2 * end].decode(codec, "surrogatepass"))
        start = end
    return out


_LISTING_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _listing_param(v):
    if type(v) is dict:
        return _LISTING_NON_FINITE[v["n"]]  # a non-finite number: {"n": "NaN" | "Infinity" | "-Infinity"}
    return v


def _listing_entries(path, index_stat):
    """{id: entry} from index.listing, or None when it is missing, damaged, of another version or
    made from another index.json (inode, size, mtime). Each entry is an index entry (what
    _needs_recheck reads) that is also the reader's entry (_from_index's fields, metrics as numbers:
    a whole value past 2**53 as the int JSON from Node gives, so filters and sorts see what they see
    in index.json)."""
    import zlib

    if sys.byteorder != "little":
        return None
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError:
        return None
    try:
        if buf[:8] != _LISTING_MAGIC or len(buf) < 16:
            return None
        crc, head_len = struct.unpack_from("<II", buf, 8)
        data_start = 16 + head_len
        if data_start > len(buf) or zlib.crc32(buf[12:data_start]) != crc:
            return None
        h = json.loads(buf[16:data_start].decode("utf-8"))
        if type(h) is not dict or h.get("version") != _LISTING_VERSION:
            return None
        made_from = h["stamps"]["index"]
        if (
            type(made_from) is not dict
            # Node's inode numbers are doubles (rounded past 2**53, as float() rounds)
            or float(made_from.get("ino")) != float(index_stat.st_ino)
            or made_from.get("size") != index_stat.st_size
            or made_from.get("mtimeMs") != _stat_mtime_ms(index_stat)
        ):
            return None
        sections, crcs = h["sections"], h["crcs"]
        view = memoryview(buf)

        def section(name, unit):
            off, length = sections[name]
            a, b = data_start + off, data_start + off + length
            if length % unit or b > len(buf) or zlib.crc32(view[a:b]) != crcs[name]:
                raise ValueError("column %s is damaged" % name)
            return view[a:b]

        c = {}
        for code, unit, names in _LISTING_COLUMNS:
            for name in names:
                a = array.array(code)
                a.frombytes(section(name, unit))
                c[name] = a.tolist()
        n = h["rows"]
        texts = h["texts"]
        ids = _listing_texts(bytes(section("idText", 1)), c["idEnds"], texts["ids"])
        names = _listing_texts(bytes(section("nameText", 1)), c["nameEnds"], texts["names"])
        strs = h["strs"]
        pvals = [_listing_param(v) for v in h["pvals"]]
        if not all(type(k) is int and 0 <= k < len(strs) for shape in h["shapes"] for k in shape):
            return None
        shapes = [[strs[k] for k in shape] for shape in h["shapes"]]
        per_run = ("startTime", "endTime", "updatedAt", "metricsBytes", "runFileMtime", "experiment", "status",
                   "script", "gitCommit", "paramShape", "tagShape", "metricShape", "starred")
        if len(ids) != n or len(names) != n or any(len(c[name]) != n for name in per_run):
            return None
        # dictionary codes in range (a negative one would wrap around): -1 is null where null is allowed
        for name, size, least in (("experiment", len(strs), 0), ("status", len(strs), 0), ("script", len(strs), -1),
                                  ("gitCommit", len(strs), -1), ("tagCodes", len(strs), 0),
                                  ("paramShape", len(shapes), 0), ("tagShape", len(shapes), 0),
                                  ("metricShape", len(shapes), 0), ("paramCodes", len(pvals), 0)):
            col = c[name]
            if col and (min(col) < least or max(col) >= size):
                return None
        if len(c["mMin"]) != len(c["mLast"]) or len(c["mMax"]) != len(c["mLast"]):
            return None
        for name in ("mLast", "mMin", "mMax"):
            col = c[name]
            for j in [j for j, v in enumerate(col) if not -9007199254740992.0 < v < 9007199254740992.0]:
                col[j] = _json_number(col[j])
        cols = (c["experiment"], c["status"], c["script"], c["gitCommit"], c["starred"], c["startTime"],
                c["endTime"], c["metricsBytes"], c["updatedAt"], c["runFileMtime"], c["paramShape"],
                c["tagShape"], c["metricShape"])
        p_codes, t_codes = c["paramCodes"], c["tagCodes"]
        m_last, m_min, m_max = c["mLast"], c["mMin"], c["mMax"]
        p = t = m = 0
        out = {}
        for i, (exp, status, script, commit, starred, start, end, mbytes, updated, mtime, ps, ts, ms) in enumerate(
            zip(*cols)
        ):
            pkeys, tkeys, mkeys = shapes[ps], shapes[ts], shapes[ms]
            params = {k: pvals[code] for k, code in zip(pkeys, p_codes[p : p + len(pkeys)])}
            p += len(pkeys)
            tags = {k: strs[code] for k, code in zip(tkeys, t_codes[t : t + len(tkeys)])}
            t += len(tkeys)
            metrics = {}
            for k in mkeys:
                metrics[k] = {"last": m_last[m], "min": m_min[m], "max": m_max[m]}
                m += 1
            run_id = ids[i]
            out[run_id] = {
                "id": run_id,
                "experiment": strs[exp],
                "name": names[i],
                "status": strs[status],
                "script": None if script < 0 else strs[script],
                "params": params,
                "tags": tags,
                "starred": starred == 1,
                "startTime": start,
                "endTime": None if end != end else end,
                "gitCommit": None if commit < 0 else strs[commit],
                "parent": tags.get(PARENT_TAG),
                "metrics": metrics,
                "metricsBytes": mbytes,
                "updatedAt": updated,
                "runFileMtime": None if mtime != mtime else mtime,
            }
        if p != len(p_codes) or t != len(t_codes) or m != len(m_last):
            return None
        return out
    except Exception:  # a listing edited into any other shape: index.json is read instead
        return None


def _mtime_ms(path):
    """A file's mtime in ms as Node's Stats.mtimeMs computes it (sec * 1e3 + nsec / 1e6), or None."""
    try:
        return _stat_mtime_ms(os.stat(path))
    except OSError:
        return None


def _stat_mtime_ms(st):
    ns = st.st_mtime_ns
    return (ns // 1000000000) * 1e3 + (ns % 1000000000) / 1e6


def _file_size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _needs_recheck(e, run_dir):
    """needsRecheck of runIndex.ts: open and unreadable runs are read again, an ended run when its
    run.json changed since its entry was made, a crashed run also when its metrics.jsonl grew."""
    if e["status"] not in _TERMINAL_STATUSES:
        return True
    if _mtime_ms(os.path.join(run_dir, _RUN_FILE)) != e.get("runFileMtime"):
        return True
    return e["status"] == "crashed" and _file_size(os.path.join(run_dir, _METRICS_FILE)) != e["metricsBytes"]


def _from_index(e):
    tags = e["tags"]
    return {
        "id": e["id"],
        "experiment": e["experiment"],
        "name": e["name"],
        "status": e["status"],
        "script": e["script"],
        "params": e["params"],
        "tags": tags,
        "starred": e["starred"],
        "startTime": e["startTime"],
        "endTime": e["endTime"],
        "gitCommit": e["gitCommit"],
        "parent": tags.get(PARENT_TAG),
        "metrics": _entry_metrics(e["metrics"]),
    }


def _read_entries(store_dir):
    """Every run of the store as the query language sees it. From the index, as the CLI reads it:
    an entry is used while it is current, and a run is read from its folder when it has no entry,
    is still going, or its run.json changed since. Without a readable index every run.json is read."""
    runs_dir = os.path.join(store_dir, "runs")
    index, skipped, why, listed = _load_index(store_dir)
    if index is None:
        _warn(
            "%s; reading every run's run.json instead (slower; any runlens command, e.g. `runlens ls`, "
            "rebuilds the index)" % why
        )
        return _scan_entries(runs_dir, os.listdir(runs_dir))
    if skipped:
        _warn("%d malformed index entries skipped in %s; those runs are read from their folders" % (skipped, store_dir))
    out = []
    reread = []
    with os.scandir(runs_dir) as it:
        for d in it:
            if not _RUN_ID_RE.match(d.name) or not d.is_dir():
                continue
            e = index.get(d.name)
            if e is None or _needs_recheck(e, d.path):
                reread.append(d.name)
            elif listed is not None and listed.get(d.name) is e:
                out.append(e)  # from index.listing: already the reader's entry
            else:
                out.append(_from_index(e))
    out.extend(_scan_entries(runs_dir, reread))
    return out


def _json_number(v):
    """A number as JSON from Node gives it back: a whole float below 1e21 as an int (index.listing's
    columns are doubles; index.json and run.json have 1 for 1.0), past 2**53 with the shortest
    digits that read back as it, as JSON.stringify writes them (2.0**60: 1152921504606847000)."""
    if type(v) is float and v.is_integer() and -1e21 < v < 1e21:
        if -9007199254740992.0 < v < 9007199254740992.0:
            return int(v)
        import decimal

        return int(decimal.Decimal(repr(v)))
    return v


def _row(e):
    row = {
        "run_id": e["id"],
        "run_name": e["name"],
        "experiment": e["experiment"],
        "status": e["status"],
        "start_time": _json_number(e["startTime"]),
        "end_time": _json_number(e["endTime"]),
        "parent_run_id": e["parent"],
    }
    for k, s in sorted(e["metrics"].items()):
        row["metrics." + k] = _json_number(s["last"])
    for k, v in sorted(e["params"].items()):
        row["params." + k] = v
    for k, v in sorted(e["tags"].items()):
        row["tags." + k] = v
    return row


def search_runs(
    filter_string="",
    order_by=None,
    experiment=None,
    experiment_names=None,
    max_results=None,
    offset=0,
    store=None,
    output_format=None,
):
    """Runs matching a filter, as MLflow's ``mlflow.search_runs``: a pandas DataFrame when pandas is
    importable (``output_format="list"`` for a list of dicts), one row per run with the columns
    run_id, run_name, experiment, status, start_time, end_time (ms), parent_run_id, metrics.KEY
    (the last value), params.KEY and tags.KEY. ``filter_string`` and ``order_by`` are the query
    language of ``runlens ls -w/--sort`` (MLflow's syntax or the short one); newest first by default."""
    node = parse_filter(filter_string or "")
    keys = parse_order_by(order_by) if order_by else [(("attr", "start"), True)]
    store_dir = _store_for_reading(store)
    entries = _read_entries(store_dir)
    names = set()
    if experiment is not None:
        names.add(experiment)
    if experiment_names:
        names.update(experiment_names)
    if names:
        entries = [e for e in entries if e["experiment"] in names]
    if order_by:
        _q_check_sort(keys, entries)
    rows = [_row(e) for e in _q_sort([e for e in entries if _q_eval(node, e)], keys)]
    rows = rows[offset : (offset + max_results) if max_results is not None else None]
    if output_format == "list":
        return rows
    if output_format not in (None, "pandas"):
        raise ValueError('output_format must be "pandas" or "list", got %r' % (output_format,))
    try:
        import pandas  # noqa: F401
    except ImportError:
        if output_format == "pandas":
            raise
        return rows
    return pandas.DataFrame(rows)


def _resolve_run_dir(store_dir, run_id):
    runs_dir = os.path.join(store_dir, "runs")
    run_id = str(run_id).strip()
    if run_id and os.path.isfile(os.path.join(runs_dir, run_id, _RUN_FILE)):
        return os.path.join(runs_dir, run_id)
    matches = [n for n in os.listdir(runs_dir) if not n.startswith(".") and len(run_id) >= 4 and (n.startswith(run_id) or n.endswith(run_id))]
    if len(matches) == 1:
        return os.path.join(runs_dir, matches[0])
    if len(matches) > 1:
        raise ValueError('"%s" matches %d runs: %s' % (run_id, len(matches), ", ".join(sorted(matches)[:5])))
    raise KeyError("no run %r in %s" % (run_id, store_dir))


def get_run(run_id, store=None):
    """run.json of a run (by id, or a unique prefix or suffix of 4+ characters) as a dict, with
    ``summary`` filled in from metrics.jsonl while the run is still going."""
    run_dir = _resolve_run_dir(_store_for_reading(store), run_id)
    record = _read_run_file(run_dir)
    if not isinstance(record.get("summary"), dict):
        record["summary"] = _encode_summary(_summary_from_file(os.path.join(run_dir, _METRICS_FILE)))
    return record


def get_metric_history(run_id, key, store=None):
    """Every point of one metric of a run, in the order logged: dicts with key, value, step and
    timestamp (ms). NaN and infinities come back as floats."""
    run_dir = _resolve_run_dir(_store_for_reading(store), run_id)
    out = []
    with open(os.path.join(run_dir, _METRICS_FILE), "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break
            try:
                o = json.loads(raw.decode("utf-8"))
            except ValueError:
                continue
            if not isinstance(o, dict) or o.get("key") != key:
                continue
            value = _decode_value(o.get("value"))
            if value is None or not _is_number(o.get("step")):
                continue
            out.append({"key": key, "value": value, "step": o["step"], "timestamp": o.get("time")})
    return out
