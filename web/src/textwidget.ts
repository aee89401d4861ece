// Multiline STRING widgets: a real <textarea> laid over the canvas, as in
// ComfyUI, so prompts can be typed, selected and pasted like text anywhere.
// Canvas-drawn widgets cannot do that.

import type { LGraphNode } from "@comfyorg/litegraph";

/** Positions textareas over the canvas each frame and hides the ones not drawn. */
export class TextOverlay {
  readonly root: HTMLElement;
  private all = new Set<HTMLTextAreaElement>();
  private drawn = new Set<HTMLTextAreaElement>();
  private readOnly = false;

  constructor(private canvasEl: HTMLCanvasElement) {
    this.root = document.createElement("div");
    this.root.className = "text-overlay";
    canvasEl.parentElement!.appendChild(this.root);
  }

  add(el: HTMLTextAreaElement) {
    el.readOnly = this.readOnly;
    this.all.add(el);
    this.root.appendChild(el);
  }

  /** Makes every textarea read-only (inside a subgraph) or editable again. */
  setReadOnly(ro: boolean) {
    this.readOnly = ro;
    for (const el of this.all) el.readOnly = ro;
  }

  remove(el: HTMLTextAreaElement) {
    this.all.delete(el);
    el.remove();
  }

  beginFrame() {
    this.drawn.clear();
  }

  endFrame() {
    for (const el of this.all) {
      if (!this.drawn.has(el) || !el.isConnected) el.style.display = "none";
      if (!el.isConnected) this.all.delete(el);
    }
  }

  /** Places el over the rectangle (x, y, w, h) in the coordinates of ctx. */
  place(el: HTMLTextAreaElement, ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number) {
    const t = ctx.getTransform();
    const scaleCss = this.canvasEl.clientWidth / this.canvasEl.width || 1;
    const s = t.a * scaleCss;
    const left = (t.e + x * t.a) * scaleCss;
    const top = (t.f + y * t.d) * scaleCss;
    this.drawn.add(el);
    el.style.display = s < 0.35 ? "none" : "block";
    el.style.left = `${left}px`;
    el.style.top = `${top}px`;
    el.style.width = `${w}px`;
    el.style.height = `${h}px`;
    el.style.transform = `scale(${s})`;
  }
}

let overlay: TextOverlay | undefined;

/** Sets the overlay that multiline widgets attach to (once the canvas exists). */
export function setTextOverlay(o: TextOverlay) {
  overlay = o;
}

/** The overlay in use (undefined in tests without a page). */
export function textOverlay(): TextOverlay | undefined {
  return overlay;
}

export interface MultilineWidget {
  type: "customtext";
  name: string;
  value: string;
  options: Record<string, unknown>;
  y: number;
  element?: HTMLTextAreaElement;
  serialize?: boolean;
  draw(ctx: CanvasRenderingContext2D, node: LGraphNode, width: number, y: number, H: number): void;
  computeLayoutSize(): { minHeight: number; maxHeight?: number; minWidth: number };
  onRemove?(): void;
}

/** Adds a multiline text widget to node. */
export function addMultilineWidget(
  node: LGraphNode,
  name: string,
  initial: string,
  onChange?: (v: string) => void,
): MultilineWidget {
  let value = initial;
  let el: HTMLTextAreaElement | undefined;
  if (typeof document !== "undefined") {
    el = document.createElement("textarea");
    el.className = "node-textarea";
    el.spellcheck = false;
    el.placeholder = name;
    el.setAttribute("aria-label", name);
    el.value = value;
    el.addEventListener("input", () => {
      value = el!.value;
      onChange?.(value);
      node.graph?.change();
    });
    // Keys typed here belong to the text, not to canvas shortcuts.
    el.addEventListener("keydown", (e) => {
      if (!(e.ctrlKey && e.key === "Enter")) e.stopPropagation();
    });
  }
  const w: MultilineWidget = {
    type: "customtext",
    name,
    options: { multiline: true },
    y: 0,
    element: el,
    get value() {
      return value;
    },
    set value(v: string) {
      value = v == null ? "" : String(v);
      if (el && el.value !== value) el.value = value;
    },
    draw(ctx, node, width, y) {
      if (!el) return;
      const o = textOverlay();
      if (!o) return;
      if (!el.isConnected) o.add(el);
      const h = Math.max(20, (this as unknown as { computedHeight?: number }).computedHeight ?? 60) - 8;
      o.place(el, ctx, 10, y, width - 20, h);
      el.disabled = !!node.getSlotFromWidget(w as never)?.link;
    },
    computeLayoutSize() {
      return { minHeight: 60, minWidth: 200 };
    },
    onRemove() {
      if (el) textOverlay()?.remove(el);
    },
  };
  node.addCustomWidget(w as never);
  return w;
}
