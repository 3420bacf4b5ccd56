/**
 * The files of a new policies repository, as text: one host, an admin network with SSH allowed only
 * from it, named ports, fleet defaults, one example service, the lint configuration, a `.gitignore`, a
 * short README and the GitHub Actions workflow. Pure: options in, a map of relative path → content
 * out; `initRepository` writes them. Every value put into YAML comes from a parsed address, CIDR, name
 * or backend, or is quoted, so no option can change the structure of the files.
 */
import { pathToFileURL } from 'node:url';
import type { Backend } from '../build/compiled-host.js';
import { workflowFile } from './workflow.js';

export interface InitOptions {
  /** The first host's name (a policy `Name`). */
  host: string;
  /** Its addresses, IPv4 and/or IPv6 literals, already validated. */
  addresses: string[];
  backend: Backend;
  /** The admin network's CIDRs, already validated. */
  admin: string[];
  /** Where the modelines point: a directory holding the schemas, or a URL prefix. */
  schemas: string;
  /** What the CI workflow installs with `npm install --global` (a version spec, tarball URL, …). */
  packageSpec: string;
}

/** The example service's name and file. */
export const EXAMPLE_SERVICE = 'website';

/** The repository layout, relative to the directory given to `init`. */
export const LAYOUT = {
  policies: 'policies',
  generated: 'generated',
  workflow: '.github/workflows/benteng.yml',
} as const;

/**
 * The modeline for a file `depth` directories below the repository root. A URL prefix or an absolute
 * directory is written as is (a directory with spaces as a `file:` URL); a directory inside the repository (a vendored copy) is written relative
 * to the file, so the repository can be cloned anywhere.
 */
