"""Compact storage for the explorer: packed states, a packed breadth-first frontier, a visited set of
64-bit fingerprints.

A state (``explorer.Node``: world, checkers, network) is a tree of a few hundred small objects, about
10 KB in memory. The frontier of a large search holds tens of thousands of them, which dominated the
explorer's memory. Here a state is packed into bytes (:func:`pack`, :func:`unpack`), and the frontier
(:class:`Frontier`) packs its queued states by chunks of consecutive ones, compressed together:
siblings and cousins share most of their bytes, and one pickle of a chunk writes the objects its
states share (the sessions and mirrors shared copy-on-write, the configuration lists) once.

What a packed state leaves out: the objects every state of a search shares (the configuration: the
``Scenario`` and its parts, the checkers' tables; the vacuity guard's witness set) are written as
references into a table (:func:`shared_table`) that every process builds the same way from its
initial state, and an unpacked state shares them again. Everything else round-trips by value, with
the objects a state shares within itself (or with the other states of its chunk) shared again.

The visited set (:class:`FingerprintSet`) is open addressing over an ``array('Q')``: 8 bytes a slot,
between 10.7 and 16 bytes a state (the table grows by half when three quarters full).
"""

from __future__ import annotations

import io
import pickle
import struct
import types
import zlib
from array import array
from collections import deque
from typing import Any

__all__ = ["FingerprintSet", "Frontier", "Packer", "pack", "packer_for", "shared_table", "unpack"]

_PROTOCOL = 5
CHUNK = 32  # entries packed together (Frontier)
HOT = 16384  # entries queued as objects before the frontier packs the rest (Frontier; --frontier-objects)
_LEVEL = 1  # zlib: level 1 packs these pickles within a few per cent of level 6, several times faster


_LEAVES = (int, float, complex, str, bytes, bool, type(None), type, types.FunctionType,
           types.BuiltinFunctionType, types.MethodType, types.ModuleType)


def _slots(cls) -> Any:
    # A compiled class has no __slots__; mypyc lists its attributes (README: A compiled build).
    return getattr(cls, "__slots__", None) or getattr(cls, "__mypyc_attrs__", ())


def _reachable(obj, out: list, seen: set) -> None:
    """The containers and objects reachable from ``obj`` (not atoms, classes or functions), in a
    deterministic order: attributes in slot order, dict values in insertion order. The members of
    sets are not walked (their order depends on string hashing, which differs between processes)."""
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, _LEAVES) or id(x) in seen:
            continue
        seen.add(id(x))
        out.append(x)
        if isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
        elif isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif not isinstance(x, (set, frozenset)):
            values = [getattr(x, name) for cls in type(x).__mro__ for name in _slots(cls)
                      if name not in ("__dict__", "__weakref__") and hasattr(x, name)]
            if hasattr(x, "__dict__"):
                values.append(vars(x))
            stack.extend(reversed(values))


def shared_table(node) -> list:
    """The objects a state shares with every other state of its search, which a packed state names
    by index: those its full copy (``node.clone()``) shares with it, by design the configuration
    (the scenario and its parts, the checkers' and sessions' configuration lists and tables) and the
    vacuity guard's witness set (``Monitor.sometimes``, one set for every branch), besides immutable
    values. Built by one deterministic walk, so the same in every process whose node was made the same
    way (``Model.initial()`` of the same scenario and strategy)."""
    copy: list = []
    _reachable(node.clone(), copy, set())
    in_copy = {id(x) for x in copy}
    mine: list = []
    _reachable(node, mine, set())
    return [x for x in mine if id(x) in in_copy]


class Packer:
    """Packs and unpacks the states of one search.

    ``root``: a state of the search (its initial state); the objects it shares with every state
    (:func:`shared_table`) are written as references, and an unpacked state shares them again
    (the same witness set, the same configuration). The pickle memo is seeded with them: packing
    calls no Python code for any object. zlib compresses with a preset dictionary (the root
    pickled: what every state shares with the start compresses away)."""

    def __init__(self, root):
        self.table = shared_table(root)
        self._memo = {id(x): (i, x) for i, x in enumerate(self.table)}
        # An unpickler's memo is seeded by a prologue: for each index, a persistent id resolved to
        # the shared object, memoized at that index.
        prologue = bytearray(b"\x80\x05")
        for i in range(len(self.table)):
            prologue += b"J" + struct.pack("<i", i) + b"Q\x94" + b"0"  # BININT BINPERSID MEMOIZE POP
        self._prologue = bytes(prologue + b"N.")
        self.dictionary = b""
        self.dictionary = self.dumps(root)

    def dumps(self, obj) -> bytes:
        """``obj`` (a state, or any structure of states) pickled, the shared objects by reference."""
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, _PROTOCOL)
        pickler.memo = self._memo
        pickler.dump(obj)
        return buffer.getvalue()

    def loads(self, data: bytes):
        # The C unpickler itself, its persistent ids resolved by the table: a subclass of it
        # cannot be compiled (README: A compiled build).
        unpickler = pickle.Unpickler(io.BytesIO(self._prologue + data))
        unpickler.persistent_load = self.table.__getitem__  # type: ignore[method-assign,assignment]
        unpickler.load()
        return unpickler.load()

    def compress(self, raw: bytes) -> bytes:
        z = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, self.dictionary)
        return z.compress(raw) + z.flush()

    def decompress(self, data: bytes) -> bytes:
        d = zlib.decompressobj(-15, self.dictionary)
        return d.decompress(data) + d.flush()

    def pack(self, node) -> bytes:
        return self.compress(self.dumps(node))

    def unpack(self, data: bytes):
        return self.loads(self.decompress(data))


