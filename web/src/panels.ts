// The DOM around the canvas: node palette, queue/history list, gallery,
// progress bar and toasts.

import type { HistoryEntry, ImageRef, QueueItem } from "./api";
import type { ObjectInfo } from "./objectinfo";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const k of kids) e.append(k);
  return e;
}

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page: missing #${id}`);
  return e;
}

/** Shows a short message at the bottom of the page. */
export function toast(text: string, kind: "info" | "error" = "info", ms = 5000) {
  const t = el("div", { className: `toast ${kind}`, textContent: text });
  t.setAttribute("role", kind === "error" ? "alert" : "status");
  $("toasts").append(t);
  setTimeout(() => t.remove(), ms);
}

export interface PaletteEntry {
  type: string;
  title: string;
  category: string;
}

/** Fills the node palette and wires search; pick(type) adds a node. */
export function renderPalette(entries: PaletteEntry[], pick: (type: string) => void) {
  const list = $("palette-list");
  const search = $("palette-search") as HTMLInputElement;
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    list.replaceChildren();
    const byCat = new Map<string, PaletteEntry[]>();
    for (const e of entries) {
      if (q && !`${e.title} ${e.type} ${e.category}`.toLowerCase().includes(q)) continue;
      const c = e.category || "other";
      if (!byCat.has(c)) byCat.set(c, []);
      byCat.get(c)!.push(e);
    }
    for (const cat of [...byCat.keys()].sort()) {
      const items = byCat.get(cat)!.sort((a, b) => a.title.localeCompare(b.title));
      const d = el("details", { open: !!q || byCat.size <= 3 }, el("summary", { textContent: cat }));
      for (const it of items) {
        const b = el("button", { className: "node-item", textContent: it.title, title: it.type });
        b.dataset.nodeType = it.type;
        b.setAttribute("role", "listitem");
        b.onclick = () => pick(it.type);
        d.append(b);
      }
      list.append(d);
    }
  };
  search.oninput = draw;
  search.onkeydown = (e) => {
    if (e.key === "Enter") {
      const first = list.querySelector<HTMLButtonElement>("button.node-item");
      if (first) pick(first.dataset.nodeType!);
    }
  };
  draw();
}

/** Palette entries from node definitions plus the editor-only types. */
export function paletteEntries(defs: ObjectInfo): PaletteEntry[] {
  const out = Object.values(defs)
    .filter((d) => d && d.name && !d.deprecated)
    .map((d) => ({ type: d.name, title: d.display_name || d.name, category: d.category ?? "" }));
  for (const [type, title] of [
    ["Note", "Note"],
    ["MarkdownNote", "Markdown Note"],
    ["Reroute", "Reroute"],
    ["PrimitiveNode", "Primitive"],
  ])
    out.push({ type, title, category: "utils" });
  return out;
}

/** Progress bar with a log of values, so tests can see it move. */
export class Progress {
  readonly log: number[] = [];
  private bar = $("progress") as HTMLProgressElement;
  private text = $("progress-text");

  set(fraction: number, label = "") {
    const f = Math.max(0, Math.min(1, fraction));
    this.bar.value = f;
    this.text.textContent = label || (f > 0 ? `${Math.round(f * 100)}%` : "");
    this.log.push(f);
    if (this.log.length > 1000) this.log.shift();
  }
}

export interface QueueActions {
  cancel(id: string, running: boolean): void;
  deleteHistory(id: string): void;
  loadHistory(id: string): void;
  viewUrl(img: ImageRef): string;
}

/** Renders the queue (running + pending) and history lists. */
export function renderQueue(q: { queue_running: QueueItem[]; queue_pending: QueueItem[] }, act: QueueActions) {
  const ul = $("queue-list");
  ul.replaceChildren();
  const items = [
    ...q.queue_running.map((i) => ({ i, running: true })),
    ...[...q.queue_pending].sort((a, b) => a[0] - b[0]).map((i) => ({ i, running: false })),
  ];
  if (!items.length) ul.append(el("li", { className: "empty" }, el("span", { className: "label", textContent: "empty" })));
  for (const { i, running } of items) {
    const id = i[1];
    const b = el("button", { textContent: running ? "cancel" : "delete", title: running ? "Stop this prompt" : "Remove from queue" });
    b.onclick = () => act.cancel(id, running);
    const li = el("li", {}, el("span", { className: "label", textContent: `${running ? "▶ " : ""}#${i[0]} ${id.slice(0, 8)}` }), b);
    li.dataset.promptId = id;
    ul.append(li);
  }
}

export function renderHistory(h: Record<string, HistoryEntry>, act: QueueActions) {
  const ul = $("history-list");
  ul.replaceChildren();
  const ids = Object.keys(h).reverse();
  if (!ids.length) ul.append(el("li", { className: "empty" }, el("span", { className: "label", textContent: "empty" })));
  for (const id of ids) {
    const e = h[id];
    const ok = e.status?.status_str !== "error";
    const img = Object.values(e.outputs ?? {}).flatMap((o) => o.images ?? [])[0];
    const li = el("li", { className: ok ? "ok" : "error" });
    li.dataset.promptId = id;
    if (img) li.append(el("img", { src: act.viewUrl(img), alt: img.filename, loading: "lazy" }));
    li.append(el("span", { className: "label", textContent: `${ok ? "" : "✗ "}#${e.prompt?.[0] ?? "?"} ${id.slice(0, 8)}` }));
    const load = el("button", { textContent: "load", title: "Open this run's workflow" });
    load.onclick = () => act.loadHistory(id);
    const del = el("button", { textContent: "delete", title: "Remove from history" });
    del.onclick = () => act.deleteHistory(id);
    li.append(load, del);
    ul.append(li);
  }
}

/** Adds output images to the gallery, newest first. */
export function addToGallery(urls: { url: string; name: string }[]) {
  const g = $("gallery");
  for (const { url, name } of urls) {
    const a = el("a", { href: url, target: "_blank", title: name }, el("img", { src: url, alt: name }));
    g.prepend(a);
  }
  while (g.children.length > 60) g.lastElementChild!.remove();
}
