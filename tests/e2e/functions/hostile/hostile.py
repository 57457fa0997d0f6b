"""Hostile handlers: each probe tries one escape or abuse from inside an execution environment
and reports what happened, so the tests can assert that it failed."""
import ctypes
import errno
import mmap
import os
import signal
import socket
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

# x86_64 system-call numbers.
SYSCALLS = {
    "mount": 165, "umount2": 166, "ptrace": 101, "unshare": 272, "setns": 308, "keyctl": 250,
    "add_key": 248, "request_key": 249, "bpf": 321, "io_uring_setup": 425, "userfaultfd": 323,
    "perf_event_open": 298, "chroot": 161, "pivot_root": 155, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "kexec_load": 246, "kexec_file_load": 320,
    "reboot": 169, "swapon": 167, "swapoff": 168, "open_by_handle_at": 304,
    "name_to_handle_at": 303, "process_vm_readv": 310, "settimeofday": 164,
}
CLONE_NEWUSER = 0x10000000


def err_name(e):
    return errno.errorcode.get(e, str(e))


def try_call(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return err_name(e.errno)


def raw_syscall(nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    return "ok" if r >= 0 else err_name(ctypes.get_errno())


def probe(event, context):
    kind = event["probe"]
    if kind == "read":
        def read():
            with open(event["path"], "rb") as f:
                f.read(1)
        return try_call(read)
    if kind == "write":
        def write():
            with open(event["path"], "wb") as f:
                f.write(b"x")
        return try_call(write)
    if kind == "syscalls":
        out = {name: raw_syscall(nr, 0, 0, 0, 0, 0) for name, nr in SYSCALLS.items()}
        out["clone(CLONE_NEWUSER)"] = raw_syscall(56, CLONE_NEWUSER | signal.SIGCHLD, 0, 0, 0, 0)
        out["setuid(0)"] = try_call(lambda: os.setuid(0))
        return out
    if kind == "status":
        with open("/proc/self/status") as f:
            fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        return {k: fields[k].strip() for k in ("Uid", "Gid", "CapEff", "CapPrm", "CapBnd",
                                                "NoNewPrivs", "Seccomp")}
    if kind == "int80":
        # mov eax, 20 (getpid, i386 ABI); int 0x80; ret
        code = bytes([0xB8, 0x14, 0, 0, 0, 0xCD, 0x80, 0xC3])
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
        ctypes.CFUNCTYPE(ctypes.c_int)(addr)()
        return "survived int 0x80"
    if kind == "x32":
        libc.syscall(ctypes.c_long(0x40000000 | 39))  # x32 getpid
        return "survived x32"
    if kind == "fork_bomb":
        count = 0
        while True:
            try:
                pid = os.fork()
            except OSError as e:
                return {"forked": count, "error": err_name(e.errno)}
            if pid == 0:
                signal.pause()
                os._exit(0)
            count += 1
    if kind == "thread_bomb":
        count = 0
        stop = threading.Event()
        while True:
            try:
                threading.Thread(target=stop.wait, daemon=True).start()
            except RuntimeError as e:
                return {"threads": count, "error": str(e)}
            count += 1
    if kind == "fill_tmp":
        written = 0
        chunk = b"\0" * (1 << 20)
        try:
            with open("/tmp/fill", "wb") as f:
                while True:
                    f.write(chunk)
                    f.flush()
                    written += len(chunk)
        except OSError as e:
            return {"written": written, "error": err_name(e.errno)}
    if kind == "stdout_flood":
        chunk = "z" * (1 << 20)
        for _ in range(event.get("megabytes", 1024)):
            os.write(1, chunk.encode())
        return "flooded"
    if kind == "connect":
        def connect():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            s.connect((event["host"], event["port"]))
        return try_call(connect)
    if kind == "bind_runtime_api":
        def bind():
            s = socket.socket()
            s.bind(("127.0.0.1", 9001))
        return try_call(bind)
    if kind == "processes":
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        with open("/proc/1/cmdline", "rb") as f:
            init = f.read().replace(b"\0", b"").decode()
        return {"pids": pids, "init": init, "me": os.getpid()}
    if kind == "kill":
        init = try_call(lambda: os.kill(1, signal.SIGKILL))  # ignored: init of its own pid ns
        # Everything this process may signal but itself and init: nothing outside the namespace.
        everyone = try_call(lambda: os.kill(-1, signal.SIGKILL))
        time.sleep(0.2)
        return {"alive": True, "kill_init": init, "kill_all": everyone}
    if kind == "daemon":
        pid = os.fork()
        if pid == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", str(event["seconds"])])
            os._exit(0)
        os.waitpid(pid, 0)
        return "daemon started"
    if kind == "tmp_marker":
        path = "/tmp/" + event["name"]
        if event.get("write"):
            with open(path, "w") as f:
                f.write(context.aws_request_id)
        time.sleep(event.get("hold", 0))
        return {"exists": os.path.exists(path), "listing": os.listdir("/tmp")}
    if kind == "hostname":
        return os.uname().nodename
    raise ValueError(f"unknown probe {kind}")


def canary(event, context):
    return {"ok": True, "echo": event}
