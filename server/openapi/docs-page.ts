import type { JsonSchema, Method, OpenApiDocument, Operation } from './document.ts';

/**
 * The `/docs` page: the OpenAPI document rendered as HTML on the server, with a small inline
 * script that sends a request from any operation's "Try it" form. Self-contained on purpose: it
 * loads nothing from a CDN, so it works offline and behind a strict Content-Security-Policy
 * (the script and the style carry a per-response nonce; nothing else may run).
 */
export function renderDocsPage(doc: OpenApiDocument): (nonce: string) => string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item) as [Method, Operation][]) {
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(method, path, op)]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<section><h2>${esc(tag)}</h2>${ops.join('')}</section>`).join('');
  const components = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<h3 id="schema-${esc(name)}">${esc(name)}</h3>${pre(schema)}`)
    .join('');
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}: API reference</title>
<style nonce="__NONCE__">${style}</style></head>
<body><header><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)}</p>
<p>The same document, machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<label>Session token for routes marked <span class="lock">auth</span>: <input id="token" type="password" autocomplete="off" placeholder="sessionId from POST /auth/login"></label>
</header><main>${sections}<section><h2>Schemas</h2>${components}</section></main>
<script nonce="__NONCE__">${script}</script></body></html>`;
  return (nonce) => page.replaceAll('__NONCE__', nonce);
}

/** The page's own policy: its nonce-tagged script and style, requests to this origin, nothing else. */
export function docsContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function renderOperation(method: Method, path: string, op: Operation): string {
  const params = op.parameters ?? [];
  const paramRows = params
    .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td>${esc(p.description ?? '')}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`)
    .join('');
  const body = op.requestBody?.content['application/json'].schema;
  const responses = Object.entries(op.responses)
    .map(([status, r]) => {
      const schema = r.content?.['application/json'].schema;
      return `<li><b>${esc(status)}</b> ${esc(r.description)}${schema ? `<details><summary>body</summary>${pre(schema)}</details>` : ''}</li>`;
    })
    .join('');
  const inputs = params
    .map((p) => `<label>${esc(p.name)} <small>(${p.in})</small> <input name="${esc(p.name)}" data-in="${p.in}"${p.required ? ' required' : ''}></label>`)
    .join('');
  return `<details class="op" data-method="${method}" data-path="${esc(path)}">
<summary><span class="method ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> ${esc(op.summary)}${op.security ? ' <span class="lock">auth</span>' : ''}</summary>
${params.length > 0 ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th><th>schema</th></tr>${paramRows}</table>` : ''}
${body ? `<h4>Request body (application/json)</h4>${pre(body)}` : ''}
<h4>Responses</h4><ul>${responses}</ul>
<form class="try"><h4>Try it</h4>${inputs}${body ? `<textarea name="body" rows="6">${esc(JSON.stringify(example(body), null, 2))}</textarea>` : ''}<button>Send</button><pre class="result"></pre></form>
</details>`;
}

/** A starting body for the Try-it form: each required property with a placeholder of its type. */
function example(schema: JsonSchema): unknown {
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.filter((k) => properties[k]).map((k) => [k, example(properties[k]!)]));
    }
    case 'array':
      return [];
    case 'string':
      return Array.isArray(schema.enum) ? schema.enum[0] : '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function pre(schema: JsonSchema): string {
  return `<pre>${esc(JSON.stringify(schema, null, 2))}</pre>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const style = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#1b1b1b}
h1 small{font-weight:normal;color:#666;font-size:.6em}
details.op{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.3rem .8rem}
details.op>summary{cursor:pointer}
.method{display:inline-block;min-width:4.2em;font:bold 12px monospace;text-align:center;border-radius:4px;padding:2px 4px;color:#fff;background:#666}
.get{background:#2b7bb9}.post{background:#2f9e44}.put{background:#e67700}.patch{background:#9c36b5}.delete{background:#c92a2a}
.lock{font-size:12px;border:1px solid #999;border-radius:4px;padding:0 4px;color:#555}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:13px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;font-size:13px}
form.try label{display:block;margin:.2rem 0}textarea{width:100%;font:13px monospace}
#token{width:28rem}`;

/** Sends the form's request with fetch (same origin, so the `sid` cookie goes along too) and shows the answer. */
const script = `
for (const form of document.querySelectorAll('form.try')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const op = form.closest('[data-path]');
    let path = op.dataset.path;
    const query = new URLSearchParams();
    for (const input of form.querySelectorAll('input[data-in]')) {
      if (input.dataset.in === 'path') path = path.replace('{' + input.name + '}', encodeURIComponent(input.value));
      else if (input.value !== '') query.append(input.name, input.value);
    }
    const headers = {};
    const token = document.getElementById('token').value.trim();
    if (token) headers.authorization = 'Bearer ' + token;
    const body = form.querySelector('textarea');
    if (body) headers['content-type'] = 'application/json';
    const out = form.querySelector('.result');
    out.textContent = '...';
    try {
      const url = path + (query.size > 0 ? '?' + query : '');
      const res = await fetch(url, { method: op.dataset.method.toUpperCase(), headers, body: body ? body.value : undefined });
      let text = await res.text();
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.textContent = res.status + ' ' + res.statusText + '  (X-Request-Id: ' + res.headers.get('x-request-id') + ')\\n\\n' + text;
    } catch (err) {
      out.textContent = String(err);
    }
  });
}`;
