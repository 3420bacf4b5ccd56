/**
 * The proof an import owes its user: for many random packets (seeded), the source ruleset's verdict
 * (`evaluate-source.ts`, walking the source's own chains) against the verdict of benteng's reference
 * evaluator (`src/evaluate`) on the imported policy's model. Packets are biased toward the addresses,
 * ports and ICMP types the rules mention (each block's edges and their neighbours), plus random
 * ones; both families the source has, both hooks, tcp/udp/icmp/other, states new, established and
 * related, some on loopback. A mismatch is explained when the packet touched a rule the report lists
 * (left out, other software's, or a baseline difference); any other mismatch is a bug to report.
 * Invalid packets are not generated: benteng's baseline drops them, which most sources do too.
 */
import { mulberry32 } from '../evaluate/seeded-random.js';
import { evaluate, type Packet } from '../evaluate/index.js';
import type { FleetModel } from '../model/index.js';
import { formatAddress, type Family } from '../net/address.js';
import { ESSENTIAL_ICMP_TYPES } from '../model/baseline.js';
import { evaluateSource } from './evaluate-source.js';
import type { Flattener } from './flatten.js';
import type { Hook } from './rule-box.js';
import { addressRanges } from './rule-box.js';
import type { ImportedRuleset, ImportFamily } from './ruleset.js';
import { type Box, boxContains, type SpacePacket } from './space.js';

export interface EquivalenceOptions {
  /** How many packets (default 4000). */
  packets?: number;
  /** PRNG seed (default 1). */
  seed?: number;
}

export interface Mismatch {
  family: ImportFamily;
  direction: 'ingress' | 'egress';
  packet: string;
  source: string;
  imported: string;
  /** The source's deciding rule or chain. */
  decidedBy?: string;
}

export interface EquivalenceResult {
  packets: number;
  seed: number;
  /** Packets decided differently that the report explains. */
  explained: number;
  /** Packets decided differently with no explanation: each is a bug in the import. */
  unexplained: number;
  /** Up to 20 unexplained mismatches, for the report. */
  examples: Mismatch[];
}

/** Regions the report explains, per family and hook. */
export interface Explanations {
  regions: Array<{ family: ImportFamily; hook: Hook; boxes: Box[] }>;
}


const MAX: Record<Family, bigint> = { ipv4: 2n ** 32n - 1n, ipv6: 2n ** 128n - 1n };

interface AimedRule {
  family: ImportFamily;
  hook: Hook;
  peers: bigint[];
  protocol?: SpacePacket['protocol'];
  ports: number[];
  icmpType?: number;
}

function edges(ranges: Array<{ start: bigint; end: bigint }>, family: Family): bigint[] {
  const out: bigint[] = [];
  for (const range of ranges) for (const v of [range.start, range.end, range.start - 1n, range.end + 1n, range.start + (range.end - range.start) / 2n]) if (v >= 0n && v <= MAX[family]) out.push(v);
  return out;
}

function interesting(ruleset: ImportedRuleset): { peers: Record<Family, bigint[]>; ports: number[]; icmp: Record<Family, number[]>; rules: AimedRule[] } {
  const rules: AimedRule[] = [];
  for (const chain of ruleset.chains) {
    for (const rule of chain.rules) {
      const hooks: Hook[] = chain.hook === 'input' || chain.hook === 'output' ? [chain.hook] : ['input', 'output'];
      for (const hook of hooks) {
        const peerMatch = hook === 'input' ? rule.source : rule.destination;
        const aimed: AimedRule = {
          family: rule.family,
          hook,
          peers: peerMatch ? edges(addressRanges({ ...peerMatch, negated: false }, rule.family), rule.family) : [],
          ports: (rule.destinationPorts?.ranges ?? []).flatMap(([a, b]) => [a, b, a - 1, b + 1]).filter((p) => p >= 1 && p <= 65535),
          ...(rule.icmpType !== undefined ? { icmpType: rule.icmpType } : {}),
        };
        if (rule.protocol === 'tcp' || rule.protocol === 'udp') aimed.protocol = rule.protocol;
        else if (rule.protocol === 'icmp' || rule.protocol === 'icmpv6') aimed.protocol = 'icmp';
        rules.push(aimed);
      }
    }
  }
  return { ...mentioned(ruleset), rules };
}

function mentioned(ruleset: ImportedRuleset): { peers: Record<Family, bigint[]>; ports: number[]; icmp: Record<Family, number[]> } {
  const peers: Record<Family, Set<bigint>> = { ipv4: new Set(), ipv6: new Set() };
  const ports = new Set([22, 25, 53, 80, 123, 443, 3306, 5432, 8080, 1, 65535]);
  const icmp: Record<Family, Set<number>> = { ipv4: new Set([...ESSENTIAL_ICMP_TYPES.icmp, 5, 13]), ipv6: new Set([...ESSENTIAL_ICMP_TYPES.icmpv6, 130, 137]) };
  for (const chain of ruleset.chains) {
    for (const rule of chain.rules) {
      for (const match of [rule.source, rule.destination]) {
        if (!match) continue;
        for (const range of addressRanges({ ...match, negated: false }, rule.family)) {
          for (const v of [range.start, range.end, range.start - 1n, range.end + 1n, range.start + (range.end - range.start) / 2n]) if (v >= 0n && v <= MAX[rule.family]) peers[rule.family].add(v);
        }
      }
      for (const match of [rule.destinationPorts, rule.sourcePorts]) {
        for (const [from, to] of match?.ranges ?? []) for (const p of [from, to, from - 1, to + 1]) if (p >= 1 && p <= 65535) ports.add(p);
      }
      if (rule.icmpType !== undefined) icmp[rule.family].add(rule.icmpType);
    }
  }
  return { peers: { ipv4: [...peers.ipv4], ipv6: [...peers.ipv6] }, ports: [...ports].sort((a, b) => a - b), icmp: { ipv4: [...icmp.ipv4], ipv6: [...icmp.ipv6] } };
}