function modeline(options: InitOptions, file: string, depth: number, vendored?: string): string {
  if (/^https?:\/\//.test(options.schemas)) return `# yaml-language-server: $schema=${options.schemas.replace(/\/?$/, '/')}${file}`;
  if (vendored !== undefined) return `# yaml-language-server: $schema=${'../'.repeat(depth)}${vendored ? `${vendored}/` : ''}${file}`;
  const path = `${options.schemas.replace(/\/$/, '')}/${file}`;
  // A modeline ends at whitespace: a path with spaces is written as a file URL.
  return `# yaml-language-server: $schema=${/\s/.test(path) ? pathToFileURL(path).href : path}`;
}

const flow = (items: readonly string[]): string => `[${items.map((i) => JSON.stringify(i)).join(', ')}]`;

/** The text of every file `init` writes (without `generated/`, which the build fills), by relative path. */
export function repositoryFiles(options: InitOptions, vendoredSchemas?: string): Map<string, string> {
  const line = (file: string, depth: number) => modeline(options, file, depth, vendoredSchemas);
  const p = LAYOUT.policies;
  const files = new Map<string, string>();

  files.set(
    `${p}/hosts.yaml`,
    `${line('hosts.schema.json', 1)}
# The servers benteng manages, by name. \`backend\` is the firewall the server runs (nftables or iptables).
hosts:
  ${options.host}:
    description: The first server managed by benteng
    addresses: ${flow(options.addresses)}
    # How \`benteng deploy\` connects (address defaults to the first address, port to 22). Pin the host key
    # with the fingerprint \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` prints on the server:
    #   ssh: { user: root, hostKey: "SHA256:…" }
    # Without it, the key must be in ~/.ssh/known_hosts.
    ssh: { user: root }
    backend: ${options.backend}
    tags: [web]
`,
  );

  files.set(
    `${p}/networks.yaml`,
    `${line('networks.schema.json', 1)}
# Named address groups, usable in any rule's \`from\` / \`to\`. Networks may include other networks and
# hosts, and exclude parts of them.
networks:
  admin:
    description: Where the administrators manage the servers from (their workstations or VPN)
    # The tag \`admin\` tells \`benteng lint\` which networks must keep SSH (ssh-lockout) and which
    # networks administrative ports may be open to (admin-port-outside-admin).
    tags: [admin]
    include: ${flow(options.admin)}
`,
  );

  files.set(
    `${p}/ports.yaml`,
    `${line('ports.schema.json', 1)}
# Named port sets, usable in any rule's \`ports\`.
ports:
  ssh: [tcp/22]
  web: [tcp/80, tcp/443]
  dns: [udp/53, tcp/53]
  ntp: [udp/123]
`,
  );

  files.set(
    `${p}/defaults.yaml`,
    `${line('defaults.schema.json', 1)}
# Fleet defaults: every host drops what is not allowed, in both directions. These rules come first on
# every host, before the rules of the services that run on it.
defaults:
  established: true
  loopback: true
  icmp: essential
  logDrops: { enabled: true, ratePerMinute: 60 }
  ingress:
    - description: Administrators reach every host over SSH, only from the admin network (benteng deploy needs it too)
      from: admin
      ports: [ssh]
  egress:
    - description: Name resolution (narrow \`to\` to your resolvers when you know them)
      to: any
      ports: [dns]
    - description: Time synchronisation
      to: any
      ports: [ntp]
    - description: Package updates over HTTP and HTTPS (narrow \`to\` to your package mirror)
      to: any
      ports: [web]
`,
  );

  files.set(
    `${p}/services/${EXAMPLE_SERVICE}.yaml`,
    `${line('service.schema.json', 2)}
# An example service: one file per service, owned by the people who run it. Rename it, or copy it for
# each service your servers run; a service's rules apply on the hosts it lists.
service: ${EXAMPLE_SERVICE}
description: Public website (an example; replace with your own)
owners: [First Owner <first.owner@example.org>, Second Owner <second.owner@example.org>]
hosts: [tag:web]
ingress:
  - description: The website over HTTP (redirects to HTTPS) and HTTPS, from anywhere
    from: any
    ports: [web]
`,
  );

  files.set(
    `${p}/benteng.yaml`,
    `${line('lint-config.schema.json', 1)}
# \`benteng lint\` configuration: each rule's severity (off, info, warning, error) and options. Rules not
# listed keep their default severity; every rule is described in benteng's docs/lint-rules.md.
rules:
  correlated-rules: info
`,
  );

  files.set(
    '.gitignore',
    `# benteng's build cache (safe to delete at any time)
.benteng-cache/
# Reports written by CI or by hand
*.sarif
benteng-diff.md
node_modules/
# generated/ is committed on purpose: a pull request shows exactly which firewall rules change, and CI
# checks it is up to date with \`benteng build --check\`.
`,
  );

  files.set('README.md', readme(options));
  files.set(LAYOUT.workflow, workflowFile(options.packageSpec));
  return files;
}

function readme(options: InitOptions): string {
  return `# Firewall policies

The network access of every service on our servers, written down as benteng policies, reviewed in
pull requests, checked by CI and compiled to firewall rulesets.

| path | what |
|---|---|
| \`policies/hosts.yaml\` | the servers: addresses, SSH endpoint, firewall backend |
| \`policies/networks.yaml\` | named address groups; the one tagged \`admin\` keeps SSH |
| \`policies/ports.yaml\` | named port sets |
| \`policies/defaults.yaml\` | rules every server gets first (SSH from the admin network, DNS, NTP, updates) |
| \`policies/services/*.yaml\` | one file per service: who owns it, where it runs, what it accepts and sends |
| \`policies/benteng.yaml\` | lint rule severities |
| \`generated/\` | the compiled rulesets; never edit by hand, run \`benteng build\` |
| \`.github/workflows/benteng.yml\` | CI: lint (annotations and code scanning), \`build --check\`, access diff of pull requests |

## Working on the policies

\`\`\`sh
benteng lint                      # every finding with file:line:col
benteng build                     # compile into generated/ (commit the result with the policy change)
benteng query 203.0.113.7 host:${options.host} tcp/443   # may this reach that, and which rule decides?
benteng diff --base main          # what this branch changes in access
benteng deploy ${options.host} --dry-run     # what would change on the server
benteng deploy ${options.host}               # apply; the server rolls back by itself if SSH is cut
\`\`\`

Every YAML file starts with a \`yaml-language-server\` modeline, so editors with YAML support (VS Code's
YAML extension, Neovim's yamlls) complete and check fields from benteng's schemas.

## Before the first deploy

1. Put your administrators' real networks in \`policies/networks.yaml\` (\`admin\`): SSH is accepted
   only from there, and a deploy from anywhere else would be rolled back.
2. Give each server its real addresses and pin its SSH host key in \`policies/hosts.yaml\`.
3. Replace the example service with your own, one file each, with two owners who can be called.
4. \`benteng lint && benteng build\`, commit, open a pull request, then \`benteng deploy --all\`.
`;
}
