import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema, OpenApiDocument, Operation } from '../../server/openapi/document.ts';
import { openApiDocument } from '../../server/openapi/openapi.routes.ts';
import { routeDocs } from '../../server/openapi/routes.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv2020,
) => void;

/** The request a response answers, as the checker needs it. */
export interface Exchange {
  method: string;
  /** The URL path, as sent. */
  path: string;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const mediaBase = (type: string | null) => type?.split(';', 1)[0]!.trim().toLowerCase() ?? '';

/**
 * Checks responses against the OpenAPI document the app serves: the status is declared for the
 * operation (500 may fall to `default`), every header the document marks required is there, and
 * a JSON body matches its schema (JSON Schema 2020-12, refs resolved inside the document). A
 * request to no operation must be a 404, or a 405 with `Allow` when its path is known.
 */
export function createContractChecker(doc: OpenApiDocument = openApiDocument(routeDocs)) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc as unknown as JsonSchema, 'openapi.json');
  const validators = new Map<string, ValidateFunction>();
  const validator = (ref: string) => {
    let v = validators.get(ref);
    if (!v) validators.set(ref, (v = ajv.compile({ $ref: `openapi.json#/${ref}` })));
    return v;
  };

  // Literal segments before parameters: `/posts/trending` is not `/posts/{id}`.
  const templates = Object.keys(doc.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{/g) ?? []).length,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => a.params - b.params);

  const header = (h: JsonSchema): JsonSchema => {
    const ref = h.$ref;
    return typeof ref === 'string' ? doc.components.headers[ref.replace('#/components/headers/', '')]! : h;
  };

  /** The problems with one response (empty: it keeps the contract). Reads a clone of the body; never an event stream. */
  async function problems({ method, path }: Exchange, res: Response): Promise<string[]> {
    const out: string[] = [];
    const asked = method === 'HEAD' ? 'get' : method.toLowerCase();
    const matches = templates.filter((t) => t.pattern.test(path));
    const found = matches.map((t) => ({ template: t.template, op: doc.paths[t.template]![asked as 'get'] as Operation | undefined })).find((m) => m.op);
    if (!res.headers.get('x-request-id')) out.push('no X-Request-Id');
    if (!found) {
      // The body limit stands before routing: an oversized body is refused wherever it goes.
      if (res.status === 413) return out;
      if (matches.length > 0) {
        if (res.status !== 405) out.push(`${res.status} for a method the path does not have (expected 405)`);
        else if (!res.headers.get('allow')) out.push('405 without Allow');
      } else if (res.status !== 404) out.push(`${res.status} for a path the document does not have (expected 404)`);
      return out;
    }
    const { template, op } = found as { template: string; op: Operation };
    const status = String(res.status);
    const declared = op.responses[status] ? status : res.status === 500 && op.responses.default ? 'default' : undefined;
    if (!declared) return [...out, `status ${status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`];
    const answer = op.responses[declared]!;
    for (const [name, h] of Object.entries(answer.headers ?? {})) {
      if (header(h).required && !res.headers.has(name)) out.push(`${status} without its required header ${name}`);
    }
    if (!answer.content || method === 'HEAD') return out;
    const type = mediaBase(res.headers.get('content-type'));
    if (!(type in answer.content)) return [...out, `${status} answered ${type || 'no Content-Type'}, declared ${Object.keys(answer.content).join(', ')}`];
    if (type !== 'application/json') return out;
    const text = await res.clone().text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [...out, `${status} body is not JSON: ${text.slice(0, 200)}`];
    }
    const validate = validator(pointer('paths', template, asked, 'responses', declared, 'content', type, 'schema'));
    if (!validate(body)) out.push(`${status} body does not match its schema: ${ajv.errorsText(validate.errors)}; body: ${text.slice(0, 300)}`);
    return out;
  }

  return {
    problems,
    /** Throws naming the request and every problem. */
    async check(exchange: Exchange, res: Response): Promise<void> {
      const found = await problems(exchange, res);
      if (found.length > 0) throw new Error(`API contract: ${exchange.method} ${exchange.path}: ${found.join('; ')}`);
    },
  };
}

export type ContractChecker = ReturnType<typeof createContractChecker>;

let shared: ContractChecker | undefined;

/**
 * Wraps an app's `fetch` (which `app.request` and a served test app go through) so that every
 * REST response is checked against the document before the test sees it; a drift throws there.
 * tRPC answers, CORS preflights, the pages' assets and routes a test adds under `/test/` are not REST
 * operations and pass as they are.
 */
export function checkResponses<A extends { fetch: (req: Request, ...rest: never[]) => Response | Promise<Response> }>(app: A): A {
  const checker = (shared ??= createContractChecker());
  const fetch = app.fetch;
  app.fetch = (async (req: Request, ...rest: never[]) => {
    const res = await fetch(req, ...rest);
    const { pathname } = new URL(req.url);
    if (pathname.startsWith('/trpc/') || req.method === 'OPTIONS' || pathname.startsWith('/docs/assets/') || pathname.startsWith('/admin/assets/') || pathname.startsWith('/test/')) return res;
    await checker.check({ method: req.method, path: pathname }, res);
    return res;
  }) as A['fetch'];
  return app;
}
