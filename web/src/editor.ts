// The graph on the canvas: load (UI, API, PNG-derived), save, conversion to
// an API prompt, undo/redo by snapshots, and node lookup for run state.

import { LGraph, LGraphCanvas, LGraphNode, LiteGraph, type Subgraph } from "@comfyorg/litegraph";
import { apiToWorkflow } from "./apiimport";
import { graphToPrompt } from "./convert";
import { ComfyNode, refreshCombos } from "./nodes";
import { ObjectInfo, VIRTUAL_TYPES } from "./objectinfo";
import { TextOverlay, setTextOverlay } from "./textwidget";
import { isSubgraphInstance, registerSubgraphType } from "./subgraphs";
import { PrimitiveNode } from "./virtual";
import { ApiPrompt, UIWorkflow, WorkflowError, isApiPrompt, isUIWorkflow, normalizeWorkflow } from "./workflow";

export interface LoadResult {
  missing: string[];
}

const UNDO_LIMIT = 60;

/** Owns the LGraph and its canvas. */
export class Editor {
  readonly graph: LGraph;
  readonly canvas: LGraphCanvas;
  defs: ObjectInfo;
  private undoStack: string[] = [];
  private redoStack: string[] = [];
  private last = "";
  private restoring = false;
  // Subgraph definitions as loaded: the view inside a subgraph is
  // read-only, so these are what save() writes back.
  private definitions?: UIWorkflow["definitions"];
  private overlay: TextOverlay;
  // The subgraphs opened from the workflow down to the one on the canvas.
  private path: Subgraph[] = [];
  /** Called with the names of the opened subgraphs (outermost first; empty at the workflow). */
  onViewChange?: (path: string[]) => void;

  constructor(canvasEl: HTMLCanvasElement, defs: ObjectInfo) {
    this.defs = defs;
    this.graph = new LGraph();
    this.canvas = new LGraphCanvas(canvasEl, this.graph);
    const overlay = new TextOverlay(canvasEl);
    this.overlay = overlay;
    setTextOverlay(overlay);
    const draw = this.canvas.draw.bind(this.canvas);
    // Only frames that redraw the nodes say which textareas are visible.
    this.canvas.draw = (fg?: boolean, bg?: boolean) => {
      // Holding space clears read_only on release; inside a subgraph it must stay.
      if (this.canvas.subgraph) this.canvas.read_only = true;
      const redraw = !!fg || this.canvas.dirty_canvas;
      if (redraw) overlay.beginFrame();
      draw(fg, bg);
      if (redraw) overlay.endFrame();
    };
    this.canvas.show_info = false;
    this.canvas.render_canvas_border = false;
    this.canvas.low_quality_zoom_threshold = 0.35;
    // Subgraphs are not converted to prompts yet, so do not offer them.
    const noSubgraph = <T>(items: T[]) =>
      items.filter((i) => !(i && typeof i === "object" && /Subgraph/.test(String((i as { content?: unknown }).content))));
    const canvasMenu = this.canvas.getCanvasMenuOptions.bind(this.canvas);
    this.canvas.getCanvasMenuOptions = () => noSubgraph(canvasMenu());
    const nodeMenu = this.canvas.getNodeMenuOptions.bind(this.canvas);
    this.canvas.getNodeMenuOptions = (node) => [
      ...(isSubgraphInstance(node) ? [{ content: "Open subgraph (read-only)", callback: () => this.openSubgraph(node.subgraph) }, null] : []),
      { content: node.mode === 4 ? "Stop bypassing (Ctrl+B)" : "Bypass (Ctrl+B)", callback: () => this.toggleMode([node], 4) },
      { content: node.mode === 2 ? "Unmute (Ctrl+M)" : "Mute (Ctrl+M)", callback: () => this.toggleMode([node], 2) },
      null,
      ...noSubgraph(nodeMenu(node)),
    ] as ReturnType<typeof nodeMenu>;
    LiteGraph.release_link_on_empty_shows_menu = true;
    LiteGraph.alt_drag_do_clone_nodes = true;
    this.graph.events.addEventListener("subgraph-created", (e) => registerSubgraphType(this.graph, e.detail.subgraph));
    canvasEl.addEventListener("litegraph:set-graph", () => this.viewChanged());
    // Inside a subgraph only viewing keys reach the canvas; Escape goes back.
    document.addEventListener(
      "keydown",
      (e) => {
        const t = e.target as HTMLElement | null;
        if (!this.canvas.subgraph || t?.localName === "input" || t?.localName === "textarea") return;
        if (e.key === "Escape") {
          e.preventDefault();
          this.closeSubgraph(false);
        } else if (e.ctrlKey || e.metaKey || e.key === "Delete" || e.key === "Backspace") {
          // Not for the canvas; and no browser default either (Ctrl+A would
          // select the page). The page's own shortcuts still run.
          e.stopPropagation();
          e.preventDefault();
        }
      },
      true,
    );
    // The read-only canvas ignores clicks on nodes, so nested instances
    // are opened from here.
    canvasEl.addEventListener("dblclick", (e) => {
      const c = this.canvas;
      if (!c.subgraph || !c.graph) return;
      const [x, y] = c.convertEventToCanvasOffset(e);
      const node = c.graph.getNodeOnPos(x, y);
      if (isSubgraphInstance(node)) this.openSubgraph(node.subgraph);
    });
  }

