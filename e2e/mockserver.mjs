// A stand-in ComfyUI server for working on the editor without sumi: serves
// web/dist, the recorded /object_info, and fakes a run (with progress, a
// preview frame and an output image) for every queued prompt.
// Usage: node e2e/mockserver.mjs [port]   (development only; tests use sumi serve)

import { createHash } from "node:crypto";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "web/dist");
const objectInfo = readFileSync(join(root, "testdata/protocol/object_info.json"));
const png = readFileSync(join(root, "testdata/workflows/comfy_examples_img2img.png"));
const port = Number(process.argv[2] ?? 8189);
// sumi's example workflows, default and resolutions, read from package
// workflows (its Go source is the one list of them).
const wfDir = join(root, "workflows");
const wfGo = readFileSync(join(wfDir, "workflows.go"), "utf8");
const examples = {
  default: /DefaultUI = "([^"]+)"/.exec(wfGo)[1],
  workflows: readdirSync(wfDir).filter((f) => f.endsWith(".api.json")).sort().map((f) => {
    const name = f.slice(0, -".api.json".length);
    return { name, ui: `${name}.ui.json`, api: f };
  }),
  resolutions: [...wfGo.slice(wfGo.indexOf("var Resolutions")).matchAll(/\{(\d+), (\d+)\}/g)].map((m) => [Number(m[1]), Number(m[2])]),
};
const sockets = new Map();
const history = {};
let number = 0;

function frame(payload, opcode) {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 255]) : Buffer.alloc(10);
  if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}
const send = (sock, type, data) => sock?.write(frame(Buffer.from(JSON.stringify({ type, data })), 1));
const sendBin = (sock, buf) => sock?.write(frame(buf, 2));

async function run(id, prompt, clientId) {
  const s = sockets.get(clientId);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  send(s, "execution_start", { prompt_id: id });
  send(s, "execution_cached", { nodes: [], prompt_id: id });
  const outputs = {};
  for (const [nid, n] of Object.entries(prompt)) {
    send(s, "executing", { node: nid, display_node: nid, prompt_id: id });
    for (let v = 1; v <= 4; v++) {
      await sleep(60);
      send(s, "progress", { value: v, max: 4, node: nid, prompt_id: id });
    }
    if (n.class_type === "KSampler") {
      const h = Buffer.alloc(8);
      h.writeUInt32BE(1, 0);
      h.writeUInt32BE(2, 4);
      sendBin(s, Buffer.concat([h, png]));
    }
    if (n.class_type === "SaveImage" || n.class_type === "PreviewImage") {
      const output = { images: [{ filename: "mock.png", subfolder: "", type: "output" }] };
      outputs[nid] = output;
      send(s, "executed", { node: nid, display_node: nid, output, prompt_id: id });
    }
  }
  send(s, "execution_success", { prompt_id: id });
  history[id] = { prompt: [0, id, prompt, { client_id: clientId }, []], outputs, status: { status_str: "success", completed: true, messages: [] } };
  send(s, "status", { status: { exec_info: { queue_remaining: 0 } } });
  send(s, "executing", { node: null, prompt_id: id });
}

const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  const p = url.pathname.replace(/^\/api\//, "/");
  const json = (v, code = 200) => {
    res.writeHead(code, { "Content-Type": "application/json" });
    res.end(JSON.stringify(v));
  };
  if (p === "/object_info") return res.end(objectInfo);
  if (p === "/sumi/workflows") return json(examples);
  if (p.startsWith("/sumi/workflows/")) {
    const f = examples.workflows.flatMap((w) => [w.ui, w.api]).find((n) => p === `/sumi/workflows/${n}`);
    if (f) return res.writeHead(200, { "Content-Type": "application/json" }), res.end(readFileSync(join(wfDir, f)));
  }
  if (p === "/queue" && req.method === "GET") return json({ queue_running: [], queue_pending: [] });
  if (p === "/history" && req.method === "GET") return json(history);
  if (p === "/view") return res.writeHead(200, { "Content-Type": "image/png" }), res.end(png);
  if (p === "/prompt" && req.method === "POST") {
    let body = "";
    for await (const c of req) body += c;
    const b = JSON.parse(body);
    const bad = Object.entries(b.prompt).find(([, n]) => n.class_type === "EmptyImage" && n.inputs.width < 1);
    if (bad) {
      const e = { type: "value_smaller_than_min", message: "Value 0 smaller than min of 1", details: "width", extra_info: {} };
      return json({ error: { type: "prompt_outputs_failed_validation", message: "Prompt outputs failed validation", details: "", extra_info: {} },
        node_errors: { [bad[0]]: { errors: [e], dependent_outputs: [], class_type: "EmptyImage" } } }, 400);
    }
    const id = crypto.randomUUID();
    json({ prompt_id: id, number: number++, node_errors: {} });
    setTimeout(() => run(id, b.prompt, b.client_id), 20);
    return;
  }
  if (req.method === "POST") return res.end();
  const file = join(dist, url.pathname === "/" ? "index.html" : url.pathname);
  if (file.startsWith(dist) && existsSync(file)) {
    res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" });
    return res.end(readFileSync(file));
  }
  res.writeHead(404).end();
});
server.on("upgrade", (req, sock) => {
  const key = req.headers["sec-websocket-key"];
  const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const sid = new URL(req.url, "http://x").searchParams.get("clientId") || crypto.randomUUID().replace(/-/g, "");
  sockets.set(sid, sock);
  send(sock, "status", { status: { exec_info: { queue_remaining: 0 } }, sid });
  sock.on("data", () => {});
  sock.on("error", () => sockets.delete(sid));
  sock.on("close", () => sockets.delete(sid));
});
server.listen(port, "127.0.0.1", () => console.log(`mock server on http://127.0.0.1:${port}/`));
