class ChatManager {
  constructor(config, sessionId, onMessage, onError) {
    this.config = config;
    this.sessionId = sessionId;
    this.onMessage = onMessage;
    this.onError = onError;
  }
  config;
  sessionId;
  onMessage;
  onError;
  state = { messages: [], isTyping: false, isProcessing: false };
  eventSource = null;
  get flags() {
    return { isTyping: this.state.isTyping, isProcessing: this.state.isProcessing };
  }
  connectSSE() {
    this.eventSource = new EventSource(
      `${this.config.backendUrl}/api/chat/stream?session_id=${encodeURIComponent(this.sessionId)}`
    );
    this.eventSource.onmessage = (event) => {
      this.updateChatState(JSON.parse(event.data));
    };
    this.eventSource.onerror = (error) => {
      console.error("SSE error:", error);
    };
  }
  addOptimisticMessage(content) {
    const tempId = `temp-${Date.now()}-${Math.random()}`;
    const optimisticMessage = {
      type: "user",
      content,
      timestamp: (/* @__PURE__ */ new Date()).toLocaleTimeString(),
      id: tempId,
      isOptimistic: true
    };
    this.state.messages.push(optimisticMessage);
    this.onMessage(this.state.messages);
    return tempId;
  }
  removeOptimisticMessage(tempId) {
    this.state.messages = this.state.messages.filter(
      (msg) => !msg.id || msg.id !== tempId
    );
    this.onMessage(this.state.messages);
  }
  async postMessageToBackend(message) {
    console.log("\u{1F680} ChatManager.postMessageToBackend called with:", message);
    if (!message || message.length > this.config.maxMessageLength) {
      this.onError(new Error("Message is empty or too long"));
      return;
    }
    const tempId = this.addOptimisticMessage(message);
    try {
      const response = await fetch(`${this.config.backendUrl}/api/chat`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ message, session_id: this.sessionId })
      });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}: ${response.statusText}`);
      }
      const data = await response.json();
      console.log("\u2705 Backend respond from /api/chat:", data);
    } catch (error) {
      this.removeOptimisticMessage(tempId);
      console.error("Failed to send message:", error);
      this.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }
  updateChatState(data) {
    const oldState = { ...this.state };
    if (data.messages && Array.isArray(data.messages)) {
      const serverMessages = data.messages.map((msg) => ({
        type: msg.sender === "user" ? "user" : msg.sender === "system" ? "system" : "assistant",
        content: msg.content,
        timestamp: msg.timestamp,
        isOptimistic: false
        // Mark as canonical
      }));
      this.state.messages = serverMessages;
    }
    if (data.isTyping !== void 0) this.state.isTyping = data.isTyping;
    if (data.isProcessing !== void 0) this.state.isProcessing = data.isProcessing;
    if (data.pending_wallet_tx !== void 0) {
    }
    this.onMessage(this.state.messages);
  }
}
function mount(env) {
  const chat = new ChatManager(
    { backendUrl: env.backendUrl, maxMessageLength: env.maxMessageLength },
    env.session,
    (messages) => env.render(messages.map((m) => ({
      content: m.content,
      sender: m.type,
      optimistic: !!m.isOptimistic,
      key: m.id
    })), chat.flags),
    (error) => env.error(error)
  );
  chat.connectSSE();
  return { send: (content) => {
    void chat.postMessageToBackend(content);
  } };
}
export {
  ChatManager,
  mount
};
