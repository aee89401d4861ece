// UI workflow -> API prompt, following the rules of ComfyUI's frontend
// (spec/workflow-format.md §4-§5). Works on plain serialised JSON so that a
// saved file, a dropped PNG and the live canvas all go through one path.

import { ObjectInfo, VIRTUAL_TYPES, WidgetSpec, orderedInputs, widgetDefault, widgetKind, widgetSpecs } from "./objectinfo";
import {
  ApiPrompt,
  NodeId,
  UILink,
  UINode,
  UIWorkflow,
  WorkflowError,
  linkMap,
  normalizeWorkflow,
} from "./workflow";

const MUTED = 2;
const BYPASSED = 4;

/** Widget name -> value for one node, UI-only widgets included. */
export function namedWidgetValues(node: UINode, defs: ObjectInfo): Map<string, unknown> {
  const def = defs[node.type];
  const out = new Map<string, unknown>();
  if (!def) return out;
  const specs = widgetSpecs(def);
  const wv = node.widgets_values;
  if (wv && !Array.isArray(wv) && typeof wv === "object") {
    for (const s of specs) out.set(s.name, s.name in wv ? wv[s.name] : widgetDefault(s));
    return out;
  }
  const values = Array.isArray(wv) ? wv : [];
  const slots = alignValues(def, specs, values);
  specs.forEach((s, i) => out.set(s.name, slots[i] === undefined ? widgetDefault(s) : slots[i]));
  return out;
}

// Files from some frontends also stored values for forceInput inputs; when the
// count says so, drop those positions before assigning by position.
function alignValues(def: ObjectInfo[string], specs: WidgetSpec[], values: unknown[]): unknown[] {
  const forced: string[] = [];
  for (const { name, spec } of orderedInputs(def)) {
    const o = (spec[1] ?? {}) as Record<string, unknown>;
    if (o.forceInput && widgetKind([spec[0], {}])) forced.push(name);
  }
  if (forced.length === 0 || values.length !== specs.length + forced.length) return values;
  const order: (string | null)[] = [];
  let si = 0;
  for (const { name, spec } of orderedInputs(def)) {
    if (forced.includes(name)) order.push(null);
    else if (widgetKind(spec)) {
      order.push(specs[si].name);
      si++;
      while (si < specs.length && !specs[si].toApi) {
        order.push(specs[si].name);
        si++;
      }
    }
  }
  return values.filter((_, i) => order[i] !== null);
}

interface SubgraphDef {
  id: string;
  nodes?: UINode[];
  links?: unknown[];
  inputs?: { name: string }[];
  outputs?: { name: string }[];
}

// One graph level: the root, or the inside of one subgraph instance. Node ids
// inside instances become "instance:inner" paths, as ComfyUI's frontend sends.
interface Scope {
  nodes: Map<string, UINode>;
  links: Map<number, UILink>;
  prefix: string[];
  parent?: { scope: Scope; instance: UINode; def: SubgraphDef };
}

interface Ctx {
  defs: ObjectInfo;
  subgraphs: Map<string, SubgraphDef>;
}

const SUBGRAPH_INPUT = -10;
const SUBGRAPH_OUTPUT = -20;

function scopeOf(nodes: UINode[], links: unknown[] | undefined, prefix: string[], parent?: Scope["parent"]): Scope {
  return { nodes: new Map(nodes.map((n) => [String(n.id), n])), links: linkMap({ links }), prefix, parent };
}

function innerScope(ctx: Ctx, scope: Scope, instance: UINode): Scope | undefined {
  const def = ctx.subgraphs.get(instance.type);
  if (!def) return undefined;
  if (scope.prefix.length > 32) throw new WorkflowError("subgraphs nested too deep");
  return scopeOf(def.nodes ?? [], def.links, [...scope.prefix, String(instance.id)], { scope, instance, def });
}

function pathId(scope: Scope, id: unknown): string {
  return [...scope.prefix, String(id)].join(":");
}

type Resolved = { kind: "link"; id: string; slot: number } | { kind: "value"; value: unknown } | null;

