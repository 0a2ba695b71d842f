export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line, e.g. the request id. */
  child(bindings: LogFields): Logger;
  /** The access line of one request, at info: built without the general redaction walk. */
  access(line: AccessLine): void;
}

/** What the access line of a request says. */
export interface AccessLine {
  requestId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Field names whose values never reach a log line, at any depth, whatever the caller passes:
 * `password`, `newPassword`, `token`, `sessionToken`, `authorization`, `cookie`, `set-cookie`, `sid`...
 * A `publicSessionId` stays: it names a session (as GET /auth/sessions lists it) but opens nothing.
 */
const secretKey = /passw(or)?d|passphrase|secret|token|authorization|cookie|credential|^sid$|(?<!public_?)session_?id|api[-_]?key/i;

/**
 * Secrets that can hide inside a string (an error message, a URL, a header someone logged):
 * `Bearer <token>`, a `sid=<token>` cookie, the password in `redis://user:password@host`.
 */
const secretInText: [RegExp, string][] = [
  [/\b(Bearer)\s+[^\s"',;]+/gi, '$1 [redacted]'],
  [/\b(sid)=[^\s"',;]+/gi, '$1=[redacted]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]+@/gi, '$1:[redacted]@'],
];

/** What each pattern of `secretInText` needs to find at all: a text without any of these has nothing to scrub. */
const mayHoldSecret = /bearer|sid=|:\/\//i;

function scrub(text: string): string {
  // One scan instead of three for the common text (an access line's path, most messages).
  if (!mayHoldSecret.test(text)) return text;
  return secretInText.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
}

const MAX_DEPTH = 6;

/** A copy of `value` that is safe to log: secret fields redacted, strings scrubbed, errors flattened, cycles cut. */
function sanitize(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) {
    // Only these: other properties of an error (ioredis attaches the command and its arguments) may hold secrets.
    // A cause (tRPC wraps the thrown error, `within` the timed-out one) is unwrapped the same way.
    const flat: LogFields = { name: value.name, message: scrub(value.message), stack: value.stack && scrub(value.stack) };
    if (value.cause !== undefined) flat.cause = sanitize(value.cause, depth + 1, seen);
    return flat;
  }
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => sanitize(v, depth + 1, seen));
  } else {
    const fields: LogFields = {};
    for (const [key, v] of Object.entries(value)) {
      fields[key] = secretKey.test(key) ? '[redacted]' : sanitize(v, depth + 1, seen);
    }
    out = fields;
  }
  // Only the current path counts as a cycle: the same object twice side by side is logged twice.
  seen.delete(value);
  return out;
}

function redact(fields: LogFields): LogFields {
  return sanitize(fields, 0, new WeakSet()) as LogFields;
}

/**
 * One JSON object per line: `{"level":"info","time":"…","msg":"…",…fields}`.
 * The sink is injectable so tests can read what was logged.
 */
export function createLogger(level: LogLevel, sink: (line: string) => void = stdoutSink(), bindings: LogFields = {}): Logger {
  return new JsonLogger(rank[level], sink, [bindings]);
}

/** How long a line may wait in stdoutSink's buffer, and how much the buffer may hold before it is written. */
const SINK_FLUSH_MS = 10;
const SINK_FLUSH_BYTES = 64 * 1024;

/**
 * Writes the lines of up to SINK_FLUSH_MS (or SINK_FLUSH_BYTES) to stdout in one write: under load
 * a write per line, or even per turn of the event loop (a turn often serves one or two requests), is
 * a system call per request. The timer does not keep the process alive; what is still buffered is
 * written when the process exits.
 */
export function stdoutSink(): (line: string) => void {
  let buffered = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const out = buffered;
    buffered = '';
    if (out) process.stdout.write(out);
  };
  process.once('exit', flush);
  return (line) => {
    buffered += line + '\n';
    if (buffered.length >= SINK_FLUSH_BYTES) flush();
    else if (!timer) timer = setTimeout(flush, SINK_FLUSH_MS).unref();
  };
}

/**
 * A class, so that `child()`, called for every request, allocates one small object and no
 * closures; its bindings are merged and redacted with each line's fields, so a child that logs
 * nothing (LOG_LEVEL above its lines) costs nothing more. No object spread per child: on Node 20
 * each spread copy gets a hidden class of its own.
 */
class JsonLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly sink: (line: string) => void,
    /** The parent's bindings, then the child's: merged only when a line is written. */
    private readonly bindings: readonly LogFields[],
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write('error', msg, fields);
  }
  child(more: LogFields): Logger {
    return new JsonLogger(this.threshold, this.sink, [...this.bindings, more]);
  }
  access({ requestId, method, path, status, durationMs }: AccessLine): void {
    if (rank.info < this.threshold) return;
    // The request id is well-formed (request-context.ts) and the method a token; only the path is free text.
    this.sink(
      `{"level":"info","time":"${new Date().toISOString()}","msg":"request","requestId":"${requestId}",` +
        `"method":${JSON.stringify(method)},"path":${JSON.stringify(scrub(path))},"status":${status},"durationMs":${durationMs}}`,
    );
  }

  private write(lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (rank[lvl] < this.threshold) return;
    const line = {
      level: lvl,
      time: new Date().toISOString(),
      msg: scrub(msg),
      ...redact(Object.assign({}, ...this.bindings, fields)),
    };
    this.sink(JSON.stringify(line));
  }
}
