/**
 * YAML text for the benchmark generators' policies: scalars quoted only when YAML would misread
 * them, flow lists, zero-padded numbers, and `networks.yaml` from network specs.
 */

export interface NetworkSpec {
  name: string;
  description: string;
  tags?: string[];
  include: string[];
  exclude?: string[];
}

/** A plain scalar when YAML reads it back as the same string, else a JSON (double-quoted) one. */
export const quoteIfNeeded = (text: string): string => (/^[A-Za-z0-9_./-]+$/.test(text) && !/^\d+$/.test(text) ? text : JSON.stringify(text));
export const flow = (items: readonly string[]): string => `[${items.map(quoteIfNeeded).join(', ')}]`;
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The whole `networks.yaml`, with its schema modeline. */
export function networksYaml(networks: readonly NetworkSpec[]): string {
  return [
    '# yaml-language-server: $schema=../schemas/networks.schema.json',
    'networks:',
    ...networks.flatMap((n) => [
      `  ${n.name}:`,
      `    description: ${quoteIfNeeded(n.description)}`,
      ...(n.tags ? [`    tags: ${flow(n.tags)}`] : []),
      `    include: ${flow(n.include)}`,
      ...(n.exclude ? [`    exclude: ${flow(n.exclude)}`] : []),
    ]),
    '',
  ].join('\n');
}
