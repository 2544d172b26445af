/**
 * JWT template shortcodes, as Clerk writes them: `{{user.id}}`, `{{user.public_metadata.role}}`,
 * with `||` fallbacks (`{{user.public_metadata.role || 'member'}}`). A claim value that is exactly
 * one shortcode keeps the JSON type of what it names (an object stays an object); shortcodes inside
 * a longer string are interpolated as text. A name that resolves to nothing gives null (and an
 * empty string inside text).
 */

/** The data a template can read. Private metadata is never part of it. */
export interface ShortcodeContext {
  user: Record<string, unknown>;
  session: Record<string, unknown>;
  org: Record<string, unknown> | null;
}

/** The fields each root offers; only the metadata objects and the actor have deeper paths. */
const FIELDS: Record<string, string[]> = {
  user: [
    'id', 'external_id', 'first_name', 'last_name', 'full_name', 'username', 'primary_email_address', 'primary_phone_number',
    'primary_web3_wallet', 'email_verified', 'phone_number_verified', 'image_url', 'has_image', 'public_metadata',
    'unsafe_metadata', 'two_factor_enabled', 'created_at', 'updated_at',
  ],
  session: ['id', 'actor'],
  org: ['id', 'name', 'slug', 'public_metadata', 'role', 'permissions'],
};
const DEEP = new Set(['public_metadata', 'unsafe_metadata', 'actor']);

function knownPath(parts: string[]): boolean {
  const [root, field, ...rest] = parts;
  const fields = FIELDS[root as string];
  if (!fields) return false;
  if (field === undefined) return root !== 'session';
  return fields.includes(field) && (rest.length === 0 || DEEP.has(field));
}
const SHORTCODE = /\{\{([^{}]*)\}\}/g;
const WHOLE = /^\s*\{\{([^{}]*)\}\}\s*$/;
const PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
const LITERAL = /^(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|(true|false|null))$/;

type Operand = { path: string[] } | { literal: unknown };

function parseExpression(expr: string): Operand[] | string {
  const parts = expr.split('||').map((p) => p.trim());
  const out: Operand[] = [];
  for (const p of parts) {
    const lit = LITERAL.exec(p);
    if (lit) {
      out.push({ literal: lit[1] ?? lit[2] ?? (lit[3] !== undefined ? Number(lit[3]) : JSON.parse(lit[4] as string)) });
    } else if (PATH.test(p) && knownPath(p.split('.'))) {
      out.push({ path: p.split('.') });
    } else {
      return `"{{${expr}}}" is not a shortcode Latchkey knows: use user.<field>, session.id, session.actor or org.<field>, optionally with || and a quoted fallback`;
    }
  }
  return out;
}

/** Every problem with the template's shortcodes, for validation at create and update. */
export function shortcodeProblems(claims: unknown): string[] {
  const problems: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(SHORTCODE)) {
        const parsed = parseExpression(m[1] as string);
        if (typeof parsed === 'string') problems.push(parsed);
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(claims);
  return problems;
}

function lookup(ctx: ShortcodeContext, path: string[]): unknown {
  let v: unknown = ctx;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function evaluate(expr: string, ctx: ShortcodeContext): unknown {
  const operands = parseExpression(expr);
  if (typeof operands === 'string') return null;
  for (const op of operands) {
    const v = 'literal' in op ? op.literal : lookup(ctx, op.path);
    // Missing, null and empty values fall through to the next operand, as in Clerk.
    if (v !== undefined && v !== null && v !== '' && v !== false) return v;
  }
  const last = operands[operands.length - 1] as Operand;
  const v = 'literal' in last ? last.literal : lookup(ctx, last.path);
  return v === undefined ? null : v;
}

function renderValue(v: unknown, ctx: ShortcodeContext): unknown {
  if (typeof v === 'string') {
    const whole = WHOLE.exec(v);
    if (whole) return evaluate(whole[1] as string, ctx);
    return v.replace(SHORTCODE, (_m, expr: string) => {
      const r = evaluate(expr, ctx);
      return r === null || r === undefined ? '' : typeof r === 'string' ? r : JSON.stringify(r);
    });
  }
  if (Array.isArray(v)) return v.map((x) => renderValue(x, ctx));
  if (v && typeof v === 'object') return renderClaims(v as Record<string, unknown>, ctx);
  return v;
}

/** The template's claims with every shortcode replaced. */
export function renderClaims(claims: Record<string, unknown>, ctx: ShortcodeContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) out[k] = renderValue(v, ctx);
  return out;
}
