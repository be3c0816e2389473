const DEFAULTS = {
  retries: 3,
  retryBackoff: 0.5,
  retryBackoffMax: 8,
  requestDeadline: 8,
  reconnectDelay: 1
};
class ReconciledChat {
  constructor(env) {
    this.env = env;
    this.opts = { ...DEFAULTS, ...env.options || {} };
  }
  env;
  canon = [];
  applied = 0;
  flags = { isTyping: false, isProcessing: false };
  pending = [];
  // undecided sends in send order; pending[0] may be in flight
  active = null;
  source = null;
  opts;
  prefix = Math.random().toString(36).slice(2, 10);
  counter = 0;
  now() {
    return this.env.now ? this.env.now() : Date.now() / 1e3;
  }
  connect() {
    const url = `${this.env.backendUrl}/api/chat/stream?session_id=${encodeURIComponent(this.env.session)}&snapshot=1`;
    const source = new EventSource(url);
    this.source = source;
    source.onmessage = (event) => this.onState(JSON.parse(event.data));
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        setTimeout(() => this.connect(), this.opts.reconnectDelay * 1e3);
      }
    };
  }
  send(content) {
    if (!content || content.length > this.env.maxMessageLength) {
      this.env.error(new Error("Message is empty or too long"));
      return;
    }
    const s = {
      id: `${this.prefix}-${this.counter++}`,
      content,
      fails: 0,
      okVersion: null,
      unconfirmed: false,
      timer: null,
      abort: null
    };
    this.pending.push(s);
    this.render();
    this.startNext();
  }
  hasPending() {
    return this.pending.length > 0;
  }
  render() {
    const entries = this.canon.map((m) => ({
      content: m.content,
      sender: m.sender,
      optimistic: false
    }));
    for (const s of this.pending) {
      entries.push({
        content: s.content,
        sender: "user",
        optimistic: true,
        key: s.id,
        unconfirmed: s.unconfirmed
      });
    }
    this.env.render(entries, { ...this.flags });
  }
  holds(s) {
    return this.canon.some((m) => m.client_message_id === s.id);
  }
  startNext() {
    if (this.active !== null || this.pending.length === 0) return;
    this.active = this.pending[0];
    this.post(this.active);
  }
  async post(s) {
    const abort = new AbortController();
    s.abort = abort;
    let response;
    try {
      response = await fetch(`${this.env.backendUrl}/api/chat`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          session: this.env.session,
          content: s.content,
          client_message_id: s.id,
          deadline: this.now() + this.opts.requestDeadline
        }),
        signal: abort.signal
      });
    } catch (error) {
      if (abort.signal.aborted || !this.pending.includes(s)) return;
      this.ambiguous(s);
      return;
    }
    if (!this.pending.includes(s)) return;
    if (response.ok) {
      const body = await response.json();
      s.okVersion = Math.max(s.okVersion ?? -1, Number(body.version));
      if (s.okVersion <= this.applied && !this.holds(s)) this.failDefinitely(s);
    } else if (response.status >= 400 && response.status < 500) {
      this.failDefinitely(s);
    } else {
      this.ambiguous(s);
    }
  }
  ambiguous(s) {
    s.fails += 1;
    if (s.fails >= Math.max(this.opts.retries, 1) && !s.unconfirmed) {
      s.unconfirmed = true;
      this.render();
    }
    const delay = Math.min(this.opts.retryBackoff * 2 ** (s.fails - 1), this.opts.retryBackoffMax);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (this.pending.includes(s)) this.post(s);
    }, delay * 1e3);
  }
  decide(s) {
    this.pending = this.pending.filter((p) => p !== s);
    if (this.active === s) {
      this.active = null;
      if (s.abort) s.abort.abort();
      if (s.timer !== null) clearTimeout(s.timer);
      s.timer = null;
    }
  }
  failDefinitely(s) {
    this.decide(s);
    this.render();
    this.env.error(Object.assign(new Error("Message not sent"), { key: s.id }));
    this.startNext();
  }
  onState(data) {
    const version = Number(data.version);
    if (!(version > this.applied)) return;
    const messages = data.messages || [];
    if (data.payload === "delta") {
      const have = new Set(this.canon.map((m) => m.index));
      this.canon = this.canon.concat(messages.filter((m) => !have.has(m.index))).sort((a, b) => a.index - b.index);
    } else {
      this.canon = messages.slice();
    }
    this.applied = version;
    this.flags = { isTyping: !!data.isTyping, isProcessing: !!data.isProcessing };
    const failed = [];
    for (const s of this.pending.slice()) {
      if (this.holds(s)) this.decide(s);
      else if (s.okVersion !== null && s.okVersion <= version) {
        this.decide(s);
        failed.push(s);
      }
    }
    this.render();
    for (const s of failed) this.env.error(Object.assign(new Error("Message dropped"), { key: s.id }));
    this.startNext();
  }
}
function mount(env) {
  const chat = new ReconciledChat(env);
  chat.connect();
  return { send: (content) => chat.send(content), pending: () => chat.hasPending() };
}
export {
  ReconciledChat,
  mount
};
