import { t } from './text.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface PageParts {
  title: string;
  /** Trusted HTML, built from escaped values. */
  body: string;
  notice?: { kind: 'error' | 'info'; text: string };
}

/** One accessible page: a landmark, a heading, a live region for notices; works without JavaScript. */
export function page({ title, body, notice }: PageParts): string {
  const alert = notice ? `<p class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${esc(notice.text)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · ${esc(t('appName'))}</title>
<link rel="stylesheet" href="/assets/latchkey.css">
</head>
<body>
<main class="card" aria-labelledby="title">
<p class="brand">${esc(t('appName'))}</p>
<h1 id="title">${esc(title)}</h1>
${alert}
${body}
</main>
</body>
</html>`;
}

/** A form with its CSRF field. Inputs are passed as trusted HTML built with `field()`. */
export function form(action: string, csrf: string, inner: string, submit: string): string {
  return `<form method="post" action="${esc(action)}">
<input type="hidden" name="csrf" value="${esc(csrf)}">
${inner}
<button type="submit">${esc(submit)}</button>
</form>`;
}

export function field(opts: { name: string; label: string; type?: string; autocomplete?: string; hint?: string; value?: string; inputmode?: string; pattern?: string }): string {
  const id = `f-${opts.name}`;
  const hint = opts.hint ? `<small id="${id}-hint">${esc(opts.hint)}</small>` : '';
  const attrs = [
    `id="${id}"`,
    `name="${esc(opts.name)}"`,
    `type="${opts.type ?? 'text'}"`,
    'required',
    opts.autocomplete ? `autocomplete="${opts.autocomplete}"` : '',
    opts.inputmode ? `inputmode="${opts.inputmode}"` : '',
    opts.pattern ? `pattern="${opts.pattern}"` : '',
    opts.value ? `value="${esc(opts.value)}"` : '',
    opts.hint ? `aria-describedby="${id}-hint"` : '',
  ].filter(Boolean);
  return `<label for="${id}">${esc(opts.label)}</label>\n<input ${attrs.join(' ')}>\n${hint}`;
}

/** The pages' single stylesheet. */
export const STYLESHEET = `:root{color-scheme:light dark;--fg:#1b1f24;--muted:#5b6470;--bg:#f4f5f7;--card:#fff;--accent:#3b5bdb;--err:#c92a2a;--ok:#2b8a3e}
@media (prefers-color-scheme:dark){:root{--fg:#e9ecef;--muted:#a5adb8;--bg:#15171a;--card:#1e2126;--accent:#748ffc;--err:#ff8787;--ok:#69db7c}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.card{width:min(400px,92vw);background:var(--card);border-radius:14px;padding:32px;box-shadow:0 1px 2px #0001,0 8px 24px #0000000f}
.brand{margin:0 0 8px;font-weight:700;letter-spacing:.02em;color:var(--accent)}h1{margin:0 0 16px;font-size:1.4rem}
label{display:block;margin:16px 0 6px;font-weight:600}input{width:100%;padding:10px 12px;border:1px solid #8884;border-radius:8px;font:inherit;background:transparent;color:inherit}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}small{display:block;margin-top:6px;color:var(--muted)}
button{margin-top:20px;width:100%;padding:11px;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
.notice{padding:10px 12px;border-radius:8px;background:#8881}.notice.error{color:var(--err)}.notice.info{color:var(--ok)}a{color:var(--accent)}p.more{margin-top:18px;text-align:center}`;
