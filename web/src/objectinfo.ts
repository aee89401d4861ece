// Node definitions as served by GET /object_info, and the one rule that both
// the canvas and the UI->API converter must agree on: which inputs become
// widgets, in which order, and which widgets are UI-only. Keeping that rule in
// one place is what makes saved widgets_values line up with ComfyUI's.

export type InputSpec = [unknown] | [unknown, Record<string, unknown>];

export interface NodeDef {
  input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, unknown>;
  };
  input_order?: { required?: string[]; optional?: string[] };
  output: (string | string[])[];
  output_is_list?: boolean[];
  output_name?: string[];
  name: string;
  display_name?: string;
  description?: string;
  category?: string;
  output_node?: boolean;
  deprecated?: boolean;
  experimental?: boolean;
}

export type ObjectInfo = Record<string, NodeDef>;

/** Widget kinds the editor draws. control/filter/upload are UI-only. */
export type WidgetKind =
  | "INT"
  | "FLOAT"
  | "STRING"
  | "BOOLEAN"
  | "COMBO"
  | "control"
  | "filter"
  | "upload";

export interface WidgetSpec {
  name: string;
  kind: WidgetKind;
  options: Record<string, unknown>;
  /** Combo values (for COMBO), control choices (for control). */
  values?: string[];
  /** False for widgets that never reach the API prompt. */
  toApi: boolean;
}

export interface SocketSpec {
  name: string;
  type: string;
  optional: boolean;
}

export const CONTROL_VALUES = ["fixed", "increment", "decrement", "randomize"];
export const COMBO_CONTROL_VALUES = [...CONTROL_VALUES, "increment-wrap"];
export const WIDGET_TYPES = new Set(["INT", "FLOAT", "STRING", "BOOLEAN"]);

/** Inputs of a definition in declared order, required first. */
export function orderedInputs(def: NodeDef): { name: string; spec: InputSpec; optional: boolean }[] {
  const out: { name: string; spec: InputSpec; optional: boolean }[] = [];
  for (const cat of ["required", "optional"] as const) {
    const specs = def.input?.[cat] ?? {};
    const order = def.input_order?.[cat] ?? Object.keys(specs);
    const seen = new Set<string>();
    for (const name of [...order, ...Object.keys(specs)]) {
      if (seen.has(name) || !specs[name]) continue;
      seen.add(name);
      out.push({ name, spec: specs[name], optional: cat === "optional" });
    }
  }
  return out;
}

function specOptions(spec: InputSpec): Record<string, unknown> {
  const o = spec[1];
  return o && typeof o === "object" && !Array.isArray(o) ? o : {};
}

/** Combo choices of an input spec, or undefined when it is not a combo. */
export function comboValues(spec: InputSpec): string[] | undefined {
  const t = spec[0];
  if (Array.isArray(t)) return t.map(String);
  if (t === "COMBO") {
    const v = specOptions(spec).options;
    return Array.isArray(v) ? v.map(String) : [];
  }
  return undefined;
}

/** The widget kind an input spec gives, or undefined for a socket. */
export function widgetKind(spec: InputSpec): WidgetKind | undefined {
  if (specOptions(spec).forceInput) return undefined;
  if (comboValues(spec)) return "COMBO";
  const t = spec[0];
  return typeof t === "string" && WIDGET_TYPES.has(t) ? (t as WidgetKind) : undefined;
}

function wantsControl(name: string, spec: InputSpec, kind: WidgetKind): boolean {
  const o = specOptions(spec);
  if (o.control_after_generate) return kind === "INT" || kind === "COMBO";
  return kind === "INT" && (name === "seed" || name === "noise_seed");
}

/**
 * The widget list of a node class, in the order ComfyUI's frontend creates it,
 * which is the order of widgets_values in saved workflows.
 */
export function widgetSpecs(def: NodeDef): WidgetSpec[] {
  const out: WidgetSpec[] = [];
  for (const { name, spec } of orderedInputs(def)) {
    const kind = widgetKind(spec);
    if (!kind) continue;
    const options = specOptions(spec);
    out.push({ name, kind, options, values: comboValues(spec), toApi: true });
    if (wantsControl(name, spec, kind)) {
      const values = kind === "COMBO" ? COMBO_CONTROL_VALUES : CONTROL_VALUES;
      out.push({ name: "control_after_generate", kind: "control", options: {}, values, toApi: false });
      if (kind === "COMBO") {
        out.push({ name: "control_filter_list", kind: "filter", options: {}, toApi: false });
      }
    }
    if (options.image_upload) {
      out.push({ name: "upload", kind: "upload", options: {}, toApi: false });
    }
  }
  return out;
}

/** Input sockets of a node class (non-widget inputs), in declared order. */
export function socketSpecs(def: NodeDef): SocketSpec[] {
  const out: SocketSpec[] = [];
  for (const { name, spec, optional } of orderedInputs(def)) {
    if (widgetKind(spec)) continue;
    const t = spec[0];
    out.push({ name, type: Array.isArray(t) ? "COMBO" : String(t), optional });
  }
  return out;
}

/** Default value of a widget spec, following ComfyUI's frontend. */
export function widgetDefault(w: WidgetSpec): unknown {
  const d = w.options.default;
  switch (w.kind) {
    case "INT":
    case "FLOAT": {
      if (typeof d === "number") return d;
      const min = w.options.min;
      return typeof min === "number" && min > 0 ? min : 0;
    }
    case "STRING":
      return typeof d === "string" ? d : "";
    case "BOOLEAN":
      return typeof d === "boolean" ? d : false;
    case "COMBO":
      return d !== undefined && w.values?.includes(String(d)) ? d : (w.values?.[0] ?? "");
    case "control":
      return "randomize";
    case "filter":
      return "";
    case "upload":
      return "image";
  }
}

/** Output types of a definition as socket type strings. */
export function outputTypes(def: NodeDef): string[] {
  return (def.output ?? []).map((t) => (Array.isArray(t) ? "COMBO" : String(t)));
}

/** Node types that only live in the editor and never reach the server. */
export const VIRTUAL_TYPES = new Set(["PrimitiveNode", "Reroute", "Note", "MarkdownNote"]);
