export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every line, e.g. the request id. */
  child(bindings: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Field names whose values never reach a log line, whatever the caller passes. */
const secretKeys = /^(password|newPassword|currentPassword|token|sessionId|authorization|cookie|set-cookie)$/i;

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    if (secretKeys.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = { name: value.name, message: value.message, stack: value.stack };
    else out[key] = value;
  }
  return out;
}

/**
 * One JSON object per line: `{"level":"info","time":"…","msg":"…",…fields}`.
 * The sink is injectable so tests can read what was logged.
 */
export function createLogger(
  level: LogLevel,
  sink: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  bindings: LogFields = {},
): Logger {
  const threshold = rank[level];
  const write = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (rank[lvl] < threshold) return;
    const line = { level: lvl, time: new Date().toISOString(), msg, ...bindings, ...(fields && redact(fields)) };
    sink(JSON.stringify(line));
  };
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (more) => createLogger(level, sink, { ...bindings, ...redact(more) }),
  };
}
