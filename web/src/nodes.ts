// Canvas node classes: one litegraph node type per /object_info class, plus
// ComfyUI's editor-only nodes (Reroute, PrimitiveNode, Note, MarkdownNote).

import { LGraphNode, LiteGraph } from "@comfyorg/litegraph";
import type { IBaseWidget } from "@comfyorg/litegraph/dist/types/widgets";
import type { ISerialisedNode } from "@comfyorg/litegraph/dist/types/serialisation";
import {
  NodeDef,
  ObjectInfo,
  WidgetSpec,
  outputTypes,
  socketSpecs,
  widgetDefault,
  widgetSpecs,
  CONTROL_VALUES,
} from "./objectinfo";
import { addMultilineWidget } from "./textwidget";

/** Editor state a node draws from (execution highlight, errors, images). */
export interface NodeRunState {
  executing?: boolean;
  error?: string;
  images?: string[];
}

/** Things nodes ask the page for. */
export interface NodeHost {
  upload(file: File): Promise<string>;
  imageUrl(name: string, type: string): string;
  changed(): void;
}

// EmptyLatentImage's size presets; the server sends them with its example
// workflows (GET /sumi/workflows), so they are set before nodes are made.
let latentPresets: [number, number][] = [];

/** Sets the [width, height] presets new EmptyLatentImage nodes offer. */
export function setLatentPresets(list: [number, number][]) {
  latentPresets = list.filter((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && x > 0));
}

let host: NodeHost | undefined;
export function setNodeHost(h: NodeHost) {
  host = h;
}

const imageCache = new Map<string, HTMLImageElement>();
function cachedImage(url: string, node: LGraphNode): HTMLImageElement | undefined {
  if (typeof Image === "undefined") return undefined;
  let img = imageCache.get(url);
  if (!img) {
    img = new Image();
    img.onload = () => node.setDirtyCanvas(true, false);
    img.src = url;
    imageCache.set(url, img);
    if (imageCache.size > 200) imageCache.delete(imageCache.keys().next().value!);
  }
  return img.complete && img.naturalWidth > 0 ? img : undefined;
}

type W = IBaseWidget & { value: unknown; options: Record<string, unknown> };

function roundTo(v: number, step: number, min: number): number {
  if (!(step > 0)) return v;
  const r = Math.round((v - min) / step) * step + min;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(r.toFixed(Math.min(decimals, 12)));
}

/** Adds the widget for one spec and returns it. */
export function addSpecWidget(node: LGraphNode, s: WidgetSpec, onChange?: (v: unknown) => void): W {
  const def = widgetDefault(s);
  const cb = (v: unknown) => onChange?.(v);
  switch (s.kind) {
    case "INT": {
      const step = typeof s.options.step === "number" && s.options.step > 0 ? s.options.step : 1;
      const min = num(s.options.min, -Number.MAX_SAFE_INTEGER);
      const max = num(s.options.max, Number.MAX_SAFE_INTEGER);
      const w = node.addWidget("number", s.name, def as number, () => {}, {
        min,
        max,
        step2: step,
        precision: 0,
      }) as W;
      w.callback = (v: unknown) => {
        w.value = Math.min(max, Math.max(min, roundTo(Number(v), step, min > -Number.MAX_SAFE_INTEGER ? min : 0)));
        cb(w.value);
      };
      return w;
    }
    case "FLOAT": {
      const round = typeof s.options.round === "number" ? s.options.round : undefined;
      const step = typeof s.options.step === "number" && s.options.step > 0 ? s.options.step : 0.1;
      const precision = Math.max(0, Math.min(6, Math.ceil(-Math.log10(round ?? step) - 1e-9)));
      const min = num(s.options.min, -Infinity);
      const max = num(s.options.max, Infinity);
      const w = node.addWidget("number", s.name, def as number, () => {}, { min, max, step2: step, precision }) as W;
      w.callback = (v: unknown) => {
        let x = Number(v);
        if (round) x = roundTo(x, round, 0);
        w.value = Math.min(max, Math.max(min, x));
        cb(w.value);
      };
      return w;
    }
    case "STRING":
      if (s.options.multiline) return addMultilineWidget(node, s.name, def as string, cb) as unknown as W;
      return node.addWidget("text", s.name, def as string, cb, {}) as W;
    case "BOOLEAN":
      return node.addWidget("toggle", s.name, def as boolean, cb, {
        on: (s.options.label_on as string) ?? "true",
        off: (s.options.label_off as string) ?? "false",
      }) as W;
    case "COMBO":
    case "control":
      return node.addWidget("combo", s.name, def as string, cb, { values: s.values ?? [] }) as W;
    case "filter":
      return node.addWidget("text", s.name, "", cb, {}) as W;
    case "upload": {
      const w = node.addWidget("button", "choose file to upload", "image", () => pickAndUpload(node), {}) as W;
      w.name = "upload";
      w.label = "choose file to upload";
      w.value = "image";
      return w;
    }
  }
}

