"""The World's explored state, declared once (``model.explored``): which fields the explorer copies
and keys, and why each field left out of the key cannot change a verdict; the copies and keys
derived from that declaration (``clone_world``, ``world_key``), which the explorer uses.
"""

from __future__ import annotations

from typing import Any

from model.explored import COPY, LEN, OUT, PART, SORTED, config, derive, field
from model.observe import Observer
from model.strategies import SessionView, Strategy
from model.system import Attempt, Client, Session, World

# --- the explored state: declared once, copies and keys derived (model.explored) ---------------------
_DERIVED = "determined by the keyed fields"
_CACHE = ("the hash of the part's key, cached for the state's fingerprint (Keys.hashing): reset "
          "whenever a step may write the part")
Session.EXPLORED = {  # type: ignore[attr-defined]
    "_kh": field(key=OUT, why=_CACHE),
    "name": field(),
    "log": field(COPY, "method:_key_log"),
    "version": field(key=OUT, why=_DERIVED + ": len(history) - 1"),
    "typing": field(key=OUT, why=_DERIVED + ": the last entry of history"),
    "processing": field(key=OUT, why=_DERIVED + ": the last entry of history"),
    "by_cmid": field(COPY, OUT, _DERIVED + ": the client message ids of the log's messages"),
    "history": field(COPY, "method:_key_history"),
    "latest": field(key=OUT, why=_DERIVED + ": the event of the newest entry of history"),
    "streams": field(key="method:_key_streams"),
    "cum_bytes": field(COPY, OUT, "sizes of the log's contents (fixed by its sends); only metrics read them"),
    "clients": config(),
}
Client.EXPLORED = {  # type: ignore[attr-defined]
    "_kh": field(key=OUT, why=_CACHE),
    "index": config(),
    "connected": field(), "conn": field(), "last_version": field(key="method:_key_last_version"),
    "closed": field(), "refuse": field(), "known": field(COPY, "method:_key_known"),
    "last_view": field(key=OUT, why="equals the strategy's view after every step (each handler "
                                    "reports the view last)"),
    "outstanding": field(PART, "method:_key_outstanding"),
    "session": field(PART, OUT, "the client's session, keyed with the sessions"),
    "strategy": field(PART, "method:_key_strategy"),
}
World.EXPLORED = {  # type: ignore[attr-defined]
    "scenario": config(), "server": config(), "sse_payload_snapshot": config(),
    "strategy_name": config(), "untimed": config(),
    "obs": field(PART, OUT, "the observer: the checkers' state is keyed on its own"),
    "sessions": field(PART, "method:_key_sessions"),
    "clients": field(PART, "method:_key_clients"),
    # sends, send_specs and _counts grow with every send of a run: written in place and copied (a
    # write by replacement would cost a simulated run time quadratic in its sends)
    "sends": field(COPY, LEN),
    "send_specs": field(COPY, OUT, "the scripted specs of the sends made so far: fixed by their number"),
    "attempts": field(key=OUT, why="the next attempt id; ids only name attempts in traces"),
    "pending": field(),
    "timers": field(key=SORTED),  # written by replacement (model.client_half): a state shares it
    "committed": field(key=OUT, why="a count for the metrics; the logs hold the commits"),
    "_counts": field(COPY, "method:_key_counts"),
    "_strategies_with_pending": field(PART, OUT, _DERIVED + ": the clients' strategies"),
}


def _key_log(self, K) -> tuple:
    return tuple([(m.sender, m.send) for m in self.log])


def _key_history(self, K) -> tuple:
    # Versions before the current one are read only to resume a stream from its last event id.
    history = self.history
    return tuple(history) if K.history else (len(history), history[-1])


def _key_streams(self, K) -> tuple:
    # A client of a symmetry group is keyed in its group's block (Keys.groups), not by its index.
    streams = self.streams
    if K.grouped:
        grouped = K.grouped
        streams = [p for p in streams if p[0] not in grouped]
    return tuple(sorted(streams)) if streams else ()


