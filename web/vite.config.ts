import { defineConfig } from "vite";

// Relative asset paths so the page also works behind a sub-path proxy.
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    assetsInlineLimit: 0,
    rolldownOptions: {
      // litegraph's number widget evaluates typed arithmetic on purpose.
      onLog(level, log, handler) {
        if (log.code === "EVAL") return;
        handler(level, log);
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8188", ws: true },
      "/ws": { target: "ws://127.0.0.1:8188", ws: true },
    },
  },
});
