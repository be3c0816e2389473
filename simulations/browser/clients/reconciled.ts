// SPEC §2.2's `reconciled` design as a TypeScript chat client a user can adopt, mounted by
// `ssesim browser` (SPEC §6.1). Each piece removes a race:
//  - a client message id on every attempt (the server commits each id once: retries are safe);
//  - states applied only if their version is newer than the newest applied (no stale snapshot);
//  - the view is the newest canonical state plus the undecided sends it does not hold (rebase);
//  - a send is decided when an applied state holds its id (confirmed), on a 4xx (rollback + error),
//    or on a 2xx whose version is <= an applied state that lacks the id (accepted, then dropped);
//  - timeouts, network errors and 5xx are retried with the same id after a capped exponential
//    backoff, until decided; after `retries` of them the entry shows as unconfirmed;
//  - a request deadline, so a given-up attempt cannot commit later;
//  - one send at a time: the next send's first POST waits until the previous one is decided;
//  - a snapshot first on every (re)connect; a refused EventSource (closed for good) is reopened.
// Build: esbuild reconciled.ts --format=esm --outfile=reconciled.js

export interface Options {
  retries: number;
  retryBackoff: number;
  retryBackoffMax: number;
  requestDeadline: number;
  reconnectDelay: number;
}

interface ServerMessage {
  index: number;
  sender: string;
  content: string;
  client_message_id?: string | null;
}

interface Send {
  id: string;
  content: string;
  fails: number;
  okVersion: number | null;
  unconfirmed: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  abort: AbortController | null;
}

export interface Entry { content: string; sender: string; optimistic: boolean; key?: string;
  unconfirmed?: boolean }

export interface Env {
  backendUrl: string;
  session: string;
  maxMessageLength: number;
  options?: Partial<Options>;
  now?: () => number;  // seconds on the server's clock (deadlines); default: Unix time
  render(entries: Entry[], flags: { isTyping: boolean; isProcessing: boolean }): void;
  error(err: Error & { key?: string }): void;
}

const DEFAULTS: Options = { retries: 3, retryBackoff: 0.5, retryBackoffMax: 8, requestDeadline: 8,
  reconnectDelay: 1 };

export class ReconciledChat {
  private canon: ServerMessage[] = [];
  private applied = 0;
  private flags = { isTyping: false, isProcessing: false };
  private pending: Send[] = [];  // undecided sends in send order; pending[0] may be in flight
  private active: Send | null = null;
  private source: EventSource | null = null;
  private readonly opts: Options;
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private counter = 0;

  constructor(private env: Env) {
    this.opts = { ...DEFAULTS, ...(env.options || {}) };
  }

  private now(): number {
    return this.env.now ? this.env.now() : Date.now() / 1000;
  }

  connect(): void {
    const url = `${this.env.backendUrl}/api/chat/stream?session_id=${encodeURIComponent(this.env.session)}&snapshot=1`;
    const source = new EventSource(url);
    this.source = source;
    source.onmessage = (event: MessageEvent) => this.onState(JSON.parse(event.data));
    source.onerror = () => {
      // An HTTP error on a reconnect closes an EventSource for good: open a new one ourselves.
      if (source.readyState === EventSource.CLOSED && this.source === source) {
        setTimeout(() => this.connect(), this.opts.reconnectDelay * 1000);
      }
    };
  }

  send(content: string): void {
    if (!content || content.length > this.env.maxMessageLength) {
      this.env.error(new Error('Message is empty or too long'));
      return;
    }
    const s: Send = { id: `${this.prefix}-${this.counter++}`, content, fails: 0, okVersion: null,
      unconfirmed: false, timer: null, abort: null };
    this.pending.push(s);
    this.render();
    this.startNext();
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  private render(): void {
    const entries: Entry[] = this.canon.map((m) => ({ content: m.content, sender: m.sender,
      optimistic: false }));
    for (const s of this.pending) {
      entries.push({ content: s.content, sender: 'user', optimistic: true, key: s.id,
        unconfirmed: s.unconfirmed });
    }
    this.env.render(entries, { ...this.flags });
  }

  private holds(s: Send): boolean {
    return this.canon.some((m) => m.client_message_id === s.id);
  }

  private startNext(): void {
    if (this.active !== null || this.pending.length === 0) return;
    this.active = this.pending[0];
    this.post(this.active);
  }

  private async post(s: Send): Promise<void> {
    const abort = new AbortController();
    s.abort = abort;
    let response: Response;
    try {
      response = await fetch(`${this.env.backendUrl}/api/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ session: this.env.session, content: s.content, client_message_id: s.id,
          deadline: this.now() + this.opts.requestDeadline }),
        signal: abort.signal,
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

  private ambiguous(s: Send): void {
    s.fails += 1;
    if (s.fails >= Math.max(this.opts.retries, 1) && !s.unconfirmed) {
      s.unconfirmed = true;  // neither sent nor failed: no error, no rollback; retrying goes on
      this.render();
    }
    const delay = Math.min(this.opts.retryBackoff * 2 ** (s.fails - 1), this.opts.retryBackoffMax);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (this.pending.includes(s)) this.post(s);
    }, delay * 1000);
  }

  private decide(s: Send): void {
    this.pending = this.pending.filter((p) => p !== s);
    if (this.active === s) {
      this.active = null;
      if (s.abort) s.abort.abort();
      if (s.timer !== null) clearTimeout(s.timer);
      s.timer = null;
    }
  }

  private failDefinitely(s: Send): void {
    this.decide(s);
    this.render();
    this.env.error(Object.assign(new Error('Message not sent'), { key: s.id }));
    this.startNext();
  }

  private onState(data: any): void {
    const version = Number(data.version);
    if (!(version > this.applied)) return;  // stale or repeated: never show an older state
    const messages: ServerMessage[] = data.messages || [];
    if (data.payload === 'delta') {
      const have = new Set(this.canon.map((m) => m.index));
      this.canon = this.canon.concat(messages.filter((m) => !have.has(m.index)))
        .sort((a, b) => a.index - b.index);
    } else {
      this.canon = messages.slice();
    }
    this.applied = version;
    this.flags = { isTyping: !!data.isTyping, isProcessing: !!data.isProcessing };
    const failed: Send[] = [];
    for (const s of this.pending.slice()) {
      if (this.holds(s)) this.decide(s);
      else if (s.okVersion !== null && s.okVersion <= version) {
        this.decide(s);
        failed.push(s);
      }
    }
    this.render();
    for (const s of failed) this.env.error(Object.assign(new Error('Message dropped'), { key: s.id }));
    this.startNext();
  }
}

export function mount(env: Env): { send(content: string): void; pending(): boolean } {
  const chat = new ReconciledChat(env);
  chat.connect();
  return { send: (content) => chat.send(content), pending: () => chat.hasPending() };
}
