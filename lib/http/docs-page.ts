import { openApiDocument } from './openapi.ts';

/**
 * `GET /docs`: the API reference as one HTML page rendered from the OpenAPI document, on the
 * server, with its styles and its one script inline. It loads nothing from anywhere (its
 * Content-Security-Policy forbids it), so it works offline and behind any firewall.
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'] as const;

const html = (text: unknown) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** The document's little markdown: `code` spans only. */
const prose = (text: unknown) =>
  html(text ?? '').replace(/`([^`]+)`/g, (_, code: string) => `<code>${code}</code>`);

const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

function resolve(doc: Json, value: unknown): Json {
  let v = value as Json;
  for (let i = 0; i < 8 && typeof v?.$ref === 'string'; i++) {
    const path = (v.$ref as string).replace(/^#\//, '').split('/');
    v = path.reduce<Json>((node, key) => (node?.[key] ?? {}) as Json, doc);
  }
  return v ?? {};
}

/** A schema in one line: its type, with links to named schemas. */
function typeOf(schema: Json): string {
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return `<a href="#schema-${html(name)}">${html(name)}</a>`;
  }
  const alternatives = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (alternatives) return alternatives.map(typeOf).join(' | ');
  if (schema.const !== undefined) return `<code>${html(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.enum)) {
    return schema.enum.map((v) => `<code>${html(JSON.stringify(v))}</code>`).join(' | ');
  }
  if (schema.type === 'array') return `array of ${typeOf((schema.items ?? {}) as Json)}`;
  if (schema.type === 'object' && schema.additionalProperties && !schema.properties) {
    const values = schema.additionalProperties === true ? {} : schema.additionalProperties;
    return `map of string → ${typeOf(values as Json)}`;
  }
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : String(schema.type ?? 'any');
  return html(schema.format ? `${type} (${schema.format})` : type);
}

/** What a schema allows besides its type: bounds, lengths, patterns. */
function constraints(schema: Json): string {
  const parts: string[] = [];
  const bound = (label: string, key: string) => {
    if (schema[key] !== undefined) parts.push(`${label} ${schema[key]}`);
  };
  bound('≥', 'minimum');
  bound('≤', 'maximum');
  bound('length ≥', 'minLength');
  bound('length ≤', 'maxLength');
  bound('items ≤', 'maxItems');
  if (typeof schema.pattern === 'string' && schema.pattern.length <= 80) {
    parts.push(`<code>${html(schema.pattern)}</code>`);
  }
  return parts.join(', ');
}

function propertiesTable(schema: Json): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(properties).map(
    ([name, p]) =>
      `<tr><td><code>${html(name)}</code>${required.has(name) ? ' <span class="required">required</span>' : ''}</td><td>${typeOf(p)}</td><td>${constraints(p)}</td></tr>`,
  );
  if (!rows.length) return `<p class="type">${typeOf(schema)}</p>`;
  return `<table><thead><tr><th>field</th><th>type</th><th>allows</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function parametersTable(doc: Json, parameters: unknown[]): string {
  if (!parameters.length) return '';
  const rows = parameters.map((raw) => {
    const p = resolve(doc, raw);
    const schema = (p.schema ?? {}) as Json;
    return `<tr><td><code>${html(p.name)}</code>${p.required ? ' <span class="required">required</span>' : ''}</td><td>${html(p.in)}</td><td>${typeOf(schema)}</td><td>${prose(p.description)}${constraints(schema) ? `<br><span class="allows">${constraints(schema)}</span>` : ''}</td></tr>`;
  });
  return `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function responsesList(doc: Json, responses: Record<string, unknown>): string {
  const items = Object.entries(responses).map(([status, raw]) => {
    const r = resolve(doc, raw);
    const content = (r.content ?? {}) as Record<string, { schema?: Json }>;
    const bodies = Object.entries(content).map(
      ([type, media]) => `<code>${html(type)}</code> ${typeOf(media.schema ?? {})}`,
    );
    const headers = Object.keys((r.headers ?? {}) as Json).map((h) => `<code>${html(h)}</code>`);
    return `<li><span class="status s${html(status[0])}">${html(status)}</span> ${prose(r.description)}${bodies.length ? ` — ${bodies.join(', ')}` : ''}${headers.length ? `<br><span class="allows">headers: ${headers.join(' ')}</span>` : ''}</li>`;
  });
  return `<h4>Responses</h4><ul class="responses">${items.join('')}</ul>`;
}

