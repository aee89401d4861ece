#!/usr/bin/env python3
"""Times ComfyUI API prompts against a running `sumi serve`, as a client sees them.

    tools/gpu-e2e.py URL WORKFLOW.api.json CKPT_NAME [WxH ...]

Queues the workflow (its CheckpointLoaderSimple set to CKPT_NAME, its
EmptyLatentImage to each size, a new seed each time) once cold, then three
times warm per size, one prompt at a time, and prints one JSON line: per
prompt the client's wall time from POST /prompt to the history entry, and
the server's own execution time (execution_start to execution_success
timestamps of the history entry). Warm runs re-run KSampler, VAEDecode and
SaveImage (PNG encoding included); the text encodings stay cached, as in
ComfyUI when only the seed changes. Standard library only, so it runs on
the device machine's Python as it is.
"""
import json
import os
import sys
import time
import urllib.request


def call(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read() or b"null")


def wait_up(base, seconds=120):
    """Waits for the server; SERVE_PID, if set, is its process (gone: give up)."""
    pid = os.environ.get("SERVE_PID")
    end = time.time() + seconds
    while time.time() < end:
        try:
            return call(base + "/system_stats")
        except OSError:
            if pid and not os.path.exists("/proc/" + pid):
                raise SystemExit("server exited before answering")
            time.sleep(0.2)
    raise SystemExit("server did not come up")


def nodes_of(prompt, cls):
    return [k for k, v in prompt.items() if v.get("class_type") == cls]


def run(base, prompt):
    t0 = time.time()
    pid = call(base + "/prompt", {"prompt": prompt, "client_id": "gpu-e2e"})["prompt_id"]
    while True:
        h = call(base + "/history/" + pid)
        if pid in h:
            break
        time.sleep(0.005)
    wall = time.time() - t0
    status = h[pid]["status"]
    msgs = {m[0]: m[1] for m in status.get("messages", [])}
    r = {"status": status.get("status_str"), "wall_s": round(wall, 4), "server_s": None}
    start, done = msgs.get("execution_start", {}), msgs.get("execution_success", {})
    if start.get("timestamp") and done.get("timestamp"):
        r["server_s"] = (done["timestamp"] - start["timestamp"]) / 1000
    if "execution_error" in msgs:
        r["error"] = msgs["execution_error"].get("exception_message")
    return r


def main():
    base, wf, ckpt = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in (sys.argv[4:] or ["1024x1024"])]
    prompt = json.load(open(wf))
    for k in nodes_of(prompt, "CheckpointLoaderSimple"):
        prompt[k]["inputs"]["ckpt_name"] = ckpt
    stats = wait_up(base)
    out = {"system": stats.get("system", {}), "devices": stats.get("devices", []), "runs": []}
    seed = 1
    for i, (w, h) in enumerate(sizes):
        for k in nodes_of(prompt, "EmptyLatentImage"):
            prompt[k]["inputs"].update(width=w, height=h)
        for rep in range(4 if i == 0 else 3):
            for k in nodes_of(prompt, "KSampler"):
                prompt[k]["inputs"]["seed"] = seed
            seed += 1
            r = run(base, prompt)
            r.update(resolution=f"{w}x{h}", warm=not (i == 0 and rep == 0))
            out["runs"].append(r)
            print(json.dumps(r), file=sys.stderr, flush=True)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
