/**
 * Every command, in the order `benteng --help` lists them, and how to load it. A command's module (and
 * everything it imports: the YAML parser, ajv, the compiler, ssh2) is imported only when that command
 * runs, so `benteng --version` and `benteng --help` load none of them (issue 13: start-up).
 *
 * Adding a command: write `src/cli/commands/<name>.ts` exporting `register<Name>(program, io, setExit)`,
 * add a row here (the summary must equal the command's `.description()`: a test compares them).
 * Modules that register several commands (deploy: deploy, rollback, status) list them side by side.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

export type Register = (program: Command, io: CliIo, setExit: (code: number) => void) => void;

export interface CommandEntry {
  name: string;
  /** One line for `benteng --help`, equal to the command's own description. */
  summary: string;
  load(): Promise<Register>;
}

const init = async () => (await import('./init.js')).registerInit;
const importCommand = async () => (await import('./import.js')).registerImport;
const lint = async () => (await import('./lint.js')).registerLint;
const build = async () => (await import('./build.js')).registerBuild;
const deploy = async () => (await import('./deploy.js')).registerDeploy;
const diff = async () => (await import('./diff.js')).registerDiff;
const query = async () => (await import('./query.js')).registerQuery;
const block = async () => (await import('./block.js')).registerBlock;
const drops = async () => (await import('./drops.js')).registerDrops;

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'init', load: init, summary: 'start a policies repository: one host, an admin network, defaults, an example service, CI workflow' },
  {
    name: 'import',
    load: importCommand,
    summary: 'write policies from the rules a server runs today (iptables-save, ip6tables-save, nft -j), with a report and an equivalence check',
  },
  { name: 'lint', load: lint, summary: 'check the policies: YAML, schema, references and lint rules; print findings' },
  { name: 'build', load: build, summary: 'compile the policies to nftables / iptables rulesets, one set of files per host' },
  {
    name: 'deploy',
    load: deploy,
    summary: "compile, then apply each host's ruleset over SSH; the server rolls back by itself unless a new SSH connection confirms in time",
  },
  { name: 'rollback', load: deploy, summary: 'restore the previous confirmed ruleset on a host' },
  {
    name: 'status',
    load: deploy,
    summary: "compare each host's live ruleset with the compiled one (in sync, drifted, pending) and show recent deploys",
  },
  {
    name: 'diff',
    load: diff,
    summary: 'show how access changes between two policy trees: per host and direction, the traffic whose verdict changes and the rules responsible',
  },
  { name: 'query', load: query, summary: 'may a new connection go from one endpoint to another? names the deciding rule on each end' },
  { name: 'block', load: block, summary: 'block addresses on servers now, without a deploy: dynamic entries that expire on their own' },
  { name: 'unblock', load: block, summary: 'remove dynamic blocks now' },
  { name: 'blocks', load: block, summary: 'list active dynamic blocks with expiry, reason, who and when (reads only)' },
  {
    name: 'drops',
    load: drops,
    summary: 'what the firewalls dropped lately: top sources, destination ports, and the rule or default drop responsible (reads only)',
  },
];

/** The command a command line runs (`help X` asks for X), or undefined for `--version`, `--help`, typos. */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const first = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.some((c) => c.name === first) ? first : undefined;
}
