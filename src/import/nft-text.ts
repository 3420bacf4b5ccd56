/**
 * Renders `nft -j` rule statements back into nft's own syntax (`ip saddr @admins tcp dport 22
 * accept`) for the import report, so a user reads the rule as `nft list ruleset` shows it. Only for
 * people: nothing parses this text. Unknown shapes print as their statement name and compact JSON.
 */

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The single key of a `{ key: value }` JSON statement or expression, and its value. */
export function single(value: Json): [string, Json] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 ? [keys[0]!, value[keys[0]!]] : undefined;
}

const BARE_META = new Set(['iifname', 'oifname', 'iif', 'oif']);
const QUOTED_META = new Set(['iifname', 'oifname', 'iif', 'oif']);

/** A left-hand side: `ip saddr`, `meta l4proto`, `ct state`, `ip saddr . tcp dport`. */
export function renderLeft(value: Json): string {
  const entry = single(value);
  if (entry === undefined) return renderValue(value);
  const [kind, body] = entry;
  if (!isObject(body) && kind !== 'concat' && kind !== '&' && kind !== '|') return `${kind} ${JSON.stringify(body)}`;
  switch (kind) {
    case 'payload':
      if (isObject(body) && typeof body.protocol === 'string') return `${body.protocol} ${String(body.field)}`;
      if (isObject(body)) return `@${String(body.base)},${String(body.offset)},${String(body.len)}`;
      return 'payload';
    case 'meta': {
      const key = isObject(body) ? String(body.key) : '?';
      return BARE_META.has(key) ? key : `meta ${key}`;
    }
    case 'ct':
      return isObject(body) ? `ct ${body.dir !== undefined ? `${String(body.dir)} ` : ''}${String(body.key)}` : 'ct';
    case 'fib':
      return isObject(body) ? `fib ${Array.isArray(body.flags) ? body.flags.join(' . ') : String(body.flags)} ${String(body.result)}` : 'fib';
    case 'concat':
      return Array.isArray(body) ? body.map(renderLeft).join(' . ') : 'concat';
    case '&':
    case '|':
      return Array.isArray(body) && body.length === 2 ? `${renderLeft(body[0])} ${kind} ${renderValue(body[1])}` : kind;
    default:
      return isObject(body) && typeof body.key === 'string' ? `${kind} ${body.key}` : kind;
  }
}

/** A right-hand side or set element: `22`, `198.51.100.0/24`, `80-90`, `{ 22, 443 }`, `@name`. */
export function renderValue(value: Json, quote = false): string {
  if (typeof value === 'string') return quote && !value.startsWith('@') ? `"${value}"` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length === 2 && isObject(value[1]) && single(value[1]) !== undefined && !Array.isArray(value[0])) {
    return `${renderValue(value[0], quote)} : ${renderStatement(value[1])}`;
  }
  if (Array.isArray(value)) return value.map((v) => renderValue(v, quote)).join(',');
  const entry = single(value);
  if (entry === undefined) return JSON.stringify(value);
  const [kind, body] = entry;
  if (kind === 'prefix' && isObject(body)) return `${String(body.addr)}/${String(body.len)}`;
  if (kind === 'range' && Array.isArray(body)) return `${renderValue(body[0], quote)}-${renderValue(body[1], quote)}`;
  if (kind === 'set' && Array.isArray(body)) return `{ ${body.map((v) => renderValue(v, quote)).join(', ')} }`;
  if (kind === 'set') return `{ ${renderValue(body, quote)} }`;
  if (kind === 'concat' && Array.isArray(body)) return body.map((v) => renderValue(v, quote)).join(' . ');
  if (kind === 'elem' && isObject(body)) return renderValue(body.val, quote);
  return LEFT_KINDS.has(kind) ? renderLeft(value) : JSON.stringify(value);
}

const LEFT_KINDS = new Set(['payload', 'meta', 'ct', 'fib', 'concat', '&', '|']);

function renderMatch(body: Record<string, Json>): string {
  const left = renderLeft(body.left);
  const meta = single(body.left);
  const quote = meta !== undefined && meta[0] === 'meta' && isObject(meta[1]) && QUOTED_META.has(String(meta[1].key));
  const op = body.op === '==' || body.op === 'in' ? '' : `${String(body.op)} `;
  return `${left} ${op}${renderValue(body.right, quote)}`;
}

const VERDICTS = new Set(['accept', 'drop', 'return', 'continue']);

/** One statement of a rule's `expr` list in nft syntax. */
export function renderStatement(statement: Json): string {
  const entry = single(statement);
  if (entry === undefined) return JSON.stringify(statement);
  const [kind, body] = entry;
  if (VERDICTS.has(kind)) return kind;
  if (kind === 'match' && isObject(body)) return renderMatch(body);
  if ((kind === 'jump' || kind === 'goto') && isObject(body)) return `${kind} ${String(body.target)}`;
  if (kind === 'counter') return typeof body === 'string' ? `counter name ${body}` : 'counter';
  if (kind === 'log') {
    const prefix = isObject(body) && typeof body.prefix === 'string' ? ` prefix "${body.prefix}"` : '';
    return `log${prefix}`;
  }
  if (kind === 'reject') {
    if (!isObject(body)) return 'reject';
    if (body.type === 'tcp reset') return 'reject with tcp reset';
    return body.expr !== undefined ? `reject with ${String(body.type)} ${String(body.expr)}` : 'reject';
  }
  if (kind === 'limit' && isObject(body)) {
    const over = body.inv === true ? 'over ' : '';
    const unit = typeof body.rate_unit === 'string' && body.rate_unit !== 'packets' ? ` ${body.rate_unit}` : '';
    return `limit rate ${over}${String(body.rate)}${unit}/${String(body.per)}`;
  }
  if (kind === 'vmap' && isObject(body)) return `${renderLeft(body.key)} vmap ${renderValue(body.data)}`;
  if (kind === 'quota' && isObject(body)) return `quota ${body.inv === true ? 'over ' : ''}${String(body.val)} ${String(body.val_unit)}`;
  if (kind === 'ct count' && isObject(body)) return `ct count ${body.inv === true ? 'over ' : ''}${String(body.val)}`;
  if (kind === 'set' && isObject(body)) return `${String(body.op)} ${String(body.set)} { ${renderLeft(body.elem)} }`;
  if (kind === 'meter' && isObject(body)) return `meter ${String(body.name)} { ${renderLeft(body.key)} ${renderStatement(body.stmt)} }`;
  if ((kind === 'dnat' || kind === 'snat') && isObject(body)) {
    return `${kind} to ${body.addr !== undefined ? renderValue(body.addr) : ''}${body.port !== undefined ? `:${renderValue(body.port)}` : ''}`;
  }
  if (kind === 'masquerade' || kind === 'notrack') return kind;
  if (body === null) return kind;
  return `${kind} ${JSON.stringify(body)}`;
}

/** A whole rule in nft syntax, with its comment as nft prints it. */
export function renderRule(expr: readonly Json[], comment?: string): string {
  const text = expr.map(renderStatement).join(' ');
  return comment === undefined ? text : `${text} comment "${comment}"`;
}