_CACHE: list = []  # [(model, its Packer)]: the last model packed for


def packer_for(model) -> Packer:
    """The packer of ``model``'s states (cached for the last model), rooted at ``model.initial()``:
    unpacked states share its witness set (``packer_for(model).table``)."""
    if not _CACHE or _CACHE[0][0] is not model:
        _CACHE[:] = [(model, Packer(model.initial()))]
    return _CACHE[0][1]


def pack(model, node) -> bytes:
    """``node``, a state of ``model`` (an ``explorer.Model``), as bytes: :func:`unpack` with a model
    of the same scenario and strategy, in this process or another, gives it back."""
    return packer_for(model).pack(node)


def unpack(model, data: bytes):
    """The state :func:`pack` packed. Its configuration is ``model``'s; its witness set is that of
    ``packer_for(model)`` (a search that keeps its own makes its own ``Packer(root)``)."""
    return packer_for(model).unpack(data)


class Frontier:
    """A first-in first-out queue of a breadth-first search's entries (tuples holding a node) that
    packs them by chunks once it is large.

    Entries are appended to an open chunk; a full chunk (``chunk`` entries, default ``CHUNK``) is
    packed when more than ``hot`` (default ``HOT``) entries are queued, else kept as it is. The oldest chunk is unpacked when the search
    reaches it. So a small search never packs (no cost), and a large one holds, besides up to
    about ``hot`` unpacked entries, a few hundred bytes an entry.
    """

    __slots__ = ("_chunk", "_head", "_hot", "_len", "_middle", "_packer", "_tail", "packed")

    def __init__(self, packer: Packer, chunk: int | None = None, hot: int | None = None):
        self._packer = packer
        self._chunk = CHUNK if chunk is None else chunk
        self._hot = HOT if hot is None else hot
        self._head: deque = deque()  # entries to pop first
        self._middle: deque = deque()  # chunks in order: packed (bytes) or not (list)
        self._tail: list = []  # the open chunk
        self._len = 0
        self.packed = 0  # chunks packed so far

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def append(self, entry) -> None:
        tail = self._tail
        tail.append(entry)
        self._len += 1
        if len(tail) >= self._chunk:
            self._tail = []
            if not self._middle and not self._head:
                self._head.extend(tail)
            elif self._len > self._hot:
                self._middle.append(self._packer.compress(self._packer.dumps(tail)))
                self.packed += 1
            else:
                self._middle.append(tail)

    def popleft(self):
        head = self._head
        if not head:
            middle = self._middle
            if middle:
                chunk = middle.popleft()
                if isinstance(chunk, bytes):
                    chunk = self._packer.loads(self._packer.decompress(chunk))
                head.extend(chunk)
            else:
                head.extend(self._tail)
                self._tail = []
        self._len -= 1
        return head.popleft()


class FingerprintSet:
    """A set of 64-bit unsigned ints (fingerprints: uniformly spread) in an ``array('Q')`` with open
    addressing and linear probing; 0 marks a free slot (the fingerprint 0 is kept aside). It grows
    by half when three quarters full: 10.7 to 16 bytes a member (a Python set of ints: about 70)."""

    __slots__ = ("_count", "_limit", "_size", "_slots", "_zero")

    def __init__(self, members=(), size: int = 1024):
        self._size = size
        self._slots = array("Q", [0]) * size
        self._limit = size * 3 // 4
        self._count = 0
        self._zero = False
        for m in members:
            self.add(m)

    def __len__(self) -> int:
        return self._count + self._zero

    def __contains__(self, fp: int) -> bool:
        if not fp:
            return self._zero
        slots, size = self._slots, self._size
        i = fp % size
        while True:
            v = slots[i]
            if v == fp:
                return True
            if not v:
                return False
            i += 1
            if i == size:
                i = 0

    def add(self, fp: int) -> None:
        if not fp:
            self._zero = True
            return
        slots, size = self._slots, self._size
        i = fp % size
        while True:
            v = slots[i]
            if v == fp:
                return
            if not v:
                break
            i += 1
            if i == size:
                i = 0
        slots[i] = fp
        self._count += 1
        if self._count > self._limit:
            self._grow()

    def _grow(self) -> None:
        old = self._slots
        size = self._size + self._size // 2
        slots = array("Q", [0]) * size
        for fp in old:
            if fp:
                i = fp % size
                while slots[i]:
                    i += 1
                    if i == size:
                        i = 0
                slots[i] = fp
        self._slots, self._size, self._limit = slots, size, size * 3 // 4

    def __iter__(self):
        if self._zero:
            yield 0
        for fp in self._slots:
            if fp:
                yield fp

    @property
    def nbytes(self) -> int:
        return self._slots.itemsize * len(self._slots)
