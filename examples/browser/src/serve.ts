/**
 * Serves dist/site on http://127.0.0.1:$PORT (default 8080) — a real origin, which WebGPU needs.
 * `npm run build` first; then `npm start -w @flatfit/example-browser` and open the printed address.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

const SITE = path.resolve(__dirname, "..", "site");
const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json", ".map": "application/json" };

/** Starts the server; resolves to its address. */
export function serveSite(port = Number(process.env.PORT ?? 8080), host = process.env.HOST ?? "127.0.0.1"): Promise<{ url: string; close(): void }> {
  if (!existsSync(path.join(SITE, "index.html"))) throw new Error(`no site in ${SITE}: run npm run build first`);
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/+/, "") || "index.html";
    const file = path.join(SITE, path.normalize(name));
    if (!file.startsWith(SITE + path.sep) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: p } = server.address() as AddressInfo;
      resolve({ url: `http://${host}:${p}/`, close: () => server.close() });
    });
  });
}

if (require.main === module) {
  serveSite().then(
    ({ url }) => console.log(`flatfit browser example: open ${url} (Ctrl-C to stop)`),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
