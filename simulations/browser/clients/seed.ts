// The seed's ChatManager (seed/post-sse-strategy.md), its four methods exactly as the seed writes
// them, connectSSE with the browser's own EventSource and its automatic reconnection, plus the glue
// that `ssesim browser` mounts (SPEC §6.1). Build: esbuild seed.ts --format=esm --outfile=seed.js

interface ChatMessage {
  type: 'user' | 'assistant' | 'system';
  content: string;
  timestamp: string;
  id?: string;
  isOptimistic?: boolean;
}

interface ChatState {
  messages: ChatMessage[];
  isTyping: boolean;
  isProcessing: boolean;
}

interface ChatConfig {
  backendUrl: string;
  maxMessageLength: number;
}

export class ChatManager {
  private state: ChatState = { messages: [], isTyping: false, isProcessing: false };
  private eventSource: EventSource | null = null;

  constructor(
    private config: ChatConfig,
    private sessionId: string,
    private onMessage: (messages: ChatMessage[]) => void,
    private onError: (error: Error) => void,
  ) {}

  get flags(): { isTyping: boolean; isProcessing: boolean } {
    return { isTyping: this.state.isTyping, isProcessing: this.state.isProcessing };
  }

  connectSSE(): void {
    // A plain EventSource: the browser reconnects by itself (the seed's "automatic reconnection").
    this.eventSource = new EventSource(
      `${this.config.backendUrl}/api/chat/stream?session_id=${encodeURIComponent(this.sessionId)}`);
    this.eventSource.onmessage = (event: MessageEvent) => {
      this.updateChatState(JSON.parse(event.data));
    };
    this.eventSource.onerror = (error) => {
      console.error('SSE error:', error);
    };
  }

  private addOptimisticMessage(content: string): string {
    const tempId = `temp-${Date.now()}-${Math.random()}`;
    const optimisticMessage = {
      type: 'user' as const,
      content,
      timestamp: new Date().toLocaleTimeString(),
      id: tempId,
      isOptimistic: true
    };

    this.state.messages.push(optimisticMessage);
    this.onMessage(this.state.messages);
    return tempId;
  }

  private removeOptimisticMessage(tempId: string): void {
    this.state.messages = this.state.messages.filter(
      msg => !(msg as any).id || (msg as any).id !== tempId
    );
    this.onMessage(this.state.messages);
  }

  async postMessageToBackend(message: string): Promise<void> {
    console.log('🚀 ChatManager.postMessageToBackend called with:', message);

    if (!message || message.length > this.config.maxMessageLength) {
      this.onError(new Error('Message is empty or too long'));
      return;
    }

    // 1. OPTIMISTIC UPDATE
    const tempId = this.addOptimisticMessage(message);

    try {
      // 2. SEND POST (trigger only)
      const response = await fetch(`${this.config.backendUrl}/api/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ message, session_id: this.sessionId }),
      });

      if (!response.ok) {
        throw new Error(`HTTP ${response.status}: ${response.statusText}`);
      }

      const data = await response.json();
      console.log('✅ Backend respond from /api/chat:', data);
      // NO STATE UPDATE - SSE will handle it

    } catch (error) {
      // 3. ROLLBACK ON FAILURE
      this.removeOptimisticMessage(tempId);
      console.error('Failed to send message:', error);
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private updateChatState(data: any): void {
    const oldState = { ...this.state };

    if (data.messages && Array.isArray(data.messages)) {
      // Convert backend messages to frontend format
      const serverMessages = data.messages.map((msg: any) => ({
        type: msg.sender === 'user' ? 'user' as const :
              msg.sender === 'system' ? 'system' as const :
              'assistant' as const,
        content: msg.content,
        timestamp: msg.timestamp,
        isOptimistic: false // Mark as canonical
      }));

      // FULL REPLACEMENT with canonical state
      // This removes optimistic messages and replaces with server truth
      this.state.messages = serverMessages;
    }

    // Update other state flags
    if (data.isTyping !== undefined) this.state.isTyping = data.isTyping;
    if (data.isProcessing !== undefined) this.state.isProcessing = data.isProcessing;

    // Handle wallet transactions (existing logic)
    if (data.pending_wallet_tx !== undefined) {
      // ... existing wallet logic
    }

    // Trigger React update
    this.onMessage(this.state.messages);
  }
}

// --- glue: what `ssesim browser` mounts (SPEC §6.1) -------------------------------------------
export interface Env {
  backendUrl: string;
  session: string;
  maxMessageLength: number;
  render(entries: { content: string; sender: string; optimistic: boolean; key?: string }[],
         flags: { isTyping: boolean; isProcessing: boolean }): void;
  error(err: unknown): void;
}

export function mount(env: Env): { send(content: string): void } {
  const chat: ChatManager = new ChatManager(
    { backendUrl: env.backendUrl, maxMessageLength: env.maxMessageLength }, env.session,
    (messages) => env.render(messages.map((m) => ({
      content: m.content, sender: m.type, optimistic: !!m.isOptimistic, key: m.id,
    })), chat.flags),
    (error) => env.error(error));
  chat.connectSSE();
  return { send: (content: string) => { void chat.postMessageToBackend(content); } };
}
