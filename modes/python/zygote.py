# truss python zygote.
#
# One warm interpreter per pool slot. It imports the common modules once and
# keeps a spare child forked from itself; each request goes to the spare,
# which runs the step in a fresh namespace while the zygote forks the next
# spare. A step so costs neither an interpreter start nor a fork on its
# critical path.
#
# Wire format (over the unix socket on fd 3, and from the zygote to its
# children): a frame is a 4-byte big-endian header length, a JSON header,
# then the blobs whose lengths the header lists in "blobs", back to back.
# A "run" request carries two pipes as SCM_RIGHTS fds on its first bytes:
# the step's log (the child's stdout and stderr) and its result, where the
# child writes one frame with its outputs. The zygote answers "started"
# (the child's pid, so Go can kill the child's process group) and, once the
# child has exited, "done" (its exit status).

import array
import builtins
import gc
import importlib
import io
import json
import linecache
import os
import pickle
import signal
import socket
import struct
import sys
import traceback
import types

# Modules most steps import; loading them here makes them free in children.
import base64  # noqa: F401
import collections  # noqa: F401
import csv  # noqa: F401
import datetime  # noqa: F401
import functools  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import random  # noqa: F401
import re  # noqa: F401
import tempfile  # noqa: F401

try:
    import ctypes

    _libc = ctypes.CDLL(None, use_errno=True)
except Exception:  # no ctypes (minimal builds): children just lose pdeathsig and C stdio flushing
    _libc = None

_LEN = struct.Struct(">I")
_PR_SET_PDEATHSIG = 1
_NAMESPACE = "__girder_worker__"

# Where a missing module comes from, for friendlier ImportErrors.
_PACKAGES = {
    "networkx": ("python3-networkx", "networkx"),
    "PIL": ("python3-pil", "pillow"),
    "netCDF4": ("python3-netcdf4", "netCDF4"),
    "numpy": ("python3-numpy", "numpy"),
    "scipy": ("python3-scipy", "scipy"),
    "pandas": ("python3-pandas", "pandas"),
    "matplotlib": ("python3-matplotlib", "matplotlib"),
    "bson": ("python3-bson", "pymongo"),
    "ete3": (None, "ete3"),
}


def module_hint(name):
    """'python module X is not installed (Debian: ...; pip: ...)'."""
    top = (name or "").split(".")[0]
    deb, pip = _PACKAGES.get(top, (None, top))
    where = []
    if deb:
        where.append("Debian: " + deb)
    if pip:
        where.append("pip: " + pip)
    return "python module %s is not installed (%s)" % (top, "; ".join(where))


# ---- netCDF4 datasets cross steps as their file bytes ------------------------
#
# A netCDF4.Dataset cannot be pickled; values of format netcdf/dataset are
# pickled as a call that reopens the bytes in memory. The helper lives in a
# module registered here so pickles can name it.

_runtime = types.ModuleType("_truss_runtime")
_netcdf_sources = {}  # id(dataset) -> (dataset, bytes) for datasets opened from bytes


def _netcdf_from_bytes(data):
    try:
        import netCDF4
    except ImportError:
        raise ImportError(module_hint("netCDF4")) from None
    data = bytes(data)
    ds = netCDF4.Dataset("inmemory.nc", mode="r", memory=data)
    _netcdf_sources[id(ds)] = (ds, data)
    return ds


def _reduce_netcdf(ds):
    known = _netcdf_sources.get(id(ds))
    if known is not None and known[0] is ds:
        return (_netcdf_from_bytes, (known[1],))
    try:
        ds.sync()
    except Exception:
        pass
    try:
        with open(ds.filepath(), "rb") as f:
            data = f.read()
    except (OSError, ValueError) as e:
        raise pickle.PicklingError(
            "a netCDF4.Dataset can only leave a step when it was read from bytes or from a file that still exists (%s)" % e
        ) from None
    return (_netcdf_from_bytes, (data,))


_runtime.netcdf_from_bytes = _netcdf_from_bytes
_netcdf_from_bytes.__module__ = "_truss_runtime"
sys.modules["_truss_runtime"] = _runtime


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        mod = sys.modules.get("netCDF4")
        if mod is not None and isinstance(obj, getattr(mod, "Dataset", ())):
            return _reduce_netcdf(obj)
        return NotImplemented


def dumps(obj):
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.DEFAULT_PROTOCOL).dump(obj)
    return buf.getvalue()