function typesCompatible(a: unknown, b: unknown): boolean {
  const sa = String(a ?? ""),
    sb = String(b ?? "");
  if (sa === "" || sb === "" || sa === "*" || sb === "*" || sa === sb) return true;
  const la = sa.split(","),
    lb = new Set(sb.split(","));
  return la.some((t) => lb.has(t));
}

// Follows a link back through reroutes, primitives, bypassed nodes and
// subgraph boundaries to the real origin, as the frontend does when it
// builds the prompt.
function resolveLink(ctx: Ctx, scope: Scope, linkId: number, want: unknown, depth = 0): Resolved {
  if (depth > 1000) throw new WorkflowError("link cycle through reroutes, bypassed nodes or subgraphs");
  const link = scope.links.get(linkId);
  if (!link) return null;
  if (Number(link.origin_id) === SUBGRAPH_INPUT && scope.parent) {
    const { scope: outer, instance, def } = scope.parent;
    const name = def.inputs?.[link.origin_slot]?.name;
    const entry = instance.inputs?.find((i) => i.name === name) ?? instance.inputs?.[link.origin_slot];
    return entry?.link == null ? null : resolveLink(ctx, outer, entry.link, want, depth + 1);
  }
  const origin = scope.nodes.get(String(link.origin_id));
  if (!origin) return null;
  if (origin.mode === MUTED) return { kind: "link", id: pathId(scope, origin.id), slot: link.origin_slot };
  if (origin.type === "Reroute") {
    const l = origin.inputs?.[0]?.link;
    return l == null ? null : resolveLink(ctx, scope, l, want, depth + 1);
  }
  if (origin.type === "PrimitiveNode") {
    const wv = origin.widgets_values;
    return Array.isArray(wv) && wv.length > 0 ? { kind: "value", value: wv[0] } : null;
  }
  if (VIRTUAL_TYPES.has(origin.type)) return null;
  if (origin.mode === BYPASSED) {
    const input = pickBypassInput(origin, link.origin_slot, want);
    return input?.link == null ? null : resolveLink(ctx, scope, input.link, want, depth + 1);
  }
  const inner = ctx.subgraphs.has(origin.type) ? innerScope(ctx, scope, origin) : undefined;
  if (inner) {
    const out = [...inner.links.values()].find(
      (l) => Number(l.target_id) === SUBGRAPH_OUTPUT && l.target_slot === link.origin_slot,
    );
    return out ? resolveLink(ctx, inner, out.id, want, depth + 1) : null;
  }
  return { kind: "link", id: pathId(scope, origin.id), slot: link.origin_slot };
}

function pickBypassInput(node: UINode, k: number, want: unknown) {
  const inputs = node.inputs ?? [];
  const t = String(want ?? "");
  if (t === "" || t === "*") return inputs[k] ?? inputs[0];
  const outType = node.outputs?.[k]?.type;
  const ik = inputs[k];
  if (ik && typesCompatible(ik.type, outType) && typesCompatible(ik.type, t)) return ik;
  return inputs.find((i) => String(i.type) === t);
}

function wrap(v: unknown): unknown {
  return Array.isArray(v) ? { __value__: v } : v;
}

function convertNode(
  ctx: Ctx,
  scope: Scope,
  node: UINode,
  values: Map<string, unknown>,
  replace: (v: string) => string,
): ApiPrompt[string] {
  const def = ctx.defs[node.type];
  const inputs: Record<string, unknown> = {};
  if (def) {
    for (const s of widgetSpecs(def)) {
      if (!s.toApi) continue;
      const v = values.get(s.name);
      inputs[s.name] = wrap(s.name === "filename_prefix" && typeof v === "string" ? replace(v) : v);
    }
  }
  for (const entry of node.inputs ?? []) {
    if (entry.link == null) continue;
    const r = resolveLink(ctx, scope, entry.link, entry.type);
    if (r?.kind === "link") inputs[entry.name] = [r.id, r.slot];
    else if (r?.kind === "value" && entry.widget) inputs[entry.widget.name ?? entry.name] = wrap(r.value);
  }
  return { inputs, class_type: node.type, _meta: { title: node.title ?? def?.display_name ?? node.type } };
}

