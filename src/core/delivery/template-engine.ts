import Handlebars from 'handlebars';
import { DomainError } from '../errors.ts';
import type { Channel } from './outbox.ts';

/**
 * A private Handlebars environment: only the built-in block helpers, no partials, and a `log`
 * helper that does nothing, since templates are written by administrators over the API.
 */
const hb = Handlebars.create();
hb.registerHelper('log', () => '');
const BUILT_IN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
const COMPILE_OPTIONS = { knownHelpersOnly: true, strict: false } as const;
const FORBIDDEN_NODES: Record<string, string> = {
  PartialStatement: 'partials',
  PartialBlockStatement: 'partials',
  Decorator: 'decorators',
  DecoratorBlock: 'decorators',
};

/** The variables a Handlebars source refers to; helper names are left out. */
function walk(node: unknown, found: Set<string>, param: string): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, found, param);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Record<string, any>;
  if (typeof n.type === 'string' && FORBIDDEN_NODES[n.type]) {
    throw new DomainError('invalid_param', `Templates cannot use ${FORBIDDEN_NODES[n.type]}.`, { param });
  }
  if (n.type === 'PathExpression' && !n.data && Array.isArray(n.parts) && n.parts.length > 0) {
    const name = n.parts.join('.');
    if (!BUILT_IN_HELPERS.has(name)) found.add(name);
  }
  for (const [k, v] of Object.entries(n)) if (k !== 'loc' && v && typeof v === 'object') walk(v, found, param);
}

/**
 * Checks that `source` is a template Latchkey can render and returns the variables it uses.
 * @throws DomainError invalid_param naming `param` when it does not parse or uses an unknown helper.
 */
export function templateVariables(source: string, param = 'body'): Set<string> {
  const found = new Set<string>();
  try {
    walk(hb.parse(source), found, param);
    // Compiling finds what parsing does not, such as a call to a helper that does not exist.
    hb.precompile(source, COMPILE_OPTIONS);
  } catch (e) {
    if (e instanceof DomainError) throw e;
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new DomainError('invalid_param', `The template ${param} is not valid Handlebars: ${reason}`, { param });
  }
  return found;
}

type Compiled = (data: Record<string, unknown>) => string;
const cache = new Map<string, Compiled>();
const CACHE_LIMIT = 200;

function compiled(source: string, escape: boolean): Compiled {
  const key = `${escape ? 'h' : 't'}:${source}`;
  let fn = cache.get(key);
  if (!fn) {
    fn = hb.compile(source, { ...COMPILE_OPTIONS, noEscape: !escape }) as Compiled;
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(key, fn);
  }
  return fn;
}

export interface RenderedMessage {
  subject: string | null;
  /** HTML for email, text for SMS. */
  body: string;
  bodyPlain: string | null;
}

/**
 * Renders a template. Email bodies are HTML, so values are HTML-escaped there; subjects and SMS
 * are plain text and are not. A subject is kept to one line.
 */
export function renderTemplate(channel: Channel, template: { subject: string | null; body: string }, data: Record<string, unknown>): RenderedMessage {
  if (channel === 'sms') return { subject: null, body: compiled(template.body, false)(data).trim(), bodyPlain: null };
  const body = compiled(template.body, true)(data);
  const subject = template.subject === null ? null : oneLine(compiled(template.subject, false)(data));
  return { subject, body, bodyPlain: htmlToText(body) };
}

export function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').trim();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[e.toLowerCase()] ?? whole;
  });
}

/** A readable plain-text version of an HTML email, for clients that do not show HTML. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi, (_m, _q, href: string, label: string) => {
      const shown = label.replace(/<[^>]+>/g, '').trim();
      return shown && shown !== href ? `${shown}: ${href}` : href;
    })
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li[^>]*>/gi, '- ')
    .replace(/<\/(li|tr)>/gi, '\n')
    .replace(/<\/(p|div|h[1-6]|ul|ol|table)>/gi, '\n\n')
    .replace(/<[^>]+>/g, '');
  return decodeEntities(text)
    .split('\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Replaces every secret in `text` with `[redacted]`, also in the HTML-escaped form it takes in an
 * email body.
 */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  const forms = secrets.filter((s) => s.length > 0).flatMap((s) => [s, hb.escapeExpression(s)]);
  for (const s of [...new Set(forms)].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}