def _key_last_version(self, K):
    # Read only to resume a stream from its last event id, and whether there is one (World.resume_of).
    if K.history:  # -1: none (so that keys of a symmetry group still sort)
        return -1 if self.last_version is None else self.last_version
    return self.last_version is None if K.ids else 0


def _key_known(self, K):
    # Read only through SessionView: a built-in strategy asks only about messages its view holds,
    # which it has received, so the answer never depends on the rest; a plug-in may ask anything.
    return tuple(self.known) if K.known else ()


def _key_outstanding(self, K) -> tuple:
    outstanding = self.outstanding
    if not outstanding:
        return ()
    if K.attempt_n is _no_n:
        return tuple(sorted([(s, a.state) for s, a in outstanding.items()]))
    return tuple(sorted([(s, 1 if a.n == 1 else 2, a.state) for s, a in outstanding.items()]))


def _key_strategy(self, K):
    return self.strategy.state_key()


def _key_sessions(self, K) -> tuple:
    session = K.session
    return tuple([session(s, K) for s in self.sessions.values()])


def _key_clients(self, K) -> tuple:
    client = K.client
    if K.grouped:  # a client of a symmetry group is keyed in its group's block (Keys.groups)
        grouped = K.grouped
        return tuple([client(c, K) for c in self.clients if c.index not in grouped])
    return tuple([client(c, K) for c in self.clients])


def _key_counts(self, K) -> tuple:
    if K.attempt_n is _no_n:
        return ()
    return tuple(sorted([(k, 1 if n == 1 else 2) for k, n in self._counts.items()]))


def _no_n(a, K) -> int:
    return 0


Session._key_log, Session._key_history, Session._key_streams = (  # type: ignore[attr-defined]
    _key_log, _key_history, _key_streams)
Client._key_outstanding, Client._key_strategy, Client._key_last_version = (  # type: ignore[attr-defined]
    _key_outstanding, _key_strategy, _key_last_version)
Client._key_known = _key_known  # type: ignore[attr-defined]
World._key_sessions, World._key_clients, World._key_counts = (  # type: ignore[attr-defined]
    _key_sessions, _key_clients, _key_counts)
_copy_session, _key_session = derive(Session, Session.EXPLORED)  # type: ignore[attr-defined]
_copy_client, _key_client = derive(Client, Client.EXPLORED)  # type: ignore[attr-defined]
_copy_world, _key_world = derive(World, World.EXPLORED)  # type: ignore[attr-defined]
_copy_attempt = Attempt.copy_fields  # type: ignore[attr-defined]


class Keys:
    """The key functions of one exploration: the declared ones, less what its scenario and strategy
    can never read. ``attempt_number``: whether any step reads an attempt's number (a scripted send
    forces a fault on its first attempt, or the strategy reads ``attempt.n``). ``history``: whether
    a session's past versions can be read (a stream resumed from its last event id), and with them a
    client's last delivered version. ``ids``: whether a reconnect may carry no id and so get nothing
    replayed (the strategy does not ask for a snapshot, nor does the server always send one), so
    whether a client has received an event at all. ``known``: whether the strategy may read what a
    client has received through its ``SessionView`` beyond its own view (a plug-in). ``prune``: whether the checkers' entries of sends that can no
    longer change a verdict are left out (the strategy tells its undecided sends,
    ``Strategy.undecided``); ``live`` is then set, per state, to the sends that still can.
    ``groups``: the groups of interchangeable clients (client symmetry), each keyed as a sorted
    block; ``grouped``: their clients, left out of the per-client parts of the key."""

    def __init__(self, attempt_number: bool = True, history: bool = True, prune: bool = False,
                 groups: tuple = (), views: bool = True, ids: bool = True, known: bool = True):
        self.history = history
        self.ids = ids
        self.known = known
        self.views = views  # the checkers' copy of each client's view (False: its strategy keys it)
        self.prune = prune
        self.live: set | None = None
        self.quiet = True  # per state: whether the system was quiescent after its last step
        self.groups = groups
        self.grouped = frozenset(c for g in groups for c in g)
        fields = dict(Attempt.EXPLORED)  # type: ignore[attr-defined]
        self.attempt_n: Any
        if attempt_number:
            self.attempt_n = Attempt._key_n  # type: ignore[attr-defined]
        else:
            fields["n"] = field(key=OUT, why="no scripted fault and a strategy that never reads it")
            self.attempt_n = _no_n
        self.attempt = derive(Attempt, fields)[1]
        self.session, self.client, self.world = _key_session, _key_client, _key_world
        self.hashing: Any = None  # the same functions keying sessions and clients by hashes

    def part_hashing(self) -> Keys:
        """Make these key functions key each session and client by the hash of its key, cached in
        the part (``_kh``) until a step that may write the part resets it (``Model.advance``, and
        :func:`own_sessions` for sessions): the key a state's fingerprint hashes, with the parts
        that a step left alone not keyed again. An exploration keeps such a twin of its keys as
        their ``hashing``."""
        self.session, self.client = _hashed_session, _hashed_client
        self.hashing = self
        return self


