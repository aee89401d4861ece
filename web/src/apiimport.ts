// API prompt -> UI workflow (spec/workflow-format.md §7): one node per
// entry, widget values by name, links from [id, slot] inputs, and a simple
// left-to-right layout by depth.

import { ObjectInfo, outputTypes, socketSpecs, widgetDefault, widgetSpecs } from "./objectinfo";
import { ApiPrompt, UINode, UISlot, UIWorkflow, WorkflowError } from "./workflow";

function isLink(v: unknown): v is [string | number, number] {
  return Array.isArray(v) && v.length === 2 && typeof v[1] === "number";
}

function unwrap(v: unknown): unknown {
  if (v && typeof v === "object" && !Array.isArray(v) && "__value__" in v) return (v as { __value__: unknown }).__value__;
  return v;
}

// Longest path from a source, so every node sits right of its inputs.
function depths(prompt: ApiPrompt): Map<string, number> {
  const d = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    if (d.has(id)) return d.get(id)!;
    if (visiting.has(id) || !prompt[id]) return 0;
    visiting.add(id);
    let depth = 0;
    for (const v of Object.values(prompt[id].inputs ?? {})) {
      if (isLink(v) && prompt[String(v[0])]) depth = Math.max(depth, visit(String(v[0])) + 1);
    }
    visiting.delete(id);
    d.set(id, depth);
    return depth;
  };
  for (const id of Object.keys(prompt)) visit(id);
  return d;
}

/** Builds a UI workflow from an API prompt. Control widgets are set to "fixed" so the prompt reproduces. */
export function apiToWorkflow(prompt: ApiPrompt, defs: ObjectInfo): UIWorkflow {
  const keys = Object.keys(prompt);
  if (!keys.length) throw new WorkflowError("empty API prompt");
  const idOf = new Map<string, number>();
  let next = Math.max(0, ...keys.map(Number).filter((n) => Number.isInteger(n) && n > 0)) + 1;
  for (const k of keys) {
    const n = Number(k);
    idOf.set(k, Number.isInteger(n) && n > 0 ? n : next++);
  }
  const nodes: UINode[] = [];
  const nodeByKey = new Map<string, UINode>();
  for (const k of keys) {
    const p = prompt[k];
    const def = defs[p.class_type];
    const node: UINode = {
      id: idOf.get(k)!,
      type: p.class_type,
      pos: [0, 0],
      size: [320, 120],
      flags: {},
      order: 0,
      mode: 0,
      inputs: [],
      outputs: [],
      properties: { "Node name for S&R": p.class_type },
    };
    if (p._meta?.title) node.title = p._meta.title;
    if (def) {
      node.inputs = socketSpecs(def).map((s) => ({ name: s.name, type: s.type, link: null }));
      node.outputs = outputTypes(def).map((t, i) => ({ name: def.output_name?.[i] ?? t, type: t, links: [] }));
      node.widgets_values = widgetSpecs(def).map((s) => {
        if (s.kind === "control") return "fixed";
        const v = p.inputs?.[s.name];
        return s.toApi && v !== undefined && !isLink(v) ? unwrap(v) : widgetDefault(s);
      });
    }
    nodes.push(node);
    nodeByKey.set(k, node);
  }
  const links: unknown[] = [];
  let linkId = 0;
  for (const k of keys) {
    const target = nodeByKey.get(k)!;
    for (const [name, v] of Object.entries(prompt[k].inputs ?? {})) {
      if (!isLink(v)) continue;
      const origin = nodeByKey.get(String(v[0]));
      if (!origin) continue;
      const slot = v[1];
      while ((origin.outputs!.length ?? 0) <= slot) origin.outputs!.push({ name: `out${origin.outputs!.length}`, type: "*", links: [] });
      const out = origin.outputs![slot];
      let idx = target.inputs!.findIndex((i) => i.name === name);
      if (idx < 0) {
        const def = defs[target.type];
        const isWidget = def && widgetSpecs(def).some((s) => s.name === name);
        const entry: UISlot = { name, type: out.type, link: null };
        if (isWidget) entry.widget = { name };
        target.inputs!.push(entry);
        idx = target.inputs!.length - 1;
      }
      const id = ++linkId;
      target.inputs![idx].link = id;
      (out.links ??= []).push(id);
      links.push([id, origin.id, slot, target.id, idx, out.type]);
    }
  }
  layout(nodes, keys, depths(prompt));
  return {
    last_node_id: Math.max(...nodes.map((n) => Number(n.id))),
    last_link_id: linkId,
    nodes,
    links,
    groups: [],
    config: {},
    extra: {},
    version: 0.4,
  };
}

function layout(nodes: UINode[], keys: string[], depth: Map<string, number>) {
  const colY = new Map<number, number>();
  keys.forEach((k, i) => {
    const d = depth.get(k) ?? 0;
    const n = nodes[i];
    const widgets = Array.isArray(n.widgets_values) ? n.widgets_values.length : 0;
    const h = 60 + 24 * ((n.inputs?.length ?? 0) + widgets);
    const y = colY.get(d) ?? 40;
    n.pos = [40 + d * 380, y];
    n.size = [320, h];
    colY.set(d, y + h + 60);
  });
}