export interface EquivalenceInput {
  ruleset: ImportedRuleset;
  flattener: Flattener;
  model: FleetModel;
  families: ImportFamily[];
  explanations: Explanations;
}

/** Compares the source and the imported model on seeded random packets. */
export function compareVerdicts(input: EquivalenceInput, options: EquivalenceOptions = {}): EquivalenceResult {
  const count = options.packets ?? 4000;
  const seed = options.seed ?? 1;
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const host = input.model.hosts[0];
  const result: EquivalenceResult = { packets: 0, seed, explained: 0, unexplained: 0, examples: [] };
  if (!host || input.families.length === 0) return result;
  const values = interesting(input.ruleset);
  const randomAddress = (family: Family): bigint => {
    let v = 0n;
    const words = family === 'ipv4' ? 1 : 4;
    for (let i = 0; i < words; i++) v = (v << 32n) | BigInt(Math.floor(random() * 4294967296));
    return v;
  };
  const localOf = (family: Family): string => {
    const range = host.addresses[family][0];
    return range ? formatAddress(family, range.start) : family === 'ipv4' ? '192.0.2.1' : '2001:db8::1';
  };
  for (let n = 0; n < count; n++) {
    // Half the packets aim at one source rule (its peer block, protocol and ports), the rest at the values any rule mentions or at random.
    const aimed = values.rules.length > 0 && random() < 0.5 ? pick(values.rules) : undefined;
    const family = aimed?.family ?? pick(input.families);
    const hook: Hook = aimed?.hook ?? (random() < 0.6 ? 'input' : 'output');
    const loopback = random() < 0.06;
    const aimedPeers = aimed?.peers ?? [];
    const peer = loopback ? (family === 'ipv4' ? 0x7f000001n : 1n) : aimedPeers.length > 0 && random() < 0.8 ? pick(aimedPeers) : values.peers[family].length > 0 && random() < 0.7 ? pick(values.peers[family]) : randomAddress(family);
    const roll = random();
    const protocol: SpacePacket['protocol'] = aimed?.protocol && random() < 0.85 ? aimed.protocol : roll < 0.4 ? 'tcp' : roll < 0.65 ? 'udp' : roll < 0.9 ? 'icmp' : 'other';
    const stateRoll = random();
    const state = stateRoll < 0.7 ? 'new' : stateRoll < 0.93 ? 'established' : 'related';
    const packet: SpacePacket = { peer, protocol, state, loopback };
    if (protocol === 'tcp' || protocol === 'udp') packet.port = aimed && aimed.ports.length > 0 && random() < 0.8 ? pick(aimed.ports) : random() < 0.75 ? pick(values.ports) : 1 + Math.floor(random() * 65535);
    if (protocol === 'icmp') packet.icmpType = aimed?.icmpType !== undefined && random() < 0.8 ? aimed.icmpType : random() < 0.8 ? pick(values.icmp[family]) : Math.floor(random() * 256);
    const source = evaluateSource(input.flattener, family, hook, packet);
    const peerText = formatAddress(family, peer);
    const local = loopback ? peerText : localOf(family);
    const direction = hook === 'input' ? 'ingress' : 'egress';
    const benteng: Packet = {
      direction,
      family,
      source: hook === 'input' ? peerText : local,
      destination: hook === 'input' ? local : peerText,
      protocol: protocol === 'icmp' ? (family === 'ipv4' ? 'icmp' : 'icmpv6') : protocol,
      state,
      loopback,
      ...(packet.port !== undefined ? { port: packet.port } : {}),
      ...(packet.icmpType !== undefined ? { icmpType: packet.icmpType } : {}),
    };
    const imported = evaluate(host, input.model.baseline, benteng);
    result.packets++;
    if (imported.verdict === source.verdict) continue;
    const explained = source.touched.length > 0 || source.foreign.length > 0 || input.explanations.regions.some((r) => r.family === family && r.hook === hook && r.boxes.some((b) => boxContains(b, packet)));
    if (explained) {
      result.explained++;
      continue;
    }
    result.unexplained++;
    if (result.examples.length < 20) {
      const what = protocol === 'tcp' || protocol === 'udp' ? `${protocol}/${packet.port}` : protocol === 'icmp' ? `${benteng.protocol} type ${packet.icmpType}` : 'other protocol';
      const decided = source.decidedBy;
      result.examples.push({
        family,
        direction,
        packet: `${benteng.source} -> ${benteng.destination} ${what} ${state}${loopback ? ' (loopback)' : ''}`,
        source: source.verdict,
        imported: `${imported.verdict} (${imported.reason}${imported.rule ? ` ${imported.rule.id}` : ''})`,
        ...(decided ? { decidedBy: 'rules' in decided ? `${decided.table} ${decided.name} policy` : `${decided.location.file}:${decided.location.line}` } : {}),
      });
    }
  }
  return result;
}