  /** The subgraph shown on the canvas, if the view is inside one. */
  viewing(): Subgraph | undefined {
    return this.canvas.subgraph;
  }

  /** Shows a subgraph's inner nodes (read-only). */
  openSubgraph(sg: Subgraph) {
    this.canvas.openSubgraph(sg);
  }

  /** Returns the view to the workflow itself, or (all = false) one level up. */
  closeSubgraph(all = true) {
    if (!this.canvas.subgraph) return;
    this.canvas.setGraph((!all && this.path.at(-2)) || this.graph);
  }

  private viewChanged() {
    const sg = this.canvas.subgraph;
    const at = sg ? this.path.indexOf(sg) : -1;
    if (!sg) this.path = [];
    else if (at >= 0) this.path.length = at + 1;
    else this.path.push(sg);
    this.canvas.read_only = !!sg;
    this.overlay.setReadOnly(!!sg);
    if (sg) {
      const th = LiteGraph.NODE_TITLE_HEIGHT;
      const rects: ArrayLike<number>[] = sg.nodes.map((n) => [n.pos[0], n.pos[1] - th, n.size[0], n.size[1] + th]);
      this.fitRects([...rects, sg.inputNode.boundingRect, sg.outputNode.boundingRect]);
    }
    this.canvas.setDirty(true, true);
    this.onViewChange?.(this.path.map((g) => g.name || "subgraph"));
  }

  /**
   * Loads a UI workflow or an API prompt. An example (one of the server's
   * /sumi/workflows) names models that may not be installed: its unknown
   * combo values become the first installed choice, and it is framed in
   * the view whatever view it was saved with.
   */
  load(data: unknown, opts: { example?: boolean } = {}): LoadResult {
    let wf: UIWorkflow;
    if (isApiPrompt(data)) wf = apiToWorkflow(data, this.defs);
    else if (isUIWorkflow(data)) wf = normalizeWorkflow(data);
    else throw new WorkflowError("file holds neither a UI workflow nor an API prompt");
    const subgraphIds = new Set(((wf.definitions?.subgraphs ?? []) as { id?: string }[]).map((d) => d.id));
    const missing = [
      ...new Set(wf.nodes.map((n) => n.type).filter((t) => !VIRTUAL_TYPES.has(t) && !this.defs[t] && !subgraphIds.has(t))),
    ];
    this.closeSubgraph();
    this.definitions = wf.definitions;
    this.restoring = true;
    try {
      this.graph.configure(wf as never);
      for (const n of this.graph.nodes) if (n instanceof PrimitiveNode) n.setupFromTargets();
      this.growToContent();
      if (opts.example) this.pickInstalledChoices();
      const ds = (wf.extra as { ds?: { scale: number; offset: [number, number] } } | undefined)?.ds;
      if (!opts.example && ds && Array.isArray(ds.offset)) {
        this.canvas.ds.scale = ds.scale;
        this.canvas.ds.offset = [ds.offset[0], ds.offset[1]];
      } else {
        this.fitView();
      }
    } finally {
      this.restoring = false;
    }
    this.canvas.setDirty(true, true);
    this.resetHistory();
    return { missing };
  }

