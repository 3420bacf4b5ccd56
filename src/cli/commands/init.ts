/**
 * `benteng init [dir]`: start a policies repository (one host, an admin network, defaults, an example
 * service, lint configuration, README, .gitignore, GitHub Actions workflow, compiled generated/).
 * Refuses to overwrite anything: existing files are listed, exit 2, nothing written.
 */
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { EXAMPLE_SERVICE, initRepository, type InitOptions, LAYOUT } from '../../init/index.js';
import { packageVersion } from '../../init/package-info.js';
import { formatAddress, parseAddress, parseCidr } from '../../net/address.js';
import { REPORTERS } from '../../report/index.js';
import { SCHEMA_DIR } from '../../validate/schema-registry.js';
import { EXIT, type CliIo } from '../io.js';

/** Placeholders from the documentation ranges (RFC 5737, RFC 3849): the user must replace them. */
const PLACEHOLDER = {
  host: 'web-01',
  addresses: ['203.0.113.10', '2001:db8::10'],
  admin: ['198.51.100.0/24', '2001:db8:ad::/64'],
};

/** The placeholder host addresses in the families of the admin networks, so SSH is open in each family the host has. */
function placeholderAddresses(admin: readonly string[] | undefined): string[] {
  if (!admin) return PLACEHOLDER.addresses;
  const v6 = (text: string) => text.includes(':');
  return PLACEHOLDER.addresses.filter((a) => admin.some((cidr) => v6(cidr) === v6(a)));
}

function hostName(text: string): string {
  if (!/^[a-z][a-z0-9-]{0,47}$/.test(text)) throw new InvalidArgumentError('expected lowercase letters, digits and hyphens, starting with a letter (at most 48)');
  return text;
}

function collect<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous) => [...(previous ?? []), parse(text)];
}

function address(text: string): string {
  const parsed = parseAddress(text);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.reason);
  return formatAddress(parsed.value.family, parsed.value.value);
}

function cidr(text: string): string {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.reason);
  return `${formatAddress(parsed.value.family, parsed.value.network)}/${parsed.value.prefix}`;
}

/** Free text written into a file (a comment or a quoted value): one line, printable. */
function oneLine(text: string): string {
  if (text.length === 0 || text.length > 500 || /[\u0000-\u001f\u007f\u2028\u2029]/.test(text)) {
    throw new InvalidArgumentError('expected one line of at most 500 printable characters');
  }
  return text;
}

interface InitFlags {
  host: string;
  address?: string[];
  backend: 'nftables' | 'iptables';
  admin?: string[];
  schemas: string;
  package: string;
}

function nextSteps(dir: string, options: InitOptions, flags: InitFlags): string {
  const steps = [
    ...(dir === '.' ? [] : [`cd ${dir}`]),
    ...(flags.admin ? [] : [`put your administrators' networks in ${LAYOUT.policies}/networks.yaml (\`admin\`; ${PLACEHOLDER.admin.join(', ')} are placeholders): SSH is accepted only from there`]),
    ...(flags.address ? [] : [`put the real addresses of ${options.host} in ${LAYOUT.policies}/hosts.yaml (${options.addresses.join(', ')}: placeholders)`]),
    `pin ${options.host}'s SSH host key in ${LAYOUT.policies}/hosts.yaml (or have it in ~/.ssh/known_hosts)`,
    `replace ${LAYOUT.policies}/services/${EXAMPLE_SERVICE}.yaml with your own services, one file each`,
    'benteng lint && benteng build        (commit generated/ with every policy change)',
    'git init && git add . && git commit -m "benteng policies"',
    `push to GitHub: ${LAYOUT.workflow} checks every push and pull request; it installs \`${options.packageSpec}\` (BENTENG_PACKAGE: set it to a tarball or git URL if you install benteng from one)`,
    `benteng deploy ${options.host} --dry-run, then benteng deploy ${options.host}`,
  ];
  return `\nNext steps:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`;
}

export function registerInit(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('start a policies repository: one host, an admin network, defaults, an example service, CI workflow')
    .argument('[dir]', 'directory to create the repository in (created when missing)', '.')
    .option('--host <name>', 'the first host\'s name', hostName, PLACEHOLDER.host)
    .option('--address <address>', 'an address of the host, IPv4 or IPv6 (repeat for both)', collect(address))
    .addOption(new Option('--backend <backend>', 'the host\'s firewall').choices(['nftables', 'iptables']).default('nftables'))
    .option('--admin <cidr>', 'a network administrators connect from; SSH is allowed only from these (repeat for several)', collect(cidr))
    .option('--schemas <dir|url>', 'where the files\' yaml-language-server modelines point', oneLine, SCHEMA_DIR)
    .option('--package <spec>', 'what the CI workflow installs with npm install --global', oneLine, `benteng@${packageVersion()}`)
    .addHelpText(
      'after',
      '\nWrites policies/ (hosts, networks, ports, defaults, services/, benteng.yaml), generated/, README.md,\n' +
        '.gitignore and .github/workflows/benteng.yml. Existing files are never overwritten.\n' +
        '\nExit codes: 0 written, 1 the options give policies with errors (nothing written),\n' +
        '2 usage, I/O error, or a file that would be overwritten (nothing written).',
    )
    .action(async (dir: string, flags: InitFlags) => {
      const options: InitOptions = {
        host: flags.host,
        addresses: flags.address ?? placeholderAddresses(flags.admin),
        backend: flags.backend,
        admin: flags.admin ?? PLACEHOLDER.admin,
        schemas: /^https?:\/\//.test(flags.schemas) ? flags.schemas : resolve(flags.schemas),
        packageSpec: flags.package,
      };
      let result;
      try {
        result = await initRepository(dir, options);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        io.stderr(`${io.chalk.red('error')}: cannot write ${dir}: ${reason}\nNothing was written.\n`);
        return setExit(EXIT.usage);
      }
      const { chalk } = io;
      if (result.conflicts.length === 1 && result.conflicts[0] === '.') {
        io.stderr(`${chalk.red('error')}: ${dir} exists and is not a directory; nothing was written\n`);
        return setExit(EXIT.usage);
      }
      if (result.conflicts.length > 0) {
        io.stderr(
          `${chalk.red('error')}: refusing to overwrite existing files in ${dir}:\n${result.conflicts.map((f) => `  ${f}`).join('\n')}\n` +
            'Nothing was written. Choose an empty directory, or move these files away.\n',
        );
        return setExit(EXIT.usage);
      }
      if (result.diagnostics.length > 0) io.stderr(REPORTERS.pretty!(result.diagnostics, { chalk, sources: result.sources }));
      if (hasErrors(result.diagnostics) || result.written.length === 0) {
        io.stderr(`${chalk.red('error')}: these options give policies with errors; nothing was written\n`);
        return setExit(EXIT.findings);
      }
      io.stdout(`Created a benteng policies repository in ${dir}:\n${result.written.map((f) => `  ${f}`).join('\n')}\n`);
      io.stdout(nextSteps(dir, options, flags));
      setExit(EXIT.ok);
    });
}
