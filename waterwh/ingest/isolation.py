"""Reading files in a child process, so that no file can take the run down.

calamine (Rust) aborts the process when an allocation fails — a 5 KB xlsx with one cell at
XFD1048576, or a sharedStrings part claiming 4e9 strings, asks for hundreds of GB — and panics
(pyo3's PanicException is a BaseException) on some damaged files. Read in the run's own process,
either ended the night without a word. Here every file is read by a child process with an address
space limit; the parent waits at most the per-file time. A child that dies, runs out of memory or
time is replaced, and the file gets a Chinese message naming what went wrong.

The child also applies the declared-size limits (`ReadLimits`) before calamine sees a file: the
archive's declared uncompressed size and compression ratio, the number of sheets and shared
strings; after reading, the rows and columns of each sheet.

Protocol: length-prefixed pickles; the parent writes the child's one request (limits, files, the
hashes of contents loaded before) on its stdin, the child answers each file on its stdout. The
child is `python -m waterwh.ingest.isolation` (multiprocessing's spawn would import the parent's main
module again).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

import pyarrow as pa
import pyarrow.ipc

from waterwh.ingest.readers import (
    CSV_SUFFIXES,
    SMALL_CSV,
    SUPPORTED_SUFFIXES,
    UNSUPPORTED,
    ZIP_EXCEL_SUFFIXES,
    FileError,
    Sheet,
    read_sheets,
    sha256_of,
)


@dataclass(frozen=True)
class ReadLimits:
    """What one file may ask of the reader (waterwh.config.Settings holds the values in use)."""

    max_file_bytes: int = 200 * 1024 * 1024
    max_uncompressed_bytes: int = 1024 * 1024 * 1024  # an xlsx's parts, as declared, unzipped
    max_compression_ratio: float = 200.0  # a zip bomb unpacks to thousands of times its size
    max_sheets: int = 500
    max_rows: int = 1_048_576  # per sheet (Excel's own limit)
    max_columns: int = 2_000  # per sheet (a wide ledger has a few hundred)
    max_shared_strings: int = 50_000_000
    max_memory_bytes: int = 4 * 1024 * 1024 * 1024  # the reading process's address space
    max_seconds: float = 300.0  # per file


def check_declared(path: Path, limits: ReadLimits) -> None:
    """FileError when a workbook's declared sizes exceed the limits (before it is read)."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileError(f"文件过大（{size / 1e6:.1f} MB，上限 {limits.max_file_bytes / 1e6:.0f} MB）")
    if path.suffix.lower() not in ZIP_EXCEL_SUFFIXES:
        return
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            shared = next((i for i in infos if i.filename.lower() == "xl/sharedstrings.xml"), None)
            head = z.open(shared).read(4096) if shared is not None else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return  # the reader says what is wrong with it
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_uncompressed_bytes:
        raise FileError(f"文件解压后过大（声明 {unpacked / 1e6:.0f} MB，"
                        f"上限 {limits.max_uncompressed_bytes / 1e6:.0f} MB），未读取")
    packed = sum(i.compress_size for i in infos)
    if packed and unpacked / packed > limits.max_compression_ratio and unpacked > 10 * 1024 * 1024:
        raise FileError(f"文件压缩比异常（{unpacked / packed:.0f} 倍，上限 {limits.max_compression_ratio:.0f} 倍），"
                        "疑似压缩炸弹，未读取")
    sheets = sum(1 for i in infos if i.filename.lower().startswith("xl/worksheets/sheet"))
    if sheets > limits.max_sheets:
        raise FileError(f"工作表过多（{sheets} 个，上限 {limits.max_sheets} 个），未读取")
    import re

    declared = [int(n) for n in re.findall(rb'(?:count|uniqueCount)="(\d+)"', head)]
    if declared and max(declared) > limits.max_shared_strings:
        raise FileError(f"文件声明的文本单元格数异常（{max(declared):,} 个，上限 {limits.max_shared_strings:,} 个），"
                        "可能已损坏或被篡改，未读取")


def check_read(sheets: list[Sheet], limits: ReadLimits) -> None:
    for s in sheets:
        if s.table.num_rows > limits.max_rows:
            raise FileError(f"工作表「{s.name}」行数过多（{s.table.num_rows:,} 行，上限 {limits.max_rows:,} 行）")
        if s.table.num_columns > limits.max_columns:
            raise FileError(f"工作表「{s.name}」列数过多（{s.table.num_columns:,} 列，上限 {limits.max_columns:,} 列）")


