// Editor-only node types ComfyUI workflows use: Reroute, PrimitiveNode, Note
// and MarkdownNote. They are never sent to the server; the converter folds
// their effect into the nodes they feed.

import { LGraphNode, LiteGraph, LLink } from "@comfyorg/litegraph";
import type { ISerialisedNode } from "@comfyorg/litegraph/dist/types/serialisation";
import type { IBaseWidget } from "@comfyorg/litegraph/dist/types/widgets";
import { ComfyNode, addSpecWidget, drawRunState } from "./nodes";
import { WidgetSpec, widgetSpecs } from "./objectinfo";
import { addMultilineWidget } from "./textwidget";

type W = IBaseWidget & { value: unknown; options: Record<string, unknown>; controls?: W };
const INPUT = 1;

class NoteNode extends LGraphNode {
  isVirtualNode = true;
  constructor(title: string) {
    super(title);
    this.serialize_widgets = true;
    this.color = "#432";
    this.bgcolor = "#653";
    addMultilineWidget(this, "text", "");
    this.size = [400, 160];
  }
  onRemoved() {
    for (const w of this.widgets ?? []) (w as { onRemove?: () => void }).onRemove?.();
  }
}

class RerouteNode extends LGraphNode {
  isVirtualNode = true;
  constructor(title: string) {
    super(title);
    this.addInput("", "*");
    this.addOutput("", "*");
    this.properties = { showOutputText: false, horizontal: false };
    this.size = [75, 26];
  }
  onDrawForeground(ctx: CanvasRenderingContext2D) {
    drawRunState(this, ctx);
  }

  onConnectionsChange() {
    // The output takes the type of whatever feeds the input, so links
    // leaving the reroute stay typed.
    const link = this.getInputLink(0);
    const t = link ? String(link.type) : "*";
    if (this.outputs[0] && this.outputs[0].type !== t) this.outputs[0].type = t;
  }
}

/** A widget value that feeds widget inputs of other nodes. */
export class PrimitiveNode extends LGraphNode {
  isVirtualNode = true;
  private pending?: unknown[];

  constructor(title: string) {
    super(title);
    this.serialize_widgets = true;
    this.addOutput("connect to widget input", "*");
  }

  onConfigure(info: ISerialisedNode) {
    this.pending = Array.isArray(info.widgets_values) ? [...info.widgets_values] : undefined;
  }

  serialize(): ISerialisedNode {
    const o = super.serialize();
    if (!this.widgets?.length && this.pending) o.widgets_values = [...this.pending] as never;
    return o;
  }

  /** Builds the widgets from the first widget input this node feeds. */
  setupFromTargets() {
    if (this.widgets?.length) return;
    const t = this.firstTarget();
    if (!t) return;
    const spec = t.spec;
    const out = this.outputs[0];
    out.type = spec.kind === "COMBO" ? "COMBO" : spec.kind;
    out.name = spec.name;
    (out as { widget?: { name: string } }).widget = { name: spec.name };
    const w = addSpecWidget(this, spec, (v) => this.push(v));
    w.name = spec.name;
    w.value = (this.pending?.[0] ?? t.value) as never;
    const wantsControl = spec.kind === "INT" || spec.kind === "FLOAT" || spec.kind === "COMBO";
    if (wantsControl) {
      const c = addSpecWidget(this, {
        name: "control_after_generate",
        kind: "control",
        options: {},
        values: spec.kind === "COMBO" ? ["fixed", "increment", "decrement", "randomize", "increment-wrap"] : ["fixed", "increment", "decrement", "randomize"],
        toApi: false,
      }) as W;
      c.controls = w;
      c.value = (this.pending?.[1] as string) ?? "fixed";
      if (spec.kind === "COMBO") addSpecWidget(this, { name: "control_filter_list", kind: "filter", options: {}, toApi: false }).value = this.pending?.[2] ?? "";
    }
    this.pending = undefined;
    if (!this.title || this.title === "Primitive") this.title = spec.name;
    const size = this.computeSize();
    this.size = [Math.max(this.size[0], size[0]), Math.max(this.size[1], size[1])];
    this.push(w.value);
  }

  private firstTarget(): { spec: WidgetSpec; value: unknown } | undefined {
    for (const id of this.outputs[0]?.links ?? []) {
      const link = this.graph?.links.get(id) as LLink | undefined;
      if (!link) continue;
      const node = this.graph?.getNodeById(link.target_id);
      const input = node?.inputs[link.target_slot];
      if (!(node instanceof ComfyNode) || !input?.widget) continue;
      const def = (node.constructor as typeof ComfyNode).def;
      const spec = widgetSpecs(def).find((s) => s.name === input.widget!.name);
      const w = node.widgets?.find((x) => x.name === input.widget!.name);
      if (spec) return { spec, value: w?.value };
    }
    return undefined;
  }

  /** Copies the value into every widget this node feeds. */
  push(v: unknown = this.widgets?.[0]?.value) {
    for (const id of this.outputs[0]?.links ?? []) {
      const link = this.graph?.links.get(id) as LLink | undefined;
      const node = link && this.graph?.getNodeById(link.target_id);
      const input = node && node.inputs[link!.target_slot];
      const w = input?.widget && node!.widgets?.find((x) => x.name === input.widget!.name);
      if (w) w.value = v as never;
    }
  }

  onConnectOutput(_slot: number, _type: unknown, input: unknown) {
    return !!(input as { widget?: unknown } | undefined)?.widget;
  }

  onConnectionsChange(type: unknown) {
    if (type === INPUT) return;
    if (!this.graph) return;
    if (!(this.outputs[0]?.links?.length ?? 0)) {
      if (this.widgets) for (const w of [...this.widgets]) this.removeWidget(w);
      this.outputs[0].type = "*";
      this.outputs[0].name = "connect to widget input";
      delete (this.outputs[0] as { widget?: unknown }).widget;
      return;
    }
    queueMicrotask(() => this.setupFromTargets());
  }
}

/** Registers the editor-only node types. */
export function registerVirtualNodes() {
  const reg = (name: string, cls: unknown, title: string) => {
    const c = cls as { title: string; category: string };
    c.title = title;
    c.category = "utils";
    LiteGraph.registerNodeType(name, cls as never);
  };
  reg("Note", class extends NoteNode {}, "Note");
  reg("MarkdownNote", class extends NoteNode {}, "Markdown Note");
  reg("Reroute", RerouteNode, "Reroute");
  reg("PrimitiveNode", PrimitiveNode, "Primitive");
}