# ---- framing ----------------------------------------------------------------


def recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise EOFError
        got += k
    return buf


def recv_frame(sock):
    """Read one frame; returns (header, body, fds passed with it)."""
    fds = array.array("i")
    head = b""
    while len(head) < 4:
        data, anc, _flags, _addr = sock.recvmsg(
            4 - len(head), socket.CMSG_SPACE(4 * fds.itemsize), socket.MSG_CMSG_CLOEXEC
        )
        if not data:
            raise EOFError
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
        head += data
    (n,) = _LEN.unpack(head)
    header = json.loads(recv_exact(sock, n))
    total = sum(header.get("blobs") or ())
    body = recv_exact(sock, total) if total else bytearray()
    return header, body, list(fds)


def frame_bytes(header, blobs):
    header["blobs"] = [len(b) for b in blobs]
    h = json.dumps(header).encode()
    return [_LEN.pack(len(h)), h] + list(blobs)


def send_frame(sock, header, blobs=()):
    parts = frame_bytes(header, blobs)
    if sum(len(p) for p in parts) <= 1 << 16:
        sock.sendall(b"".join(parts))  # one write for the common small frame
        return
    for part in parts:
        sock.sendall(part)


# ---- the child: one step ----------------------------------------------------


def blob(body, ref):
    off, n = ref
    return bytes(body[off : off + n])


def decode_input(p, body):
    kind = p["kind"]
    if kind == "path":
        return p["path"]
    data = blob(body, p["blob"])
    if kind == "json":
        return json.loads(data)
    if kind == "text":
        # surrogateescape: text that is not UTF-8 still round-trips unchanged.
        return data.decode("utf-8", "surrogateescape")
    if kind == "bytes":
        return data
    if kind == "pickle":
        try:
            return pickle.loads(data)
        except ModuleNotFoundError as e:
            raise ImportError("cannot unpickle: " + module_hint(e.name)) from None
    raise ValueError("unknown input kind %r" % kind)


def _json_default(o):
    # numpy scalars and arrays (and anything else with tolist) become lists
    # and plain numbers instead of failing.
    tolist = getattr(o, "tolist", None)
    if callable(tolist):
        return tolist()
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def to_json(v):
    return json.dumps(v, default=_json_default).encode()


def typename(v):
    t = type(v)
    if t.__module__ == "builtins":
        return t.__qualname__
    return t.__module__ + "." + t.__qualname__


class OutputError(Exception):
    pass


def encode_output(kind, v):
    """(kind, bytes) of one output value."""
    if kind == "json":
        try:
            return kind, to_json(v)
        except (TypeError, ValueError) as e:
            raise OutputError("is not JSON-serialisable (%s)" % e) from None
    if kind == "text":
        if isinstance(v, str):
            return kind, v.encode("utf-8", "surrogateescape")
        if isinstance(v, (bytes, bytearray)):
            try:
                bytes(v).decode("utf-8")
            except UnicodeDecodeError:
                raise OutputError("must be a str; got bytes that are not UTF-8") from None
            return kind, bytes(v)
        raise OutputError("must be a str, got %s" % typename(v))
    if kind == "bytes":
        if isinstance(v, (bytes, bytearray, memoryview)):
            return kind, bytes(v)
        raise OutputError("must be bytes, got %s" % typename(v))
    if kind == "pickle":
        try:
            return kind, dumps(v)
        except Exception as e:
            raise OutputError("cannot be pickled (%s: %s)" % (typename(e), e)) from None
    if kind == "path":
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        if isinstance(v, bytes):
            v = os.fsdecode(v)
        if not isinstance(v, str):
            raise OutputError("must be a path (str), got %s" % typename(v))
        return kind, os.path.abspath(v).encode("utf-8", "surrogateescape")
    if kind == "auto":
        try:
            return "json", to_json(v)
        except (TypeError, ValueError):
            pass
        if isinstance(v, (bytes, bytearray, memoryview)):
            return "bytes", bytes(v)
        raise OutputError(
            "(%s) is neither JSON-serialisable nor bytes; declare a type and format for it "
            "(e.g. type: python, format: object)" % typename(v)
        )
    raise OutputError("has unknown kind %r" % kind)