  /** Frames every node of the workflow in the view. */
  fitView() {
    this.fitRects(this.graph.nodes.map((n) => [n.pos[0], n.pos[1] - LiteGraph.NODE_TITLE_HEIGHT, n.size[0], n.size[1] + LiteGraph.NODE_TITLE_HEIGHT]));
  }

  private fitRects(rects: ArrayLike<number>[]) {
    if (!rects.length) return;
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -Infinity,
      y1 = -Infinity;
    for (const r of rects) {
      x0 = Math.min(x0, r[0]);
      y0 = Math.min(y0, r[1]);
      x1 = Math.max(x1, r[0] + r[2]);
      y1 = Math.max(y1, r[1] + r[3]);
    }
    // A lone small node should not fill the screen at several times its size.
    const w = Math.max(x1 - x0 + 80, 900),
      h = Math.max(y1 - y0 + 80, 500);
    this.canvas.ds.fitToBounds([(x0 + x1 - w) / 2, (y0 + y1 - h) / 2, w, h], { zoom: 0.9 });
    this.canvas.setDirty(true, true);
  }

  // Files written by hand or by other tools may give nodes less room than
  // their widgets need; like ComfyUI, grow them (never shrink) on load.
  private growToContent() {
    for (const n of this.comfyNodes()) {
      if (n.flags.collapsed) continue;
      const min = n.computeSize();
      if (min[0] > n.size[0] || min[1] > n.size[1]) n.setSize([Math.max(n.size[0], min[0]), Math.max(n.size[1], min[1])]);
    }
  }

  // Like ComfyUI, take the first installed choice for any unknown combo value.
  private pickInstalledChoices() {
    for (const n of this.graph.nodes) {
      for (const w of n.widgets ?? []) {
        if (w.type !== "combo" || w.name === "control_after_generate" || w.name === "preset") continue;
        const values = (w.options as { values?: unknown }).values;
        if (Array.isArray(values) && values.length && !values.includes(w.value)) w.value = values[0];
      }
    }
  }

  /** The workflow as saved: UI format 0.4, unconnected widget sockets left out. */
  save(): UIWorkflow {
    for (const n of this.graph.nodes) if (n instanceof PrimitiveNode) n.push();
    const wf = JSON.parse(JSON.stringify(this.graph.serialize())) as UIWorkflow;
    const loaded = new Map(((this.definitions?.subgraphs ?? []) as { id?: string }[]).map((d) => [d.id, d]));
    const used = (wf.definitions?.subgraphs ?? []) as { id?: string }[];
    if (used.length) {
      // Subgraphs are viewed read-only: write back what was loaded, not the
      // canvas's re-serialisation (new ones, e.g. from a clone, as they are).
      wf.definitions = { ...wf.definitions, subgraphs: used.map((d) => structuredClone(loaded.get(d.id) ?? d)) };
    } else if (loaded.size && wf.nodes.some((n) => loaded.has(n.type))) {
      // Instances the canvas could not build (broken definitions) keep theirs.
      wf.definitions = structuredClone(this.definitions);
    }
    return compactWidgetInputs(wf);
  }

  /** The API prompt the Queue button sends for the current graph. */
  toPrompt(wf: UIWorkflow = this.save()): ApiPrompt {
    return graphToPrompt(wf, this.defs);
  }

  /** New node definitions (combo choices refresh). */
  setDefs(defs: ObjectInfo) {
    this.defs = defs;
    refreshCombos(this.graph.nodes, defs);
    this.canvas.setDirty(true, true);
  }

