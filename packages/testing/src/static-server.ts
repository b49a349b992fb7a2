/** A static server on 127.0.0.1 and a free port, for pages the tests build in memory (WebGPU wants a real origin). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json", ".css": "text/css", ".png": "image/png", ".bin": "application/octet-stream" };

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `files` (path → content); "/" is "/index.html". */
export async function serveStatic(files: Record<string, string | Buffer>): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const body = files[path === "/" ? "/index.html" : path];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const ext = path === "/" ? ".html" : path.slice(path.lastIndexOf("."));
    res.writeHead(200, { "content-type": TYPES[ext] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
