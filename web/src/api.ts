// Client for the ComfyUI protocol (spec/comfyui-api.md): HTTP routes under
// <base>/api and the /ws websocket with its text and binary frames.

import type { ObjectInfo } from "./objectinfo";
import type { ApiPrompt, UIWorkflow } from "./workflow";

export interface ImageRef {
  filename: string;
  subfolder: string;
  type: string;
}

export interface NodeErrorEntry {
  errors: { type: string; message: string; details: string; extra_info?: Record<string, unknown> }[];
  dependent_outputs?: string[];
  class_type?: string;
}

export interface PromptResponse {
  prompt_id?: string;
  number?: number;
  node_errors?: Record<string, NodeErrorEntry>;
  error?: { type: string; message: string; details: string } | string;
}

export type QueueItem = [number, string, ApiPrompt, Record<string, unknown>, string[]];

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, { images?: ImageRef[] }>;
  status?: { status_str: string; completed: boolean; messages: [string, Record<string, unknown>][] };
}

/** GET /sumi/workflows: sumi's example workflows (package workflows). */
export interface ExampleList {
  /** The file the editor opens first. */
  default: string;
  workflows: { name: string; ui: string; api: string }[];
  /** Recommended [width, height] sizes, offered as EmptyLatentImage presets. */
  resolutions: [number, number][];
}

export type WsMessage = { type: string; data: Record<string, unknown> };

export interface ApiEvents {
  message(msg: WsMessage): void;
  preview(blob: Blob, nodeId?: string): void;
  connection(open: boolean): void;
}

/** Error from an HTTP route, with the decoded body when there is one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body?: unknown,
  ) {
    super("api: " + message);
    this.name = "ApiError";
  }
}

function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Talks to one sumi/ComfyUI server. */
export class Api {
  clientId: string;
  private ws?: WebSocket;
  private retry = 0;
  private closed = false;
  private openWaiters: (() => void)[] = [];

  constructor(
    private base: string,
    private events: ApiEvents,
  ) {
    this.clientId = sessionStorage.getItem("sumi.clientId") ?? randomId();
    sessionStorage.setItem("sumi.clientId", this.clientId);
  }

  url(path: string): string {
    return `${this.base}/api${path}`;
  }

  private async json<T>(path: string, init?: RequestInit): Promise<T> {
    const r = await fetch(this.url(path), init);
    const text = await r.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (!r.ok) throw new ApiError(`${init?.method ?? "GET"} ${path}: ${r.status}`, r.status, body);
    return body as T;
  }

  private post(path: string, body: unknown) {
    return this.json<unknown>(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  objectInfo(): Promise<ObjectInfo> {
    return this.json<ObjectInfo>("/object_info");
  }

  examples(): Promise<ExampleList> {
    return this.json<ExampleList>("/sumi/workflows");
  }

  /** One example file by name, e.g. "animagine_txt2img.ui.json". */
  example(file: string): Promise<unknown> {
    return this.json<unknown>(`/sumi/workflows/${encodeURIComponent(file)}`);
  }

  /** Queues a prompt; a 400 answer is returned (not thrown) so its node_errors can be shown. */
  async queuePrompt(prompt: ApiPrompt, workflow: UIWorkflow): Promise<PromptResponse> {
    const body = { client_id: this.clientId, prompt, extra_data: { extra_pnginfo: { workflow } } };
    try {
      return (await this.post("/prompt", body)) as PromptResponse;
    } catch (e) {
      if (e instanceof ApiError && e.body && typeof e.body === "object") return e.body as PromptResponse;
      if (e instanceof ApiError) return { error: { type: "server_error", message: String(e.body ?? e.message), details: "" } };
      throw e;
    }
  }

  queue(): Promise<{ queue_running: QueueItem[]; queue_pending: QueueItem[] }> {
    return this.json("/queue");
  }

  history(max = 64): Promise<Record<string, HistoryEntry>> {
    return this.json(`/history?max_items=${max}`);
  }

  deleteQueued(ids: string[]) {
    return this.post("/queue", { delete: ids });
  }

  clearQueue() {
    return this.post("/queue", { clear: true });
  }

  deleteHistory(ids: string[]) {
    return this.post("/history", { delete: ids });
  }

  clearHistory() {
    return this.post("/history", { clear: true });
  }

  interrupt(promptId?: string) {
    return this.post("/interrupt", promptId ? { prompt_id: promptId } : {});
  }

  async uploadImage(file: File): Promise<string> {
    const fd = new FormData();
    fd.append("image", file);
    const r = await this.json<{ name: string; subfolder?: string }>("/upload/image", { method: "POST", body: fd });
    return r.subfolder ? `${r.subfolder}/${r.name}` : r.name;
  }

  viewUrl(img: ImageRef): string {
    const q = new URLSearchParams({ filename: img.filename, subfolder: img.subfolder ?? "", type: img.type ?? "output" });
    return this.url(`/view?${q}`);
  }

  /** Opens the websocket (and reopens it after drops). Resolves once open. */
  connect(): Promise<void> {
    const p = new Promise<void>((res) => this.openWaiters.push(res));
    this.open();
    return p;
  }

  private open() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}${this.base}/ws?clientId=${encodeURIComponent(this.clientId)}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
      this.events.connection(true);
      for (const w of this.openWaiters.splice(0)) w();
    };
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onclose = () => {
      this.events.connection(false);
      if (this.closed) return;
      const delay = Math.min(5000, 300 * 2 ** this.retry++);
      setTimeout(() => this.open(), delay);
    };
  }

  close() {
    this.closed = true;
    this.ws?.close();
  }

  private onMessage(data: unknown) {
    if (typeof data === "string") {
      let msg: WsMessage;
      try {
        msg = JSON.parse(data);
      } catch {
        return;
      }
      if (msg?.type === "status" && typeof msg.data?.sid === "string") this.clientId = msg.data.sid;
      this.events.message(msg);
      return;
    }
    if (data instanceof ArrayBuffer) {
      const p = parseBinaryFrame(data);
      if (p) this.events.preview(p.blob, p.nodeId);
    }
  }
}

/** Decodes a binary websocket frame carrying a preview image (types 1 and 4). */
export function parseBinaryFrame(buf: ArrayBuffer): { blob: Blob; nodeId?: string } | undefined {
  if (buf.byteLength < 8) return undefined;
  const dv = new DataView(buf);
  const type = dv.getUint32(0);
  if (type === 1) {
    const fmt = dv.getUint32(4);
    return { blob: new Blob([buf.slice(8)], { type: fmt === 2 ? "image/png" : "image/jpeg" }) };
  }
  if (type === 4) {
    const len = dv.getUint32(4);
    if (8 + len > buf.byteLength) return undefined;
    let meta: { node_id?: string; display_node_id?: string; image_type?: string } = {};
    try {
      meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, len)));
    } catch {
      return undefined;
    }
    return {
      blob: new Blob([buf.slice(8 + len)], { type: meta.image_type ?? "image/jpeg" }),
      nodeId: meta.display_node_id ?? meta.node_id,
    };
  }
  return undefined;
}