def read_checked(path: Path, limits: ReadLimits, con: Any = None, data: bytes | None = None) -> list[Sheet]:
    """The sheets of a file within the limits, or FileError (in the calling process)."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise FileError(UNSUPPORTED.format(suffix=path.suffix))
    check_declared(path, limits)
    sheets = read_sheets(path, con, data)
    check_read(sheets, limits)
    return sheets


# ---- the parent's side ------------------------------------------------------------------------

@dataclass
class FileRead:
    sha256: str  # "" when the file could not even be opened
    sheets: list[Sheet] | None = None  # None: not read (content loaded before) or unreadable
    error: str | None = None  # why the file cannot be read (for the clerk)
    fault: str | None = None  # an unexpected failure (a file system error), reported as internal


class ReadAhead:
    """Reads `files` in order in a child process, which runs ahead of the one being loaded: a
    thread here takes its answers as they come (at most AHEAD waiting), so reading and loading
    overlap on the two cores. Files whose content is `known` (loaded before) or met earlier in the
    list are hashed, not read. A child that dies or overruns the per-file time is replaced and
    carries on after the file that ended it, which is reported with the reason."""

    AHEAD = 4

    def __init__(self, files: list[Path], limits: ReadLimits, known: set[str]) -> None:
        self.files, self.limits = files, limits
        self.hashes = set(known)  # known, and every content the children met
        self.answers: queue.Queue[FileRead] = queue.Queue(maxsize=self.AHEAD)
        self.stopping = threading.Event()
        self.handed = 0  # answers given to the loading thread (one per file, in order)
        self.child: _Child | None = None
        self.pump = threading.Thread(target=self._pump, name="read-ahead", daemon=True)

    def __enter__(self) -> ReadAhead:
        self.pump.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        if self.child is not None and self.handed < len(self.files):
            self.child.end()  # stopped early: it may be reading still (and its answer waited for)
        with contextlib.suppress(queue.Empty):
            while True:  # unblock the pump if it waits to hand over an answer
                self.answers.get_nowait()
        self.pump.join()

    def next(self) -> FileRead:
        return self.answers.get()

    def _pump(self) -> None:
        try:
            self._read_files()
        except BaseException as exc:  # never leave the loading thread waiting for an answer
            fault = f"读取线程出错：{type(exc).__name__}: {exc}"
            while self.handed < len(self.files) and self._hand_over(FileRead("", fault=fault)):
                pass

    def _read_files(self) -> None:
        """Hands over an answer for every file, in order (unless stopping)."""
        while self.handed < len(self.files) and not self.stopping.is_set():
            self.child = child = _Child.take(self.limits.max_memory_bytes)
            child.ask(self.limits, self.files[self.handed:], self.hashes)
            ended = False
            while self.handed < len(self.files) and not ended:
                read, ended = child.answer(self.limits)
                if read.sha256:
                    self.hashes.add(read.sha256)
                if not self._hand_over(read):
                    break
            if ended or self.handed < len(self.files):
                child.end()
            else:
                child.give_back()

    def _hand_over(self, read: FileRead) -> bool:
        while not self.stopping.is_set():
            try:
                self.answers.put(read, timeout=0.2)
                self.handed += 1
                return True
            except queue.Full:
                continue
        return False


def read_one(path: Path, limits: ReadLimits) -> list[Sheet]:
    """One file's sheets, read by a child process; FileError saying why not."""
    with ReadAhead([path], limits, set()) as reads:
        read = reads.next()
    if read.sheets is None:
        raise FileError(read.error or read.fault or "未读取")
    return read.sheets