  nodeById(id: string | number): LGraphNode | undefined {
    return this.graph.getNodeById(Number(id)) ?? this.graph.getNodeById(id as never) ?? undefined;
  }

  /** Adds a node of the given type in the middle of the view and selects it. */
  addNode(type: string): LGraphNode | undefined {
    this.closeSubgraph();
    const node = LiteGraph.createNode(type);
    if (!node) return undefined;
    const c = this.canvas;
    const el = c.canvas;
    const [x, y] = c.ds.convertCanvasToOffset([el.clientWidth / 2, el.clientHeight / 2]);
    node.pos = [x - node.size[0] / 2, y - node.size[1] / 2];
    this.graph.add(node);
    c.selectItems([node]);
    this.checkpoint();
    return node;
  }

  /** Toggles mute (2) or bypass (4) on nodes; the selection when none given. */
  toggleMode(nodes?: LGraphNode[], mode = 4) {
    if (this.canvas.subgraph) return;
    const list = nodes ?? [...this.canvas.selectedItems].filter((i): i is LGraphNode => i instanceof LGraphNode);
    if (!list.length) return;
    const on = list.some((n) => n.mode !== mode);
    for (const n of list) n.mode = on ? mode : 0;
    this.checkpoint();
    this.canvas.setDirty(true, true);
  }

  /** Every node that mirrors a server class. */
  comfyNodes(): ComfyNode[] {
    return this.graph.nodes.filter((n): n is ComfyNode => n instanceof ComfyNode);
  }

  // Undo works on whole-graph snapshots taken after each user action,
  // compared without the view (panning is not an edit).
  private snapshot(): string {
    const wf = this.graph.serialize() as unknown as UIWorkflow;
    const extra = { ...(wf.extra ?? {}) };
    delete extra.ds;
    return JSON.stringify({ ...wf, extra });
  }

  resetHistory() {
    this.undoStack = [];
    this.redoStack = [];
    this.last = this.snapshot();
  }

  /** Records the current state if it differs from the last one. */
  checkpoint() {
    if (this.restoring) return;
    const s = this.snapshot();
    if (s === this.last) return;
    this.undoStack.push(this.last);
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    this.redoStack = [];
    this.last = s;
  }

  undo(): boolean {
    this.checkpoint();
    const prev = this.undoStack.pop();
    if (prev === undefined) return false;
    this.redoStack.push(this.last);
    this.restore(prev);
    return true;
  }

  redo(): boolean {
    const next = this.redoStack.pop();
    if (next === undefined) return false;
    this.undoStack.push(this.last);
    this.restore(next);
    return true;
  }

  private restore(s: string) {
    this.closeSubgraph();
    this.restoring = true;
    try {
      this.graph.configure(JSON.parse(s));
      for (const n of this.graph.nodes) if (n instanceof PrimitiveNode) n.setupFromTargets();
    } finally {
      this.restoring = false;
    }
    this.last = s;
    this.canvas.setDirty(true, true);
  }
}

/**
 * Drops widget sockets that carry no link (the canvas adds one per widget)
 * and renumbers target_slot of the remaining links, so the file looks like
 * what ComfyUI saves and older versions read it unchanged.
 */
export function compactWidgetInputs(wf: UIWorkflow): UIWorkflow {
  const slotOf = new Map<number, number>();
  for (const n of wf.nodes) {
    if (!n.inputs) continue;
    n.inputs = n.inputs.filter((i) => !i.widget || i.link != null);
    n.inputs.forEach((i, idx) => {
      if (i.link != null) slotOf.set(i.link, idx);
    });
    if (n.inputs.length === 0 && !VIRTUAL_TYPES.has(n.type)) delete n.inputs;
  }
  wf.links = (wf.links ?? []).map((l) => {
    if (Array.isArray(l)) {
      const s = slotOf.get(Number(l[0]));
      return s === undefined ? l : [l[0], l[1], l[2], l[3], s, l[5]];
    }
    return l;
  });
  return wf;
}
