"""Compact storage for the explorer: packed states, a packed breadth-first frontier, a visited set of
64-bit fingerprints.

A state (``explorer.Node``: world, checkers, network) is a tree of a few hundred small objects, about
10 KB in memory. The frontier of a large search holds tens of thousands of them, which dominated the
explorer's memory. Here a state is packed into bytes (:func:`pack`, :func:`unpack`), and the frontier
(:class:`Frontier`) packs its queued states by chunks of consecutive ones, compressed together:
siblings and cousins share most of their bytes, and one pickle of a chunk writes the objects its
states share (the sessions and mirrors shared copy-on-write, the configuration lists) once.

What a packed state leaves out: the configuration every state shares (the ``Scenario`` and its
parts, the send specs, the strategy class) is written as its index in a table that
:func:`shared_table` builds from the scenario, the same in every process that loaded the scenario;
the vacuity guard's witness set (``Monitor.sometimes``, one set shared by every branch) is given
back to the unpacked state by whoever unpacks it. Everything else round-trips by value, with the
objects a state shares within itself shared again.

The visited set (:class:`FingerprintSet`) is open addressing over an ``array('Q')``: 8 bytes a slot,
between 10.7 and 16 bytes a state (the table grows by half when three quarters full).
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import zlib
from array import array
from collections import deque

__all__ = ["FingerprintSet", "Frontier", "pack", "shared_table", "unpack"]

_PROTOCOL = 5
CHUNK = 32  # entries packed together (Frontier)
HOT = 1024  # entries queued before the frontier packs (Frontier)
_LEVEL = 1  # zlib: level 1 packs these pickles within a few per cent of level 6, several times faster


def shared_table(scenario, strategy_cls=None) -> list:
    """The objects every state of ``scenario`` shares and a packed state names by index: the
    scenario, every configuration object inside it (frozen dataclasses), and the strategy class.
    Built by walking the scenario in field order, so every process that loaded the same scenario
    builds the same table."""
    table: list = []
    seen: set = set()

    def walk(obj) -> None:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            if id(obj) in seen:
                return
            seen.add(id(obj))
            table.append(obj)
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name))
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                walk(item)

    walk(scenario)
    if strategy_cls is not None:
        table.append(strategy_cls)
    return table


def _shared(index: int):
    """Stands in a packed state for a shared object; only :class:`_Unpickler` resolves it."""
    raise RuntimeError("a packed state's shared object is resolved by simulations.explore.store.unpack")


class _Pickler(pickle.Pickler):
    """Writes the shared objects as ``_shared(index)``. ``reducer_override`` is called only for
    objects pickle has no fast path for (not for ints, strings, lists, dicts, tuples, sets), so
    the shared objects cost a dictionary look-up, not a Python call for every object."""

    def __init__(self, file, ids: dict):
        super().__init__(file, _PROTOCOL)
        self._ids = ids

    def reducer_override(self, obj):
        index = self._ids.get(id(obj))
        if index is None:
            return NotImplemented
        return _shared, (index,)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, table: list):
        super().__init__(file)
        self._table = table

    def find_class(self, module, name):
        if module == __name__ and name == "_shared":
            return self._table.__getitem__
        return super().find_class(module, name)


class Packer:
    """Packs and unpacks the states of one model (one scenario and strategy); the explorer keeps one.

    ``sometimes``: the witness set every unpacked state's checkers share (the explorer's root's);
    ``None`` leaves each unpacked state its own copy. ``dictionary``: preset bytes for zlib (the
    root state packed uncompressed: the parts every state shares with the start compress away)."""

    def __init__(self, scenario, strategy_cls, sometimes: set | None = None, dictionary: bytes = b""):
        self.table = shared_table(scenario, strategy_cls)
        self.ids = {id(obj): i for i, obj in enumerate(self.table)}
        self.sometimes = sometimes
        self.dictionary = dictionary

    def dumps(self, obj) -> bytes:
        """``obj`` (a state, or any structure of states) pickled, shared objects by index."""
        buffer = io.BytesIO()
        _Pickler(buffer, self.ids).dump(obj)
        return buffer.getvalue()

    def loads(self, data: bytes):
        return _Unpickler(io.BytesIO(data), self.table).load()

    def compress(self, raw: bytes) -> bytes:
        z = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, self.dictionary) \
            if self.dictionary else zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
        return z.compress(raw) + z.flush()

    def decompress(self, data: bytes) -> bytes:
        d = zlib.decompressobj(-15, self.dictionary) if self.dictionary else zlib.decompressobj(-15)
        return d.decompress(data) + d.flush()

    def adopt(self, node) -> None:
        """Give an unpacked ``node`` the shared witness set back."""
        if self.sometimes is not None:
            node.monitor.sometimes = self.sometimes

    def pack(self, node) -> bytes:
        return self.compress(self.dumps(node))

    def unpack(self, data: bytes):
        node = self.loads(self.decompress(data))
        self.adopt(node)
        return node


def _packer(world) -> Packer:
    strategy = type(world.clients[0].strategy) if world.clients else None
    return Packer(world.scenario, strategy)


def pack(node) -> bytes:
    """``node`` (an ``explorer.Node``) as bytes: its configuration by index (:func:`shared_table`),
    the rest pickled and compressed. :func:`unpack` with the node's model gives it back."""
    return _packer(node.world).pack(node)


def unpack(model, data: bytes, sometimes: set | None = None):
    """The node :func:`pack` packed, for ``model`` (an ``explorer.Model`` of the same scenario and
    strategy, in this process or another). ``sometimes``: the witness set its checkers share with
    the other states of the search (``None``: a copy of its own, as packed)."""
    return Packer(model.scenario, model.strategy_cls, sometimes).unpack(data)


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
                    for entry in chunk:
                        self._packer.adopt(entry[0])
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