function num(v: unknown, d: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : d;
}

function pickAndUpload(node: LGraphNode) {
  if (!host) return;
  const input = document.createElement("input");
  input.type = "file";
  input.accept = "image/png,image/jpeg,image/webp";
  input.onchange = async () => {
    const f = input.files?.[0];
    if (!f || !host) return;
    const name = await host.upload(f);
    const w = node.widgets?.find((x) => x.name === "image") as W | undefined;
    if (w) {
      const values = w.options.values as string[];
      if (!values.includes(name)) values.push(name);
      w.value = name;
      host.changed();
      node.setDirtyCanvas(true, true);
    }
  };
  input.click();
}

/** Base class of every node that mirrors an /object_info class. */
export class ComfyNode extends LGraphNode {
  static def: NodeDef;
  runState: NodeRunState = {};
  comfyClass: string;

  constructor(title: string) {
    super(title);
    const def = (this.constructor as typeof ComfyNode).def;
    this.comfyClass = def.name;
    this.serialize_widgets = true;
    for (const s of socketSpecs(def)) {
      const slot = this.addInput(s.name, s.type);
      if (s.optional) (slot as unknown as { shape: number }).shape = 7;
    }
    const outs = outputTypes(def);
    outs.forEach((t, i) => {
      const o = this.addOutput(def.output_name?.[i] ?? t, t);
      if (def.output_is_list?.[i]) (o as unknown as { shape: number }).shape = 6;
    });
    for (const s of widgetSpecs(def)) {
      const w = addSpecWidget(this, s);
      if (s.kind === "control") {
        const owner = this.widgets![this.widgets!.length - 2] as W;
        owner.linkedWidgets = [w];
        (w as W & { controls?: W }).controls = owner;
        w.value = "randomize";
      }
      if (s.toApi) this.addInput(s.name, s.kind === "COMBO" ? "COMBO" : s.kind).widget = { name: s.name };
    }
    if (def.name === "EmptyLatentImage" && latentPresets.length) addPresetWidget(this, latentPresets);
    this.properties["Node name for S&R"] = def.name;
    const size = this.computeSize();
    this.size = [Math.max(size[0], 240), size[1]];
  }

  /** Serialise widgets_values densely: UI-only preset widgets are skipped. */
  serialize(): ISerialisedNode {
    const o = super.serialize();
    if (this.widgets) o.widgets_values = this.widgets.filter((w) => w.serialize !== false).map((w) => w.value as never);
    return o;
  }

  onConfigure(info: ISerialisedNode) {
    // Files from older frontends carry only the linked widget inputs; the
    // canvas wants a socket for each widget so any widget can take a link.
    const def = (this.constructor as typeof ComfyNode).def;
    for (const s of widgetSpecs(def)) {
      if (!s.toApi || this.inputs.some((i) => i.widget?.name === s.name)) continue;
      this.addInput(s.name, s.kind === "COMBO" ? "COMBO" : s.kind).widget = { name: s.name };
    }
    void info;
  }

  onRemoved() {
    for (const w of this.widgets ?? []) (w as { onRemove?: () => void }).onRemove?.();
  }

  onDrawForeground(ctx: CanvasRenderingContext2D) {
    drawRunState(this, ctx);
  }
}

function addPresetWidget(node: LGraphNode, presets: [number, number][]) {
  const labels = ["custom", ...presets.map(([w, h]) => `${w} x ${h}`)];
  const w = node.addWidget("combo", "preset", "custom", (v: unknown) => {
    const p = presets[labels.indexOf(String(v)) - 1];
    if (!p) return;
    const ww = node.widgets!.find((x) => x.name === "width") as W;
    const hh = node.widgets!.find((x) => x.name === "height") as W;
    ww.value = p[0];
    hh.value = p[1];
    host?.changed();
  }, { values: labels }) as W;
  w.serialize = false;
  w.tooltip = "Animagine XL 4.0 recommended resolutions";
}

/** Draws the executing outline, error outline, progress and images. */
export function drawRunState(node: LGraphNode & { runState?: NodeRunState }, ctx: CanvasRenderingContext2D) {
  const [w, h] = node.size;
  const th = LiteGraph.NODE_TITLE_HEIGHT;
  if (node.mode === 2 || node.mode === 4) {
    // Muted nodes are greyed out, bypassed ones tinted purple, as in ComfyUI.
    ctx.save();
    ctx.fillStyle = node.mode === 4 ? "rgba(160, 60, 200, 0.35)" : "rgba(20, 20, 20, 0.55)";
    ctx.fillRect(0, -th, w, h + th);
    ctx.restore();
  }
  const st = node.runState;
  if (!st) return;
  if (st.images?.length && host) {
    const bottom = lastWidgetBottom(node);
    const img = cachedImage(st.images[st.images.length - 1], node);
    const avail = h - bottom - 6;
    if (img && avail > 20) {
      const s = Math.min((w - 10) / img.naturalWidth, avail / img.naturalHeight);
      const iw = img.naturalWidth * s,
        ih = img.naturalHeight * s;
      ctx.drawImage(img, (w - iw) / 2, bottom + (avail - ih) / 2, iw, ih);
    }
  }
  if (st.executing || st.error) {
    ctx.save();
    ctx.lineWidth = 3;
    ctx.strokeStyle = st.error ? "#f33" : "#3d3";
    ctx.strokeRect(-3, -th - 3, w + 6, h + th + 6);
    ctx.restore();
  }
  if (st.error) {
    ctx.save();
    ctx.fillStyle = "#f66";
    ctx.font = "12px sans-serif";
    const lines = st.error.split("\n").slice(0, 4);
    lines.forEach((l, i) => ctx.fillText(l.slice(0, 80), 0, h + 16 + i * 14));
    ctx.restore();
  }
}

