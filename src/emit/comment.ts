/**
 * Policy text (descriptions) is never trusted. Before it reaches a ruleset it is reduced to one line
 * without quotes, backslashes, control, format or separator characters, and truncated to the target's
 * limit in bytes on a character boundary. Printers wrap the result in double quotes.
 */

/** nft(8) comments (rules, set elements) hold at most 128 bytes of user data. */
export const NFT_COMMENT_MAX = 127;
/** iptables-extensions(8) `comment`: up to 256 characters. */
export const IPT_COMMENT_MAX = 255;

const UNSAFE = /["'`\\\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}]/gu;
const SPACES = /\s+/gu;

/** Printable ASCII without quotes, backquotes or backslashes, single spaces between words: already safe. */
const PLAIN = /^[!#-&(-[\]-_a-~](?:[!#-&(-[\]-_a-~]| (?=[!#-&(-[\]-_a-~]))*$/;

/** One safe line: unsafe characters become spaces, runs of white space one space, trimmed. */
export function sanitizeText(text: string): string {
  // Most descriptions are plain ASCII: skip the Unicode passes (NFC of ASCII is itself).
  return PLAIN.test(text) ? text : sanitizeUnicode(text);
}

/** `sanitizeText` without its plain-ASCII shortcut (the definition the shortcut must agree with). */
export function sanitizeUnicode(text: string): string {
  return text.normalize('NFC').replace(/'/g, '\u2019').replace(UNSAFE, ' ').replace(SPACES, ' ').trim();
}

/** Truncates to at most `maxBytes` UTF-8 bytes without splitting a character; marks the cut with `...`. */
export function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const budget = maxBytes - 3;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > budget) break;
    out += ch;
    used += size;
  }
  return `${out.trimEnd()}...`;
}

/** `<rule id>: <description>`, sanitised and truncated to `maxBytes`. */
export function ruleComment(id: string, description: string | undefined, maxBytes: number): string {
  const text = description === undefined ? id : `${id}: ${description}`;
  return truncateBytes(sanitizeText(text), maxBytes);
}
