import { open } from 'node:fs/promises';
import { type Diagnostic, diagnostic, type Span } from '../diagnostics/diagnostic.js';

/** Policy files larger than this are refused before parsing. */
export const MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024;

export type SourceRead = { ok: true; text: string } | { ok: false; diagnostic: Diagnostic };

function spanAtByte(file: string, bytes: Uint8Array, offset: number): Span {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const column = new TextDecoder().decode(bytes.subarray(lineStart, offset)).length + 1;
  const position = { line, column, offset };
  return { file, start: position, end: { ...position, column: column + 1, offset: offset + 1 } };
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not UTF-8. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need > bytes.length) return 0;
  for (let k = 1; k < need; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  return need;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/**
 * Reads a policy file as UTF-8 text. Refuses, with a diagnostic, files over the size limit (checked
 * before reading them), binary files (a NUL byte) and files that are not valid UTF-8.
 */
export async function readPolicySource(file: string, maxBytes = MAX_POLICY_FILE_BYTES): Promise<SourceRead> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) {
      return {
        ok: false,
        diagnostic: diagnostic(
          'file-too-large',
          'error',
          `policy file is ${size} bytes, over the limit of ${maxBytes} bytes; split it into smaller files`,
          spanAtByte(file, new Uint8Array(), 0),
        ),
      };
    }
    const bytes = new Uint8Array(await handle.readFile());
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      return {
        ok: false,
        diagnostic: diagnostic('file-binary', 'error', 'policy file is binary (it contains a NUL byte), not YAML text', spanAtByte(file, bytes, nul)),
      };
    }
    const invalid = firstInvalidUtf8(bytes);
    if (invalid !== -1) {
      return {
        ok: false,
        diagnostic: diagnostic(
          'file-not-utf8',
          'error',
          `policy file is not valid UTF-8 (byte 0x${bytes[invalid]!.toString(16).padStart(2, '0')}); save it as UTF-8`,
          spanAtByte(file, bytes, invalid),
        ),
      };
    }
    let text = new TextDecoder('utf-8').decode(bytes);
    if (text.startsWith('\uFEFF')) text = text.slice(1);
    return { ok: true, text };
  } finally {
    await handle.close();
  }
}