function lastWidgetBottom(node: LGraphNode): number {
  let b = 0;
  for (const w of node.widgets ?? []) {
    b = Math.max(b, (w.y ?? 0) + ((w as { computedHeight?: number }).computedHeight ?? LiteGraph.NODE_WIDGET_HEIGHT + 4));
  }
  return b;
}

/** Registers (or refreshes) one node type per definition. */
export function registerComfyNodes(defs: ObjectInfo) {
  for (const [name, def] of Object.entries(defs)) {
    if (!def || typeof def !== "object" || !def.input) continue;
    const cls = class extends ComfyNode {};
    cls.def = def;
    Object.defineProperty(cls, "name", { value: name.replace(/[^A-Za-z0-9_]/g, "_") });
    const c = cls as unknown as { title: string; comfyClass: string; category: string; description: string };
    c.title = def.display_name || name;
    c.comfyClass = name;
    c.category = def.category ?? "";
    c.description = def.description ?? "";
    LiteGraph.registerNodeType(name, cls as never);
  }
}

/** Updates combo choices of existing nodes after /object_info was fetched again. */
export function refreshCombos(nodes: LGraphNode[], defs: ObjectInfo) {
  for (const n of nodes) {
    const def = defs[n.type ?? ""];
    if (!def) continue;
    (n.constructor as typeof ComfyNode).def = def;
    for (const s of widgetSpecs(def)) {
      if (s.kind !== "COMBO") continue;
      const w = n.widgets?.find((x) => x.name === s.name) as W | undefined;
      if (w) w.options.values = s.values ?? [];
    }
  }
}

/** Applies control_after_generate to every control widget of the given nodes. */
export function applyControlAfterGenerate(nodes: LGraphNode[]) {
  for (const n of nodes) {
    if (n.mode === 2 || n.mode === 4) continue;
    for (const w of (n.widgets ?? []) as (W & { controls?: W })[]) {
      if (w.name !== "control_after_generate" || !w.controls) continue;
      const target = w.controls;
      if (n.getSlotFromWidget?.(target)?.link != null) continue;
      const nv = nextValue(target, String(w.value), filterFor(n, w));
      if (nv !== undefined && nv !== target.value) {
        target.value = nv as never;
        target.callback?.(nv);
      }
    }
  }
}

function filterFor(n: LGraphNode, control: W): string {
  const ws = n.widgets ?? [];
  const f = ws[ws.indexOf(control) + 1] as W | undefined;
  return f?.name === "control_filter_list" ? String(f.value ?? "") : "";
}

const MAX_RANDOM_SEED = 1125899906842624;

/** The value after one queue for a control mode (fixed/increment/decrement/randomize). */
export function nextValue(target: W, mode: string, filter = ""): unknown {
  if (target.type === "combo") {
    let values = (target.options.values as string[]) ?? [];
    if (filter) {
      let re: RegExp | undefined;
      try {
        re = new RegExp(filter.replace(/^\/|\/$/g, ""));
      } catch {
        re = undefined;
      }
      values = values.filter((v) => (re ? re.test(v) : v.includes(filter)));
    }
    if (!values.length) return undefined;
    const i = values.indexOf(String(target.value));
    switch (mode) {
      case "increment":
        return values[Math.min(values.length - 1, i + 1)];
      case "increment-wrap":
        return values[(i + 1) % values.length];
      case "decrement":
        return values[Math.max(0, i - 1)];
      case "randomize":
        return values[Math.floor(Math.random() * values.length)];
    }
    return undefined;
  }
  const v = Number(target.value);
  const step = Number(target.options.step2) || 1;
  const min = Number(target.options.min ?? 0);
  const max = Math.min(Number(target.options.max ?? MAX_RANDOM_SEED), MAX_RANDOM_SEED);
  switch (mode) {
    case "increment":
      return Math.min(max, v + step);
    case "decrement":
      return Math.max(min, v - step);
    case "randomize": {
      const range = (max - min) / step;
      return Math.floor(Math.random() * (range + 1)) * step + min;
    }
  }
  return undefined;
}

export { CONTROL_VALUES };
