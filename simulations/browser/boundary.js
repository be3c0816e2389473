// The page's boundary, injected before any script of the page (Playwright's add_init_script).
// It wraps window.fetch (POST /api/chat only), window.EventSource and the timers the client sets, so
// that `ssesim browser` releases each real effect in the schedule's order (SPEC §6.1, lockstep):
//  - a POST is held until the harness says it arrives; its answer until the harness says it is
//    answered; the harness fails it (a network error) at the model's timeout instant;
//  - SSE frames are held at the server (so the EventSource's own lastEventId is the last event
//    delivered); here each message, open and error is counted for the harness to wait on;
//  - a timer of 1 ms or more is virtual: the harness fires it at its virtual instant.
// Every step ends by settling (a few macrotasks) and returning what the client did meanwhile.
(() => {
  if (window.__ssesim) return;
  const nativeFetch = window.fetch.bind(window);
  const nativeSetTimeout = window.setTimeout.bind(window);
  const nativeClearTimeout = window.clearTimeout.bind(window);
  const NativeEventSource = window.EventSource;
  const S = {
    now: 0, renders: 0, last: null, errors: [], posts: [], timers: [], cancels: [], aborts: [],
    opens: 0, messages: 0, esErrors: 0, closed: 0, client: null, waiters: [], lockstep: true,
  };
  window.__ssesim = S;
  const held = new Map();
  let nextPost = 0;
  let nextTimer = 1;
  const virtual = new Map();

  function wake() {
    const still = [];
    for (const w of S.waiters) (w.pred() ? w.resolve() : still.push(w));
    S.waiters = still;
  }
  S.until = (pred) => new Promise((resolve) => {
    if (pred()) resolve(); else S.waiters.push({ pred, resolve });
  });
  // One macrotask, without setTimeout's clamping of nested timers (a message to ourselves).
  const channel = new MessageChannel();
  const ticks = [];
  channel.port1.onmessage = () => { const r = ticks.shift(); if (r) r(); };
  const tick = () => new Promise((resolve) => { ticks.push(resolve); channel.port2.postMessage(0); });
  S.collect = async () => {
    for (let i = 0; i < 4; i++) await tick();  // continuations: await json(), catch blocks, re-renders
    const out = {
      renders: S.renders, last: S.renders ? S.last : null, errors: S.errors, posts: S.posts, timers: S.timers,
      cancels: S.cancels, aborts: S.aborts, pending: !!(S.client && S.client.pending && S.client.pending()),
      opens: S.opens, messages: S.messages, esErrors: S.esErrors, closed: S.closed,
    };
    S.renders = 0; S.errors = []; S.posts = []; S.timers = []; S.cancels = []; S.aborts = [];
    return out;
  };

  // --- what the client module calls (env) --------------------------------------------------------
  S.render = (entries, flags) => {
    S.renders += 1;
    const f = Array.isArray(flags) ? flags : [!!(flags && flags.isTyping), !!(flags && flags.isProcessing)];
    S.last = {
      entries: Array.from(entries || [], (e) => ({
        content: String(e.content), sender: String(e.sender || 'user'), optimistic: !!e.optimistic,
        key: e.key === undefined || e.key === null ? null : String(e.key), unconfirmed: !!e.unconfirmed,
      })),
      flags: [!!f[0], !!f[1]],
    };
  };
  S.error = (err) => {
    const key = err && err.key !== undefined ? String(err.key) : null;
    S.errors.push({ message: String(err && err.message ? err.message : err), key });
  };

  // --- fetch: POST /api/chat is held -------------------------------------------------------------
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || String(input);
    const method = String((init && init.method) || (input && input.method) || 'GET').toUpperCase();
    if (method !== 'POST' || new URL(url, location.href).pathname !== '/api/chat') {
      return nativeFetch(input, init);
    }
    return new Promise((resolve, reject) => {
      const id = nextPost++;
      const body = init && typeof init.body === 'string' ? init.body : null;
      const { signal, ...rest } = init || {};
      const h = { url, init: rest, resolve, reject, done: false, answer: null };
      held.set(id, h);
      S.posts.push({ id, body });
      if (signal) {  // the client gave up on it: its promise rejects now; the request still travels
        signal.addEventListener('abort', () => {
          if (h.done) return;
          h.done = true;
          S.aborts.push(id);
          reject(new DOMException('The user aborted a request.', 'AbortError'));
        });
      }
    });
  };
  S.arrive = async (id, headers) => {  // the request reaches the server now
    const h = held.get(id);
    const hs = new Headers(h.init.headers || {});
    for (const [k, v] of Object.entries(headers)) hs.set(k, v);
    try {
      const r = await nativeFetch(h.url, { ...h.init, headers: hs });
      const body = await r.clone().text();  // throws when the connection dies in the answer
      h.answer = r;
      return { status: r.status, body };
    } catch (e) {
      return { lost: true };  // the connection died without an answer (response_lost)
    }
  };
  S.answer = async (id) => {  // its answer reaches the client now
    const h = held.get(id);
    if (!h.done) { h.done = true; h.resolve(h.answer); }
    return S.collect();
  };
  S.fail = async (id) => {  // the model's timeout: a network error, as a browser or proxy gives
    const h = held.get(id);
    if (h && !h.done) { h.done = true; h.reject(new TypeError('Failed to fetch')); }
    return S.collect();
  };

  // --- EventSource: counted ----------------------------------------------------------------------
  class CountedEventSource extends NativeEventSource {
    constructor(url, config) {
      super(url, config);
      this.addEventListener('open', () => { S.opens += 1; wake(); });
      this.addEventListener('message', () => { S.messages += 1; wake(); });
      this.addEventListener('error', () => {
        S.esErrors += 1;
        if (this.readyState === NativeEventSource.CLOSED) S.closed += 1;
        wake();
      });
    }
  }
  window.EventSource = CountedEventSource;
  S.opened = async (n) => { await S.until(() => S.opens >= n); return S.collect(); };
  S.closedFor = async (n) => { await S.until(() => S.closed >= n); return S.collect(); };
  S.delivered = async (n) => { await S.until(() => S.messages >= n); return S.collect(); };

  // --- timers: virtual from 1 ms -----------------------------------------------------------------
  window.setTimeout = function (fn, delay, ...args) {
    const ms = Number(delay) || 0;
    if (!S.lockstep || ms < 1 || typeof fn !== 'function') return nativeSetTimeout(fn, delay, ...args);
    const id = 1e9 + nextTimer++;
    virtual.set(id, () => fn(...args));
    S.timers.push({ id, delay: ms / 1000 });
    return id;
  };
  window.clearTimeout = function (id) {
    if (virtual.has(id)) { virtual.delete(id); S.cancels.push(id); return; }
    nativeClearTimeout(id);
  };
  S.fire = async (id) => {
    const fn = virtual.get(id);
    virtual.delete(id);
    if (fn) fn();
    return S.collect();
  };
  S.send = async (content) => { S.client.send(content); return S.collect(); };
})();
