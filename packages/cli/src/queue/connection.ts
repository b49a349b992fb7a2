/**
 * Where the queue lives: `--queue redis://[:password@]host:port[/db]` (or rediss:// for TLS, or
 * $FLATFIT_QUEUE). Parses and checks the URL, opens ioredis connections for BullMQ, and redacts
 * the password from every text that leaves the process (one helper: `redact`).
 */
import type { Redis, RedisOptions } from "ioredis";
import { UsageError } from "../commands/train";

export const QUEUE_ENV = "FLATFIT_QUEUE";
/** The BullMQ queue every flatfit worker takes trials from, and the prefix of flatfit's own keys. */
export const QUEUE_NAME = "flatfit-trials";
export const KEY_PREFIX = "flatfit";

export interface QueueTarget {
  /** The URL as given (with its password): only for connecting, never for printing. */
  url: string;
  /** The URL with the password replaced by "***": for every message. */
  shown: string;
  options: RedisOptions;
}

const secrets = new Set<string>();

/** `text` with every Redis password this process has seen (and any user:password@ of a URL) replaced by "***". */
export function redact(text: string): string {
  let out = text.replace(/(rediss?:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@");
  for (const s of secrets) if (s) out = out.split(s).join("***");
  return out;
}

const ACCEPTED = "accepted: redis://[:password@]host:port[/db] or rediss://… (TLS)";

/** The queue URL of `--queue` or $FLATFIT_QUEUE; undefined when neither is given (embedded mode). */
export function queueUrlFrom(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = option ?? env[QUEUE_ENV];
  return v === undefined || v === "" ? undefined : v;
}

/** Checks a queue URL and turns it into ioredis options; a bad one is a UsageError naming the part. */
export function parseQueueUrl(url: string, source = "--queue"): QueueTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`${source}: not a URL (${redact(url.replace(/:[^@/]*@/, ":***@"))}); ${ACCEPTED}`);
  }
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  if (password) secrets.add(password), secrets.add(u.password);
  const shown = redact(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new UsageError(`${source}: scheme "${u.protocol.replace(/:$/, "")}" in ${shown}; ${ACCEPTED}`);
  if (!u.hostname) throw new UsageError(`${source}: no host in ${shown}; ${ACCEPTED}`);
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`${source}: database "${dbText}" in ${shown} is not an integer ≥ 0; ${ACCEPTED}`);
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(password ? { password } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    // BullMQ's workers block on Redis: commands wait for a reconnect instead of failing (a Redis restart is survived).
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
  return { url, shown, options };
}

/** A new ioredis connection; the first connect must succeed within `timeoutMs`, later drops are reconnected. */
export async function connect(target: QueueTarget, timeoutMs = 10_000): Promise<Redis> {
  const { Redis } = await import("ioredis"); // loaded only in queue mode
  const redis = new Redis({ ...target.options, lazyConnect: true });
  let lastError = "";
  let lastCode = "";
  redis.on("error", (err: Error & { code?: string }) => ((lastError = err.message), (lastCode = err.code ?? "")));
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s${lastError ? ` (${lastError})` : ""}`)), timeoutMs).unref());
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timer]);
  } catch (err) {
    redis.disconnect();
    const message = (err as Error).message;
    const cause = lastError && !message.includes(lastError) ? ` (${lastError})` : "";
    throw new Error(redact(`cannot reach the queue at ${target.shown}: ${message}${cause}${connectHint(target, lastCode)}`));
  }
  return redis;
}

/** What to try when the first connect fails: TLS trust for rediss://, TLS itself for a server that closes on plain redis://. */
function connectHint(target: QueueTarget, code: string): string {
  const tls = target.options.tls !== undefined;
  if (tls && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return "; the server's TLS certificate is not trusted here: give its CA to Node with NODE_EXTRA_CA_CERTS=/path/to/ca.pem";
  }
  if (!tls && code === "ECONNRESET") return "; if this Redis takes only TLS connections, use rediss://";
  return "";
}