function operationSection(doc: Json, method: string, path: string, op: Json): string {
  const id = html(op.operationId);
  const body = op.requestBody
    ? (() => {
        const content = (resolve(doc, op.requestBody).content ?? {}) as Record<string, Json>;
        const [type, media] = Object.entries(content)[0] ?? ['', {}];
        return `<h4>Request body</h4><p><code>${html(type)}</code> ${typeOf((media.schema ?? {}) as Json)}</p>`;
      })()
    : '';
  return `<section class="operation" id="op-${id}" data-operation-id="${id}" data-search="${html(`${op.operationId} ${method} ${path} ${op.summary}`.toLowerCase())}">
<h3><span class="method ${html(method)}">${html(method.toUpperCase())}</span> <code class="path">${html(path)}</code> <a class="anchor" href="#op-${id}">${id}</a></h3>
<p>${prose(op.description ?? op.summary)}</p>
${parametersTable(doc, (op.parameters ?? []) as unknown[])}${body}${responsesList(doc, (op.responses ?? {}) as Json)}
</section>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#151b23}}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
.layout{display:grid;grid-template-columns:minmax(14rem,20rem) 1fr}nav{position:sticky;top:0;height:100vh;overflow:auto;padding:1rem;border-right:1px solid var(--line)}
nav h2{font-size:.8rem;text-transform:uppercase;color:var(--muted);margin:1rem 0 .3rem}nav a{display:block;color:inherit;text-decoration:none;padding:.1rem 0;font-size:.85rem}
nav a:hover{text-decoration:underline}main{padding:1rem 2rem;max-width:72rem}input{width:100%;padding:.4rem;font:inherit;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:inherit}
code{font:13px ui-monospace,monospace;background:var(--code);padding:.1rem .3rem;border-radius:4px}.operation{border-top:1px solid var(--line);padding:.5rem 0 1rem}
.method{display:inline-block;min-width:4.2rem;text-align:center;font:600 12px ui-monospace,monospace;color:#fff;border-radius:4px;padding:.15rem .3rem}
.get{background:#0969da}.post{background:#1a7f37}.put{background:#9a6700}.patch{background:#8250df}.delete{background:#cf222e}
.anchor{font-size:.8rem;color:var(--muted);margin-left:.5rem}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;border-bottom:1px solid var(--line);padding:.25rem .5rem;vertical-align:top}
.required{font-size:.75rem;color:#cf222e}.allows{font-size:.8rem;color:var(--muted)}.responses{list-style:none;padding:0}.status{font:600 13px ui-monospace,monospace}
.s2{color:#1a7f37}.s4{color:#9a6700}.s5{color:#cf222e}.hidden{display:none}
`;

/** Hides the operations that do not match the search box. */
const SCRIPT = `
const box=document.getElementById('filter');
box.addEventListener('input',()=>{const q=box.value.trim().toLowerCase();
for(const el of document.querySelectorAll('[data-search]'))el.classList.toggle('hidden',q!==''&&!el.dataset.search.includes(q));});
`;

const cached = new WeakMap<Json, string>();

/** The reference page of a document (the one the API serves at `/v1/openapi.json`). */
export function docsPage(doc: Json = openApiDocument()): string {
  const hit = cached.get(doc);
  if (hit) return hit;
  const info = (doc.info ?? {}) as Json;
  const tags = (doc.tags ?? []) as Json[];
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Json })),
  );
  const byTag = tags.map((tag) => ({
    tag,
    ops: operations.filter(({ op }) => ((op.tags ?? []) as string[])[0] === tag.name),
  }));
  const nav = byTag
    .map(
      ({ tag, ops }) =>
        `<h2>${html(tag.name)}</h2>${ops
          .map(
            ({ method, op }) =>
              `<a href="#op-${html(op.operationId)}" data-search="${html(`${op.operationId} ${method} ${op.summary}`.toLowerCase())}"><code>${html(method.toUpperCase())}</code> ${html(op.operationId)}</a>`,
          )
          .join('')}`,
    )
    .join('');
  const sections = byTag
    .map(
      ({ tag, ops }) =>
        `<section class="tag" id="tag-${html(tag.name)}"><h2>${html(tag.name)}</h2><p>${prose(tag.description)}</p>${ops
          .map(({ method, path, op }) => operationSection(doc, method, path, op))
          .join('\n')}</section>`,
    )
    .join('\n');
  const schemas = Object.entries(((doc.components as Json)?.schemas ?? {}) as Record<string, Json>)
    .map(
      ([name, schema]) =>
        `<section class="schema" id="schema-${html(name)}"><h3>${html(name)}</h3>${propertiesTable(schema)}</section>`,
    )
    .join('\n');
  const servers = ((doc.servers ?? []) as Json[])
    .map((s) => `<li><code>${html(s.url)}</code> — ${prose(s.description)}</li>`)
    .join('');
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${html(info.title)} API reference</title><style>${STYLE}</style></head>
<body><div class="layout"><nav><input id="filter" type="search" placeholder="Filter operations" aria-label="Filter operations">${nav}<h2>Schemas</h2><a href="#schemas">All schemas</a></nav>
<main><h1>${html(info.title)} API <small>v${html(info.version)}</small></h1><p>${prose(info.description)}</p>
<p>The machine-readable document: <a href="/v1/openapi.json"><code>/v1/openapi.json</code></a> (OpenAPI ${html(doc.openapi)}).</p>
<h4>Servers</h4><ul>${servers}</ul>
${sections}
<section id="schemas"><h2>Schemas</h2>${schemas}</section></main></div>
<script>${SCRIPT}</script></body></html>
`;
  cached.set(doc, page);
  return page;
}
