/**
 * Benchmark of the lint anomaly analysis (issue 4, item 2: 100,000 rules in under 2 s) on one large,
 * seeded, synthetic chain, in three shapes:
 *
 * - `few overlaps`: peers are single addresses, /28s and /24s of 10.0.0.0/8 (a third with a
 *   2001:db8::/32 counterpart), ports from per-service blocks, some public ports, UDP and ICMP, 1.5 %
 *   drop; most rules overlap nothing;
 * - `1% any-address`: the same, plus 1 % of rules from any address (0.0.0.0/0 and ::/0) on public ports,
 *   which overlap every other rule on those ports;
 * - `1% any, wide ports`: as `1% any-address`, but a third of those rules open the whole unprivileged
 *   range 1024-65535, which overlaps most rules and runs the analysis of some into its budget.
 *
 * Prints the median (min–max) time of `analyzeChain` in milliseconds, the anomaly and incomplete counts,
 * and a digest of the result (to check that an optimisation changes no answer).
 *
 *   npx tsx bench/anomaly.ts [--sizes 10000,100000] [--runs 3] [--shape few|any|wide|all]
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { analyzeChain } from '../src/lint/index.js';
import type { ProtocolMatch, ResolvedRule } from '../src/model/index.js';
import { Prng } from './fleet-generator.js';

type ChainRule = Pick<ResolvedRule, 'peers' | 'protocols' | 'action'>;
type Shape = 'few' | 'any' | 'wide';

const SHAPE_NAMES: Record<Shape, string> = { few: 'few overlaps', any: '1% any-address', wide: '1% any, wide ports' };
const PUBLIC_PORTS = [80, 443, 8080, 8443] as const;
const V4_BASE = 10n << 24n;
const V6_BASE = 0x20010db8n << 96n;
const V4_ANY = { start: 0n, end: (1n << 32n) - 1n };
const V6_ANY = { start: 0n, end: (1n << 128n) - 1n };

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

/** A deterministic chain of `size` rules of the given shape. */
export function generateChain(size: number, shape: Shape, seed = 0xa40a1): ChainRule[] {
  const rng = new Prng(seed ^ size);
  const rules: ChainRule[] = [];
  for (let i = 0; i < size; i++) {
    const action = rng.chance(0.015) ? 'drop' : 'accept';
    if (shape !== 'few' && rng.chance(0.01)) {
      const port = rng.pick(PUBLIC_PORTS);
      const wide = shape === 'wide' && rng.chance(1 / 3);
      rules.push({
        peers: { ipv4: [V4_ANY], ipv6: [V6_ANY] },
        protocols: [{ protocol: 'tcp', ports: [wide ? { from: 1024, to: 65535 } : { from: port, to: port }] }],
        action: rng.chance(0.8) ? 'accept' : 'drop',
      });
      continue;
    }
    const prefix = rng.pick([32, 32, 32, 28, 24]);
    const size4 = 1n << BigInt(32 - prefix);
    const start4 = V4_BASE + BigInt(rng.int(0, (1 << (24 - (32 - prefix))) - 1)) * size4;
    const ipv4 = [{ start: start4, end: start4 + size4 - 1n }];
    const ipv6 = [];
    if (rng.chance(0.33)) {
      const start6 = V6_BASE + (BigInt(rng.int(0, 1 << 30)) << 64n);
      ipv6.push(rng.chance(0.5) ? { start: start6, end: start6 } : { start: start6, end: start6 + (1n << 64n) - 1n });
    }
    const service = Math.floor(i / 20);
    const block = 1024 + ((service * 37) % 2000) * 30;
    const kind = rng.float();
    let protocols: ProtocolMatch[];
    if (kind < 0.75) {
      const port = block + rng.int(0, 29);
      const ports = [{ from: port, to: rng.chance(0.2) ? port + rng.int(1, 8) : port }];
      if (rng.chance(0.2)) {
        const second = block + rng.int(0, 29);
        if (second > ports[0]!.to + 1) ports.push({ from: second, to: second });
      }
      protocols = [{ protocol: 'tcp', ports }];
    } else if (kind < 0.85) {
      const port = block + rng.int(0, 29);
      protocols = [{ protocol: 'udp', ports: [{ from: port, to: port }] }];
    } else if (kind < 0.9) {
      protocols = [rng.chance(0.5) ? { protocol: 'icmp', types: [0, 8] } : { protocol: 'icmpv6', types: 'any' }];
    } else {
      const port = rng.pick(PUBLIC_PORTS);
      protocols = [{ protocol: 'tcp', ports: [{ from: port, to: port }] }];
    }
    rules.push({ peers: { ipv4, ipv6 }, protocols, action });
  }
  return rules;
}

function digest(result: ReturnType<typeof analyzeChain>): string {
  return createHash('sha256').update(JSON.stringify(result)).digest('hex').slice(0, 16);
}

function main(): void {
  const sizes = argument('sizes', '10000,100000').split(',').map(Number);
  const runs = Number(argument('runs', '3'));
  const shapeArgument = argument('shape', 'all');
  const shapes: Shape[] = shapeArgument === 'all' ? ['few', 'any', 'wide'] : [shapeArgument as Shape];
  console.log(`node ${process.version}, ${runs} run(s) each; times in ms, median (min–max)`);
  console.log('| rules | shape | analyzeChain | shadowed / redundant / correlated | incomplete | digest |');
  console.log('|---|---|---|---|---|---|');
  for (const size of sizes) {
    for (const shape of shapes) {
      const chain = generateChain(size, shape);
      const times: number[] = [];
      let result: ReturnType<typeof analyzeChain> | undefined;
      for (let run = 0; run < runs; run++) {
        const start = performance.now();
        result = analyzeChain(chain);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      const count = (kind: string) => result!.anomalies.filter((a) => a.kind === kind).length;
      console.log(
        `| ${size.toLocaleString('en')} | ${SHAPE_NAMES[shape]} | ${median.toFixed(0)} (${times[0]!.toFixed(0)}–${times[times.length - 1]!.toFixed(0)}) | ` +
          `${count('shadowed')} / ${count('redundant')} / ${count('correlated')} | ${result!.incomplete.length} | ${digest(result!)} |`,
      );
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