def exception_info(e, filename):
    t = type(e)
    name = t.__qualname__ if t.__module__ in ("builtins", _NAMESPACE) else t.__module__ + "." + t.__qualname__
    info = {"type": name, "message": str(e), "frames": []}
    if isinstance(e, ModuleNotFoundError) and e.name:
        info["message"] = "%s; %s" % (e, module_hint(e.name))
    if isinstance(e, SyntaxError) and e.filename == filename:
        info["message"] = e.msg
        info["line"] = e.lineno or 0
        info["syntax"] = {"text": (e.text or "").rstrip("\n"), "offset": e.offset or 0}
    for fs in traceback.extract_tb(e.__traceback__):
        if fs.filename == filename:
            info["frames"].append({"line": fs.lineno, "func": fs.name, "text": fs.line or ""})
    if "line" not in info:
        info["line"] = info["frames"][-1]["line"] if info["frames"] else 0
    return info


def run_step(req, body):
    """Runs the script; returns (result header, blobs)."""
    mod = types.ModuleType(_NAMESPACE)
    ns = mod.__dict__
    ns["__builtins__"] = builtins
    sys.modules[_NAMESPACE] = mod  # so classes defined by the script pickle by name
    prebound = {"_tempdir": req["workdir"]}
    for p in req["inputs"]:
        try:
            prebound[p["name"]] = decode_input(p, body)
        except Exception as e:
            return {"ok": False, "stage": "input", "port": p["name"], "message": "%s: %s" % (typename(e), e)}, []
    ns.update(prebound)
    del body

    filename = req["filename"]
    script = req["script"]
    # Registering the source lets tracebacks quote the script's lines.
    linecache.cache[filename] = (len(script), None, script.splitlines(True), filename)
    try:
        code = compile(script, filename, "exec", dont_inherit=True)
        exec(code, ns)
    except SystemExit as e:
        if e.code not in (None, 0):
            return {"ok": False, "stage": "script", "error": exception_info(e, filename)}, []
    except BaseException as e:  # noqa: B902 - every failure of the script is the step's error
        return {"ok": False, "stage": "script", "error": exception_info(e, filename)}, []

    outs, blobs, missing = [], [], []
    for p in req["outputs"]:
        name = p["name"]
        if name not in ns:
            missing.append(name)
            continue
        try:
            kind, data = encode_output(p["kind"], ns[name])
        except OutputError as e:
            return {"ok": False, "stage": "output", "port": name, "message": str(e)}, []
        outs.append({"name": name, "kind": kind})
        blobs.append(data)
    if missing:
        set_names = sorted(
            k
            for k, v in ns.items()
            if not k.startswith("__")
            and not isinstance(v, types.ModuleType)
            and (k not in prebound or v is not prebound[k])
        )
        return {"ok": False, "stage": "missing", "missing": missing, "names": set_names}, []
    return {"ok": True, "outputs": outs}, blobs


_WARM_SCRIPT = "b = a + 1\nc = [b, t.upper(), {'k': p}]\n"
_WARM_BODY = b'41"x"' + pickle.dumps((1, "p"))


def warm_up():
    """Runs a dummy step through the same code a real one takes. A fresh
    fork shares every page with the zygote; the first step to touch them
    pays a copy-on-write fault per page (about 1 ms in all). A spare does
    that while it waits, so the real step does not."""
    n = len(_WARM_BODY)
    req = {
        "workdir": os.getcwd(),
        "filename": "<truss warm-up>",
        "script": _WARM_SCRIPT,
        "inputs": [
            {"name": "a", "kind": "json", "blob": [0, 2]},
            {"name": "t", "kind": "text", "blob": [2, 3]},
            {"name": "p", "kind": "pickle", "blob": [5, n - 5]},
        ],
        "outputs": [{"name": "b", "kind": "json"}, {"name": "c", "kind": "pickle"}, {"name": "t", "kind": "text"}],
    }
    try:
        header, blobs = run_step(req, bytearray(_WARM_BODY))
        frame_bytes(header, blobs)
        json.loads(json.dumps(req))
    except Exception:
        pass
    sys.modules.pop(_NAMESPACE, None)
    linecache.cache.pop("<truss warm-up>", None)