def _hashed_session(s: Session, K: Keys) -> int:
    h = s._kh
    if h is None:
        h = s._kh = hash(_key_session(s, K))
    return h


def _hashed_client(c: Client, K: Keys) -> int:
    h = c._kh
    if h is None:
        h = c._kh = hash(_key_client(c, K))
    return h


def stale_parts(world: World, K: Keys) -> list[str]:
    """The sessions and clients whose cached key hash differs from their key's hash now (a step
    wrote a part without resetting its cache): ``[]`` in every state of a correct model."""
    out = [f"session {s.name}" for s in world.sessions.values()
           if s._kh is not None and s._kh != hash(_key_session(s, K))]
    return out + [f"client {c.index}" for c in world.clients
                  if c._kh is not None and c._kh != hash(_key_client(c, K))]


def clone_world(world: World, obs: Observer, attempts: dict, share_sessions: bool = False) -> World:
    """A copy of ``world`` that shares nothing mutable with it; ``attempts`` maps old → new attempts.

    ``share_sessions``: the copy shares ``world``'s sessions, which only commits, flag changes and
    stream openings and closings change; whoever may cause one first calls :func:`own_sessions`."""
    new = _copy_world(world)
    new.obs = obs
    sessions = world.sessions if share_sessions else {name: _copy_session(s)
                                                       for name, s in world.sessions.items()}
    new.sessions = sessions
    clients = []
    for cl in world.clients:
        c = _copy_client(cl)
        c.session = sessions[cl.session.name]
        c.strategy = cl.strategy.clone()
        c.strategy.session = SessionView(c.session, c.known)
        if cl.outstanding:
            c.outstanding = {s: copy_attempt(a, attempts) for s, a in cl.outstanding.items()}
        else:
            c.outstanding = {}
        clients.append(c)
    new.clients = clients
    if world._strategies_with_pending:
        new._strategies_with_pending = [c.strategy for c in clients
                                        if type(c.strategy).has_pending is not Strategy.has_pending]
    else:  # none of the strategies can hold pending work: an empty list every copy shares (read only)
        new._strategies_with_pending = world._strategies_with_pending
    return new


def own_sessions(world: World) -> None:
    """Give ``world`` sessions of its own (copies), before a step may change them."""
    sessions = {name: _copy_session(s) for name, s in world.sessions.items()}
    for s in sessions.values():
        s._kh = None  # a step is about to write it
    world.sessions = sessions
    for c in world.clients:
        c.session = sessions[c.session.name]
        c.strategy.session = SessionView(c.session, c.known)


def copy_attempt(a: Attempt, memo: dict) -> Attempt:
    new = memo.get(id(a))
    if new is None:
        new = memo[id(a)] = _copy_attempt(a)
    return new


_FULL_KEYS = Keys()


def attempt_key(a: Attempt, K: Keys = _FULL_KEYS) -> tuple:
    return K.attempt(a, K)


def world_key(world: World, K: Keys = _FULL_KEYS) -> tuple:
    """Everything about the system that can influence what happens next (times excluded)."""
    return _key_world(world, K)
