// Follows a running prompt from websocket messages: which node executes, how
// far it is, previews, outputs and errors, drawn on the nodes and in the
// progress bar.

import type { NodeErrorEntry, WsMessage } from "./api";
import type { ComfyNode } from "./nodes";
import type { Progress } from "./panels";
import { $ } from "./panels";

export interface TrackerHost {
  node(id: string): ComfyNode | undefined;
  progress: Progress;
  redraw(): void;
}

interface Run {
  id: string;
  total: number;
  cached: number;
  done: Set<string>;
  current?: string;
  fraction: number;
}

/** State of the prompt this page is running. */
export class RunTracker {
  private sizes = new Map<string, number>();
  private run?: Run;
  private touched = new Set<string>();
  private previewUrls: string[] = [];

  constructor(private host: TrackerHost) {}

  /** Remembers how many nodes a queued prompt has (for the overall bar). */
  expect(promptId: string, nodes: number) {
    this.sizes.set(promptId, nodes);
  }

  runningId(): string | undefined {
    return this.run?.id;
  }

  reset() {
    this.run = undefined;
    this.touched.clear();
  }

  clearErrors() {
    for (const id of this.touched) {
      const n = this.host.node(id);
      if (n?.runState) n.runState.error = undefined;
    }
    this.host.redraw();
  }

  private state(id: string) {
    const n = this.host.node(id);
    if (n) {
      n.runState ??= {};
      this.touched.add(id);
    }
    return n;
  }

  showNodeErrors(errs: Record<string, NodeErrorEntry>) {
    for (const [id, e] of Object.entries(errs)) {
      const n = this.state(id);
      if (!n) continue;
      n.runState.error = e.errors.map((x) => `${x.message}${x.details ? `: ${x.details}` : ""}`).join("\n");
    }
    this.host.redraw();
  }

  private setExecuting(id?: string) {
    const r = this.run;
    if (!r) return;
    if (r.current && r.current !== id) {
      r.done.add(r.current);
      const prev = this.host.node(r.current);
      if (prev) {
        prev.runState.executing = false;
        prev.progress = undefined;
      }
    }
    r.current = id;
    r.fraction = 0;
    if (id) {
      const n = this.state(id);
      if (n) n.runState.executing = true;
    }
  }

  private update() {
    const r = this.run;
    if (!r) return;
    // A fast prompt can start before POST /prompt has answered with its id.
    r.total = this.sizes.get(r.id) ?? r.total;
    const total = Math.max(1, r.total - r.cached);
    const f = (r.done.size + r.fraction) / total;
    this.host.progress.set(Math.min(0.99, f), r.current ? `node ${r.current}` : "");
    this.host.redraw();
  }

  message(m: WsMessage) {
    const d = m.data ?? {};
    const pid = d.prompt_id as string | undefined;
    switch (m.type) {
      case "execution_start":
        this.run = { id: pid!, total: this.sizes.get(pid!) ?? 1, cached: 0, done: new Set(), fraction: 0 };
        this.host.progress.set(0, "starting");
        break;
      case "execution_cached":
        if (this.run) this.run.cached = (d.nodes as unknown[] | undefined)?.length ?? 0;
        this.update();
        break;
      case "executing":
        if (d.node == null) return this.finish(pid);
        if (!this.run) this.run = { id: pid ?? "", total: 1, cached: 0, done: new Set(), fraction: 0 };
        this.setExecuting(String(d.display_node ?? d.node));
        this.update();
        break;
      case "progress": {
        const id = String(d.node ?? this.run?.current ?? "");
        const f = Number(d.value) / Math.max(1, Number(d.max));
        const n = this.state(id);
        if (n) n.progress = f;
        if (this.run) this.run.fraction = f;
        this.update();
        break;
      }
      case "progress_state":
        this.progressState(d.nodes as Record<string, { value: number; max: number; state: string; display_node_id?: string }>);
        break;
      case "execution_success":
        this.host.progress.set(1, "done");
        break;
      case "execution_error": {
        const n = this.state(String(d.node_id));
        if (n) n.runState.error = `${d.exception_type ?? "error"}: ${String(d.exception_message ?? "").trim()}`;
        this.host.progress.set(0, "error");
        break;
      }
      case "execution_interrupted":
        this.host.progress.set(0, "cancelled");
        break;
    }
    this.host.redraw();
  }

  private progressState(nodes: Record<string, { value: number; max: number; state: string; display_node_id?: string }> | undefined) {
    if (!nodes || !this.run) return;
    let frac = 0;
    for (const [id, s] of Object.entries(nodes)) {
      const key = String(s.display_node_id ?? id);
      if (s.state === "finished") {
        this.run.done.add(key);
        const n = this.host.node(key);
        if (n) n.progress = undefined;
      } else if (s.state === "running") {
        frac = s.max > 0 ? s.value / s.max : 0;
        const n = this.state(key);
        if (n && s.max > 1) n.progress = frac;
      }
    }
    if (this.run.current && this.run.done.has(this.run.current)) frac = 0;
    this.run.fraction = frac;
    this.update();
  }

  private finish(pid?: string) {
    const r = this.run;
    if (r && (!pid || pid === r.id)) {
      this.setExecuting(undefined);
      this.run = undefined;
      if (pid) this.sizes.delete(pid);
    }
    this.host.redraw();
  }

  executed(nodeId: string, urls: string[]) {
    const n = this.state(nodeId);
    if (n && urls.length) n.runState.images = urls;
    this.host.redraw();
  }

  preview(blob: Blob, nodeId?: string) {
    // Keep a few recent URLs alive: the canvas may still be loading one.
    const url = URL.createObjectURL(blob);
    this.previewUrls.push(url);
    if (this.previewUrls.length > 4) URL.revokeObjectURL(this.previewUrls.shift()!);
    const img = $("live-preview") as HTMLImageElement;
    img.src = url;
    img.hidden = false;
    const id = nodeId ?? this.run?.current;
    const n = id ? this.state(id) : undefined;
    if (n) n.runState.images = [url];
    this.host.redraw();
  }
}
