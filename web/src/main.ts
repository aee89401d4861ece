// Page bootstrap: fetch node definitions, build the canvas, wire the toolbar,
// keyboard, drag-and-drop and the websocket to the editor.

import "@comfyorg/litegraph/style.css";
import "./style.css";
import { LGraphGroup } from "@comfyorg/litegraph";
import { Api, ApiError, ExampleList, ImageRef, WsMessage, parseBinaryFrame } from "./api";
import { Editor } from "./editor";
import { ComfyNode, applyControlAfterGenerate, registerComfyNodes, setLatentPresets, setNodeHost } from "./nodes";
import type { ObjectInfo } from "./objectinfo";
import { $, Progress, addToGallery, paletteEntries, renderHistory, renderPalette, renderQueue, toast, QueueActions } from "./panels";
import { readPngText } from "./pngmeta";
import { RunTracker } from "./run";
import { registerVirtualNodes, PrimitiveNode } from "./virtual";
import type { UIWorkflow } from "./workflow";

const FRONTEND_VERSION = "sumi-web 0.1.0";
const base = location.pathname.replace(/\/[^/]*$/, "");

async function boot() {
  const progress = new Progress();
  let editor: Editor;
  const tracker = new RunTracker({
    node: (id) => editor?.nodeById(id) as ComfyNode | undefined,
    progress,
    redraw: () => editor?.canvas.setDirty(true, true),
  });
  const api = new Api(base, {
    message: (m) => onMessage(m),
    preview: (blob, nodeId) => tracker.preview(blob, nodeId),
    connection: (open) => {
      const s = $("status");
      s.textContent = open ? "connected" : "disconnected — retrying";
      s.className = open ? "ok" : "bad";
    },
  });
  let defs: ObjectInfo;
  let examples: ExampleList | undefined;
  try {
    [defs, examples] = await Promise.all([
      api.objectInfo(),
      // A server without sumi's example route still gets a working editor.
      api.examples().catch((e: Error) => {
        toast(`No example workflows: ${e.message}`, "error", 10000);
        return undefined;
      }),
    ]);
  } catch (e) {
    $("status").textContent = "cannot reach the server";
    toast(`Could not load node definitions: ${(e as Error).message}`, "error", 20000);
    return;
  }
  setLatentPresets(examples?.resolutions ?? []);
  registerVirtualNodes();
  registerComfyNodes(defs);
  editor = new Editor($("graph-canvas") as HTMLCanvasElement, defs);
  editor.onViewChange = (path) => {
    $("subgraph-bar").hidden = path.length === 0;
    $("subgraph-name").textContent = path.join(" › ");
  };
  $("subgraph-back").onclick = () => {
    editor.closeSubgraph();
    editor.canvas.canvas.focus();
  };
  setNodeHost({
    upload: (f) => api.uploadImage(f),
    imageUrl: (name, type) => api.viewUrl({ filename: name, subfolder: "", type }),
    changed: () => editor.checkpoint(),
  });
  const resize = () => {
    const wrap = $("canvas-wrap");
    editor.canvas.resize(wrap.clientWidth, wrap.clientHeight);
  };
  new ResizeObserver(resize).observe($("canvas-wrap"));
  resize();
  const palette = () => renderPalette(paletteEntries(editor.defs), (t) => {
    const n = editor.addNode(t);
    if (n) editor.canvas.canvas.focus();
  });
  palette();

  const load = (data: unknown, example = false) => {
    try {
      const r = editor.load(data, { example });
      tracker.reset();
      if (r.missing.length) toast(`Node types this server does not have: ${r.missing.join(", ")}`, "error", 10000);
      return true;
    } catch (e) {
      toast(`Could not load workflow: ${(e as Error).message}`, "error");
      return false;
    }
  };
  const loadExample = async (file: string) => {
    let data: unknown;
    try {
      data = await api.example(file);
    } catch (e) {
      toast(`Could not load example ${file}: ${(e as Error).message}`, "error");
      return false;
    }
    return load(data, true);
  };
  const examplesMenu = $("examples-menu") as HTMLSelectElement;
  for (const w of examples?.workflows ?? []) {
    const o = document.createElement("option");
    o.value = w.ui;
    o.textContent = w.name.replace(/_/g, " ");
    examplesMenu.append(o);
  }
  examplesMenu.disabled = !examples?.workflows.length;
  examplesMenu.onchange = () => {
    const file = examplesMenu.value;
    examplesMenu.value = "";
    if (file) void loadExample(file);
  };
  const loadDefault = () => (examples ? loadExample(examples.default) : Promise.resolve(false));
  await loadDefault();

  // --- queueing -----------------------------------------------------------
  const promptSizes = new Map<string, number>();
  let queueing = false;
  const lastQueued: string[] = [];
  const queue = async (count?: number) => {
    if (queueing) return;
    queueing = true;
    lastQueued.length = 0;
    try {
      const n = count ?? Math.max(1, Math.min(100, Number(($("batch-count") as HTMLInputElement).value) || 1));
      tracker.clearErrors();
      for (let i = 0; i < n; i++) {
        const wf = editor.save();
        let prompt;
        try {
          prompt = editor.toPrompt(wf);
        } catch (e) {
          toast((e as Error).message, "error");
          return;
        }
        wf.extra = { ...(wf.extra ?? {}), frontendVersion: FRONTEND_VERSION };
        const r = await api.queuePrompt(prompt, wf);
        if (r.node_errors && Object.keys(r.node_errors).length) tracker.showNodeErrors(r.node_errors);
        if (r.error || !r.prompt_id) {
          const err = typeof r.error === "string" ? r.error : r.error ? `${r.error.message}${r.error.details ? `: ${r.error.details}` : ""}` : "no prompt id";
          toast(`Prompt rejected: ${err}`, "error", 10000);
          return;
        }
        lastQueued.push(r.prompt_id);
        promptSizes.set(r.prompt_id, Object.keys(prompt).length);
        tracker.expect(r.prompt_id, Object.keys(prompt).length);
        applyControlAfterGenerate(editor.graph.nodes);
        editor.canvas.setDirty(true, true);
      }
      editor.checkpoint();
    } catch (e) {
      toast(`Queue failed: ${(e as Error).message}`, "error");
    } finally {
      queueing = false;
      refreshLists();
    }
  };

  // --- queue / history panel ----------------------------------------------
  const actions: QueueActions = {
    cancel: async (id, running) => {
      await (running ? api.interrupt(id) : api.deleteQueued([id])).catch(report);
      refreshLists();
    },
    deleteHistory: async (id) => {
      await api.deleteHistory([id]).catch(report);
      refreshLists();
    },
    loadHistory: async (id) => {
      const h = await api.history(10000).catch(report);
      const item = h?.[id]?.prompt;
      const wf = (item?.[3] as { extra_pnginfo?: { workflow?: UIWorkflow } } | undefined)?.extra_pnginfo?.workflow;
      if (wf) load(wf);
      else if (item?.[2]) load(item[2]);
    },
    viewUrl: (img) => api.viewUrl(img),
  };
  let listTimer: number | undefined;
  const refreshLists = () => {
    clearTimeout(listTimer);
    listTimer = window.setTimeout(async () => {
      try {
        renderQueue(await api.queue(), actions);
        renderHistory(await api.history(50), actions);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
    }, 100);
  };
  const report = (e: Error) => {
    toast(e.message, "error");
    return undefined;
  };

  function onMessage(m: WsMessage) {
    const d = m.data ?? {};
    switch (m.type) {
      case "status":
        refreshLists();
        break;
      case "executed": {
        const out = d.output as { images?: ImageRef[] } | null;
        const imgs = (out?.images ?? []).map((img) => ({ url: api.viewUrl(img), name: img.filename }));
        if (imgs.length) addToGallery(imgs);
        tracker.executed(String(d.display_node ?? d.node), imgs.map((i) => i.url));
        break;
      }
      case "execution_error":
        toast(`${d.node_type ?? "node"} #${d.node_id}: ${String(d.exception_message ?? "").trim()}`, "error", 12000);
        tracker.message(m);
        refreshLists();
        break;
      case "execution_interrupted":
        toast("Run cancelled");
        tracker.message(m);
        refreshLists();
        break;
      case "execution_success":
        tracker.message(m);
        refreshLists();
        break;
      default:
        tracker.message(m);
    }
  }

  // --- files: open, save, drop ---------------------------------------------
  const openFile = async (f: File) => {
    try {
      const isPng = f.type === "image/png" || /\.png$/i.test(f.name);
      if (isPng) {
        const text = await readPngText(new Uint8Array(await f.arrayBuffer()));
        if (text.workflow) return load(JSON.parse(text.workflow));
        if (text.prompt) return load(JSON.parse(text.prompt));
        toast(`${f.name} holds no workflow`, "error");
        return false;
      }
      return load(JSON.parse(await f.text()));
    } catch (e) {
      toast(`Could not open ${f.name}: ${(e as Error).message}`, "error");
      return false;
    }
  };
  const download = (name: string, data: unknown) => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };
  const fileInput = $("file-input") as HTMLInputElement;
  fileInput.onchange = () => {
    const f = fileInput.files?.[0];
    if (f) void openFile(f);
    fileInput.value = "";
  };
  const save = () => download("workflow.json", editor.save());
  const saveApi = () => {
    try {
      download("workflow_api.json", editor.toPrompt());
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  const dropHint = $("drop-hint");
  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    dropHint.hidden = false;
  });
  document.addEventListener("dragleave", (e) => {
    if (!e.relatedTarget) dropHint.hidden = true;
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    dropHint.hidden = true;
    const f = e.dataTransfer?.files?.[0];
    if (f) void openFile(f);
  });

  // --- toolbar and keyboard ---------------------------------------------------
  const refreshDefs = async () => {
    try {
      const nd = await api.objectInfo();
      registerComfyNodes(nd);
      editor.setDefs(nd);
      palette();
      toast("Node definitions refreshed");
    } catch (e) {
      report(e as Error);
    }
  };
  const groupSelected = () => {
    if (editor.viewing()) return;
    const nodes = [...editor.canvas.selectedItems].filter((i) => "type" in i && "widgets" in i);
    if (!nodes.length) return;
    const g = new LGraphGroup("Group");
    editor.graph.add(g);
    g.resizeTo(nodes);
    editor.checkpoint();
    editor.canvas.setDirty(true, true);
  };
  $("queue-btn").onclick = () => void queue();
  $("interrupt-btn").onclick = () => void api.interrupt(tracker.runningId()).catch(report);
  $("load-btn").onclick = () => fileInput.click();
  $("save-btn").onclick = save;
  $("save-api-btn").onclick = saveApi;
  $("default-btn").onclick = () => void loadDefault();
  $("refresh-btn").onclick = () => void refreshDefs();
  $("undo-btn").onclick = () => editor.undo();
  $("redo-btn").onclick = () => editor.redo();
  $("clear-queue-btn").onclick = () => void api.clearQueue().then(refreshLists, report);
  $("clear-history-btn").onclick = () => void api.clearHistory().then(refreshLists, report);

  const typing = (t: EventTarget | null) => {
    const e = t as HTMLElement | null;
    return !!e && (e.localName === "input" || e.localName === "textarea" || e.isContentEditable);
  };
  document.addEventListener(
    "keydown",
    (e) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key === "Enter") {
        e.preventDefault();
        void queue();
      } else if (mod && e.key.toLowerCase() === "s") {
        e.preventDefault();
        save();
      } else if (mod && e.key.toLowerCase() === "o") {
        e.preventDefault();
        fileInput.click();
      } else if (typing(e.target)) {
        return;
      } else if (mod && e.key.toLowerCase() === "z") {
        e.preventDefault();
        if (e.shiftKey) editor.redo();
        else editor.undo();
      } else if (mod && e.key.toLowerCase() === "y") {
        e.preventDefault();
        editor.redo();
      } else if (mod && e.key.toLowerCase() === "b") {
        e.preventDefault();
        editor.toggleMode(undefined, 4);
      } else if (mod && e.key.toLowerCase() === "m") {
        e.preventDefault();
        editor.toggleMode(undefined, 2);
      } else if (mod && e.key.toLowerCase() === "g") {
        e.preventDefault();
        groupSelected();
      } else if (!mod && !e.altKey && e.key.toLowerCase() === "r") {
        void refreshDefs();
      }
    },
    true,
  );
  // Snapshots for undo after every pointer or key action on the canvas.
  const later = () => setTimeout(() => editor.checkpoint(), 0);
  editor.canvas.canvas.addEventListener("pointerup", later);
  document.addEventListener("keyup", later);
  let textTimer: number | undefined;
  document.addEventListener("input", (e) => {
    if ((e.target as HTMLElement).classList?.contains("node-textarea")) {
      clearTimeout(textTimer);
      textTimer = window.setTimeout(() => editor.checkpoint(), 400);
    }
  });

  await api.connect();
  refreshLists();

  // Hooks for the end-to-end test and for scripting from the console.
  (window as unknown as { sumi: unknown }).sumi = {
    editor,
    api,
    load,
    loadExample,
    examples,
    save: () => editor.save(),
    toPrompt: (wf?: UIWorkflow) => editor.toPrompt(wf),
    queue,
    progressLog: progress.log,
    /** Prompt ids of the last press of Queue (one per batch item). */
    lastQueued,
    /** Registers definitions for classes this server lacks (round-trip tests). */
    addNodeDefs(extra: ObjectInfo) {
      const add: ObjectInfo = {};
      for (const [k, v] of Object.entries(extra)) if (!editor.defs[k]) add[k] = v;
      registerComfyNodes(add);
      editor.defs = { ...editor.defs, ...add };
      return Object.keys(add);
    },
    /** Ids of the nodes drawn with the executing outline right now. */
    executing: () => editor.comfyNodes().filter((n) => n.runState.executing).map((n) => String(n.id)),
    primitives: () => editor.graph.nodes.filter((n) => n instanceof PrimitiveNode).length,
    applyControls: () => applyControlAfterGenerate(editor.graph.nodes),
    parseBinaryFrame,
    preview: (blob: Blob, nodeId?: string) => tracker.preview(blob, nodeId),
  };
  document.body.dataset.ready = "true";
}

void boot();
