import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The parts of docker-compose.yml the tests read. */
export interface ComposeService {
  image?: string;
  build?: string;
  command?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { resources?: { limits?: { memory?: string } } };
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export const readCompose = (path = 'docker-compose.yml'): ComposeFile => parse(readFileSync(path, 'utf8')) as ComposeFile;

/** A compose memory figure (`256m`, `1g`, `512mb`) in bytes. */
export function composeBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])b?$/i.exec(v.trim());
  if (!m) throw new Error(`not a compose memory figure: ${v}`);
  return Number(m[1]) * 1024 ** 'bkmg'.indexOf(m[2]!.toLowerCase());
}

/**
 * Compose's variable substitution as `docker compose` does it for `${VAR}`, `${VAR:-default}` and
 * `${VAR:?message}` (the last throws the message when VAR is unset or empty).
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const v = env[name];
    if (v) return v;
    if (op === '?') throw new Error(arg);
    return op === '-' ? (arg ?? '') : '';
  });
}