def spare(csock, gosock, zpid):
    """A pre-forked child: waits for one request from the zygote, runs it,
    answers and exits."""
    gosock.close()
    # Nothing of the zygote's (other children's sockets) stays open.
    keep = csock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    if _libc is not None:
        # Die with the zygote; a step must never outlive the pool.
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != zpid:
            os._exit(1)
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    warm_up()
    try:
        req, body, fds = recv_frame(csock)
    except (EOFError, OSError):
        os._exit(0)
    if len(fds) != 2:
        os._exit(3)
    logfd, resfd = fds
    csock.close()
    os.dup2(logfd, 1)
    os.dup2(logfd, 2)
    os.close(logfd)
    # Line buffering keeps stdout and stderr lines in order in the log.
    try:
        sys.stdout.reconfigure(line_buffering=True)
    except Exception:
        pass
    if _libc is not None:
        try:
            _libc.setvbuf(ctypes.c_void_p.in_dll(_libc, "stdout"), None, 1, 0)  # _IOLBF
        except Exception:
            pass
    try:
        os.chdir(req["workdir"])
        if req.get("syspath"):
            sys.path.insert(0, req["syspath"])
        header, blobs = run_step(req, body)
    except BaseException as e:  # a bug here must still come back as an answer
        header, blobs = {"ok": False, "stage": "internal", "message": "%s: %s" % (typename(e), e)}, []
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    if _libc is not None:
        try:
            _libc.fflush(None)  # prints from C code
        except Exception:
            pass
    # Let go of the log before answering, so Go sees its end at once.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        with open(resfd, "wb", closefd=True) as f:
            for part in frame_bytes(header, blobs):
                f.write(part)
    except BaseException:
        pass
    os._exit(0)


# ---- the zygote loop --------------------------------------------------------


def status_of(pid):
    """Exit status of a dead child, leaving it a zombie (WNOWAIT)."""
    info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    if info is None:
        return 0, 0
    if info.si_code == os.CLD_EXITED:
        return info.si_status, 0
    return 0, info.si_status


class Child:
    """A forked spare child and the zygote's end of its socket."""

    def __init__(self, gosock, zpid):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        pid = os.fork()
        if pid == 0:
            ours.close()
            spare(theirs, gosock, zpid)
        theirs.close()
        try:
            os.setpgid(pid, pid)  # also here, so the group exists before Go hears the pid
        except OSError:
            pass
        self.pid, self.sock = pid, ours


def reap(pid):
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def serve(gosock):
    zpid = os.getpid()
    # The last step's child is reaped only when the next request comes, so
    # its pid (and process group id) cannot be reused while Go may still
    # signal them.
    zombie = 0
    nxt = Child(gosock, zpid)
    send_frame(gosock, {"op": "ready", "version": sys.version.split()[0], "pid": zpid})
    while True:
        try:
            req, body, fds = recv_frame(gosock)
        except EOFError:
            break
        if zombie:
            reap(zombie)
            zombie = 0
        if req.get("op") != "run" or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            send_frame(gosock, {"op": "error", "message": "bad request %r with %d fds" % (req.get("op"), len(fds))})
            continue
        child, nxt = nxt, None
        try:
            send_frame_fds(child.sock, req, body, fds)
        except OSError:
            # The spare died (killed from outside); fork a fresh one.
            kill(child.pid)
            reap(child.pid)
            child.sock.close()
            child = Child(gosock, zpid)
            send_frame_fds(child.sock, req, body, fds)
        child.sock.close()
        for fd in fds:
            os.close(fd)
        del body
        send_frame(gosock, {"op": "started", "pid": child.pid})
        nxt = Child(gosock, zpid)  # forks while the step runs
        code, sig = status_of(child.pid)
        try:
            os.killpg(child.pid, signal.SIGKILL)  # whatever the step left running in its group
        except OSError:
            pass
        zombie = child.pid
        send_frame(gosock, {"op": "done", "exit": code, "signal": sig})
    if nxt is not None:
        kill(nxt.pid)
        reap(nxt.pid)
    if zombie:
        reap(zombie)


def send_frame_fds(sock, header, body, fds):
    """Forwards a request (header, raw body, fds) to a child."""
    h = json.dumps(header).encode()
    sock.sendmsg([_LEN.pack(len(h))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else [])
    sock.sendall(h)
    if body:
        sock.sendall(body)


def main():
    # stdin carried this source; steps must not read Go's pipe.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in sys.argv[1:]:  # Options.Preload
        try:
            importlib.import_module(name)
        except Exception as e:
            print("truss zygote: preloading %s failed: %s: %s" % (name, typename(e), e), file=sys.stderr)
    # Everything imported so far is shared with the children; frozen, the
    # garbage collector never walks it, so children do not copy its pages.
    gc.freeze()
    sock = socket.socket(fileno=3)
    try:
        serve(sock)
    except (BrokenPipeError, ConnectionResetError):
        pass


main()
