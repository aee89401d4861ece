// Plain-data views of the two workflow formats (UI "workflow" and API
// "prompt") and the normalisation every loader applies before use.

export type NodeId = number | string;

export interface UISlot {
  name: string;
  type: unknown;
  link?: number | null;
  links?: number[] | null;
  widget?: { name: string; config?: unknown };
  slot_index?: number;
  [k: string]: unknown;
}

export interface UINode {
  id: NodeId;
  type: string;
  pos?: unknown;
  size?: unknown;
  mode?: number;
  title?: string;
  inputs?: UISlot[];
  outputs?: UISlot[];
  properties?: Record<string, unknown>;
  widgets_values?: unknown[] | Record<string, unknown>;
  [k: string]: unknown;
}

export interface UILink {
  id: number;
  origin_id: NodeId;
  origin_slot: number;
  target_id: NodeId;
  target_slot: number;
  type: unknown;
}

export interface UIWorkflow {
  nodes: UINode[];
  links?: unknown[];
  version?: number;
  extra?: Record<string, unknown>;
  definitions?: { subgraphs?: unknown[] };
  [k: string]: unknown;
}

export type ApiInput = unknown;
export interface ApiNode {
  class_type: string;
  inputs: Record<string, ApiInput>;
  _meta?: { title?: string };
}
export type ApiPrompt = Record<string, ApiNode>;

/** Error for input that is not a workflow we can read. */
export class WorkflowError extends Error {
  constructor(message: string) {
    super("workflow: " + message);
    this.name = "WorkflowError";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True when every value of the object is a node with a class_type (API format). */
export function isApiPrompt(v: unknown): v is ApiPrompt {
  if (!isObject(v)) return false;
  const vals = Object.values(v);
  return vals.length > 0 && vals.every((n) => isObject(n) && typeof n.class_type === "string");
}

/** True when the value looks like a UI workflow. */
export function isUIWorkflow(v: unknown): v is UIWorkflow {
  return isObject(v) && Array.isArray(v.nodes);
}

function num(v: unknown): number {
  const n = typeof v === "string" ? Number(v) : (v as number);
  return Number.isFinite(n) ? n : NaN;
}

/** Links of a 0.4 (arrays) or 1 (objects) workflow, keyed by id. */
export function linkMap(wf: { links?: unknown[] }): Map<number, UILink> {
  const out = new Map<number, UILink>();
  for (const l of wf.links ?? []) {
    let link: UILink | undefined;
    if (Array.isArray(l) && l.length >= 5) {
      link = {
        id: num(l[0]),
        origin_id: l[1] as NodeId,
        origin_slot: num(l[2]),
        target_id: l[3] as NodeId,
        target_slot: num(l[4]),
        type: l[5],
      };
    } else if (isObject(l)) {
      link = {
        id: num(l.id),
        origin_id: l.origin_id as NodeId,
        origin_slot: num(l.origin_slot),
        target_id: l.target_id as NodeId,
        target_slot: num(l.target_slot),
        type: l.type,
      };
    }
    if (link && Number.isFinite(link.id)) out.set(link.id, link);
  }
  return out;
}

function fixSize(v: unknown): unknown {
  if (isObject(v) && "0" in v && "1" in v) return [num(v["0"]), num(v["1"])];
  return v;
}

/**
 * Returns a deep copy of a UI workflow with the legacy fixes ComfyUI's frontend
 * applies on load: object-shaped sizes/positions become arrays, seed control
 * values true/false become randomize/fixed, "sample_" sampler prefixes go.
 */
export function normalizeWorkflow(input: unknown): UIWorkflow {
  if (!isUIWorkflow(input)) throw new WorkflowError("not a UI workflow (no nodes array)");
  const wf = structuredClone(input) as UIWorkflow;
  for (const n of wf.nodes) {
    if (!isObject(n)) throw new WorkflowError("node is not an object");
    if (typeof n.type !== "string") n.type = String(n.type ?? "");
    n.size = fixSize(n.size);
    n.pos = fixSize(n.pos);
    const wv = n.widgets_values;
    if (Array.isArray(wv) && ["KSampler", "KSamplerAdvanced", "PrimitiveNode"].includes(n.type)) {
      for (let i = 0; i < wv.length; i++) {
        if (isControlSlot(n.type, i, wv)) {
          if (wv[i] === true) wv[i] = "randomize";
          else if (wv[i] === false) wv[i] = "fixed";
        }
        if (typeof wv[i] === "string" && (wv[i] as string).startsWith("sample_") && n.type !== "PrimitiveNode")
          wv[i] = (wv[i] as string).slice("sample_".length);
      }
    }
  }
  return wf;
}

// false is a real BOOLEAN value elsewhere; only the control slot is rewritten.
function isControlSlot(type: string, i: number, wv: unknown[]): boolean {
  if (type === "KSampler") return i === 1;
  if (type === "KSamplerAdvanced") return i === 2;
  return i === 1 && typeof wv[0] === "number";
}