/** Options for graphToPrompt. */
export interface ConvertOptions {
  /** Clock used for %date:...% (tests pass a fixed one). */
  now?: Date;
}

/**
 * Converts a UI workflow to an API prompt. Node definitions name each
 * widget; nodes whose class is unknown are sent with their links only, so the
 * server reports them.
 */
export function graphToPrompt(input: UIWorkflow, defs: ObjectInfo, opts: ConvertOptions = {}): ApiPrompt {
  const wf = normalizeWorkflow(input);
  const subgraphs = new Map<string, SubgraphDef>();
  for (const sg of (wf.definitions?.subgraphs ?? []) as SubgraphDef[]) if (sg && typeof sg.id === "string") subgraphs.set(sg.id, sg);
  const ctx: Ctx = { defs, subgraphs };
  const named = new Map<string, Map<string, unknown>>();
  for (const n of wf.nodes) named.set(String(n.id), namedWidgetValues(n, defs));
  const out: ApiPrompt = {};
  const emit = (scope: Scope, nodes: UINode[]) => {
    for (const node of nodes) {
      if (VIRTUAL_TYPES.has(node.type) || node.mode === MUTED || node.mode === BYPASSED) continue;
      const inner = subgraphs.has(node.type) ? innerScope(ctx, scope, node) : undefined;
      if (inner) {
        emit(inner, [...inner.nodes.values()]);
        continue;
      }
      const id = pathId(scope, node.id);
      out[id] = convertNode(ctx, scope, node, scope.prefix.length ? namedWidgetValues(node, defs) : named.get(String(node.id))!, (v) =>
        applyTextReplacements(v, wf.nodes, named, opts.now),
      );
    }
  };
  emit(scopeOf(wf.nodes, wf.links, []), wf.nodes);
  for (const n of Object.values(out)) {
    for (const [k, v] of Object.entries(n.inputs)) {
      if (Array.isArray(v) && v.length === 2 && !(String(v[0]) in out)) delete n.inputs[k];
    }
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function formatDate(fmt: string, d: Date): string {
  const parts: Record<string, string> = {
    yyyy: String(d.getFullYear()),
    yy: pad(d.getFullYear() % 100, 2),
    MM: pad(d.getMonth() + 1, 2),
    M: String(d.getMonth() + 1),
    dd: pad(d.getDate(), 2),
    d: String(d.getDate()),
    hh: pad(d.getHours(), 2),
    h: String(d.getHours()),
    mm: pad(d.getMinutes(), 2),
    m: String(d.getMinutes()),
    ss: pad(d.getSeconds(), 2),
    s: String(d.getSeconds()),
  };
  return fmt.replace(/yyyy|yy|MM|M|dd|d|hh|h|mm|m|ss|s/g, (t) => parts[t]);
}

/** Frontend-side %date:FMT% and %Node.widget% replacements (spec §5.6). */
export function applyTextReplacements(
  text: string,
  nodes: UINode[],
  named: Map<string, Map<string, unknown>>,
  now = new Date(),
): string {
  return text.replace(/%([^%]+)%/g, (whole, body: string) => {
    if (body.startsWith("date:")) return formatDate(body.slice(5), now);
    const dot = body.lastIndexOf(".");
    if (dot <= 0) return whole;
    const nodeName = body.slice(0, dot),
      widget = body.slice(dot + 1);
    const node =
      nodes.find((n) => n.properties?.["Node name for S&R"] === nodeName) ?? nodes.find((n) => n.title === nodeName);
    const v = node ? named.get(String(node.id))?.get(widget) : undefined;
    if (v === undefined) return whole;
    return String(v).replace(/[/\\]/g, "_");
  });
}

/** Stable id comparison used when sorting node ids for display. */
export function compareIds(a: NodeId, b: NodeId): number {
  const na = Number(a),
    nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return String(a).localeCompare(String(b));
}