class _Child:
    """One reading process. It answers requests one after another, so a process that ingests
    again (a benchmark's rounds, a long-lived Dagster process) reuses an idle one: starting one
    (Python, pyarrow, DuckDB, calamine) costs ~0.35 s."""

    _idle: ClassVar[list[_Child]] = []
    _lock: ClassVar[threading.Lock] = threading.Lock()
    KEEP_IDLE = 2

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (its last words, read if it dies)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "waterwh.ingest.isolation", str(memory)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.stderr, bufsize=0, env={**os.environ, "RUST_BACKTRACE": "0"})

    @classmethod
    def take(cls, memory: int) -> _Child:
        with cls._lock:
            while cls._idle:
                child = cls._idle.pop()
                if child.memory == memory and child.proc.poll() is None:
                    return child
                child.end()
        return cls(memory)

    def give_back(self) -> None:
        with self._lock:
            if self.proc.poll() is None and len(self._idle) < self.KEEP_IDLE:
                self._idle.append(self)
                return
        self.end()

    def ask(self, limits: ReadLimits, files: list[Path], known: set[str]) -> None:
        assert self.proc.stdin is not None
        _send(self.proc.stdin, (limits, [os.fsencode(f) for f in files], known))

    def answer(self, limits: ReadLimits) -> tuple[FileRead, bool]:
        """The next file's reading, and whether this child ended with it (died, or overran the time)."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], limits.max_seconds)
        if not ready:
            self.end()
            return FileRead("", error=f"读取超时（超过 {limits.max_seconds:.0f} 秒），"
                                      "文件可能过大或已损坏，未读取"), True
        try:
            read: FileRead = _receive(self.proc.stdout)
        except (EOFError, struct.error, pickle.UnpicklingError):
            return FileRead("", error=self._why_ended()), True
        for sheet in read.sheets or ():
            if isinstance(sheet.table, _Spilled):
                sheet.table = sheet.table.load()
        return read, False

    def end(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.stderr):
            if stream is not None:
                stream.close()

    def _why_ended(self) -> str:
        """Why it stopped answering, for the clerk (and the operator: its last words)."""
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.stderr.seek(0)
        lines = [ln for ln in self.stderr.read().decode(errors="replace").splitlines() if ln.strip()]
        said = next((ln for ln in lines if "memory allocation" in ln or "panicked" in ln), lines[-1] if lines else "")
        if code == -signal.SIGABRT or "memory allocation" in said:
            why = (f"读取时所需内存超过上限（{self.memory / 2**30:.0f} GB；文件中有极大的单元格范围或声明，"
                   "可能已损坏或被篡改）")
        elif code < 0:
            why = f"读取进程异常终止（信号 {signal.Signals(-code).name}）"
        else:
            why = f"读取进程异常退出（代码 {code}）"
        return f"{why}，未读取" + (f"（{said.strip()[:200]}）" if said else "")


def _send(stream: IO[bytes], obj: object) -> None:
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(blob)))
    stream.write(blob)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    (n,) = struct.unpack("<Q", _exactly(stream, 8))
    return pickle.loads(_exactly(stream, n))


def _exactly(stream: IO[bytes], n: int) -> bytes:
    parts, left = [], n
    while left:
        part = stream.read(left)
        if not part:
            raise EOFError
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# ---- the child's side -------------------------------------------------------------------------

def _serve(memory: int) -> None:
    """Answer requests until the parent closes the pipe: each file of a request, in order, answered
    as soon as it is read."""
    import resource


    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write on the answers' stream
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    from waterwh.ingest.db import connect

    con = connect()  # CSV files are read with it (a new database per file cost ~10 ms)
    while True:
        try:
            limits, files, known = _receive(stdin)
        except EOFError:
            return
        for raw in files:
            read = _read_one(Path(os.fsdecode(raw)), limits, con, known)
            for sheet in read.sheets or ():
                if sheet.table.nbytes >= _Spilled.SIZE:
                    sheet.table = _Spilled.of(sheet.table)  # type: ignore[assignment]
            _send(stdout, read)


@dataclass(frozen=True)
class _Spilled:
    """A large sheet's table handed over as an Arrow IPC file on tmpfs, mapped by the parent: a
    100,000-row sheet pickled through the pipe cost ~13 % of its ingest; mapped, next to nothing."""

    path: str

    SIZE: ClassVar[int] = 1 << 20  # bytes of a table from which it is spilled
    DIR: ClassVar[str | None] = "/dev/shm" if os.path.isdir("/dev/shm") else None

    @classmethod
    def of(cls, table: pa.Table) -> _Spilled:
        fd, path = tempfile.mkstemp(prefix="waterwh-sheet-", suffix=".arrow", dir=cls.DIR)
        with os.fdopen(fd, "wb") as f, pa.ipc.new_file(f, table.schema) as writer:
            writer.write_table(table)
        return cls(path)

    def load(self) -> pa.Table:
        try:
            with pa.memory_map(self.path) as source:
                return pa.ipc.open_file(source).read_all()
        finally:
            os.unlink(self.path)  # the mapping stays readable until the table is dropped


def _read_one(path: Path, limits: ReadLimits, con: Any, known: set[str]) -> FileRead:
    data = None
    try:
        # a small CSV file is read once, to hash it and to parse it
        if path.suffix.lower() in CSV_SUFFIXES and path.stat().st_size <= SMALL_CSV:
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
        else:
            sha = sha256_of(path)
    except OSError as exc:
        return FileRead("", fault=f"{type(exc).__name__}: {exc}")
    if sha in known:
        return FileRead(sha)
    known.add(sha)  # the same content twice in one night is read once
    try:
        return FileRead(sha, sheets=read_checked(path, limits, con, data))
    except FileError as exc:
        return FileRead(sha, error=str(exc))
    except MemoryError:
        return FileRead(sha, error="读取时所需内存超过上限（文件中有极大的单元格范围或声明，"
                                   "可能已损坏或被篡改），未读取")
    except BaseException as exc:  # calamine's panics (PanicException) included
        return FileRead(sha, error=f"文件可能已损坏，无法读取（读取器出错：{type(exc).__name__}: {str(exc)[:200]}），"
                                   "请重新导出后报送")


if __name__ == "__main__":
    from waterwh.ingest.isolation import _serve as serve  # this module by its name: answers unpickle as ingest's

    serve(int(sys.argv[1]))
