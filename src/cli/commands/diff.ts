import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Diagnostic, Span } from '../../diagnostics/diagnostic.js';
import { sensitiveLines, sensitiveText } from '../../diff/describe.js';
import { diffAccess } from '../../diff/index.js';
import { DIFF_FORMATTERS, type DiffFormat, type DiffLabels } from '../../diff/format.js';
import { GitTreeError, readRevision, type RevisionTree } from '../../diff/git-tree.js';
import { type CheckResult, checkPolicies } from '../../pipeline.js';
import { REPORTERS } from '../../report/index.js';
import { EXIT, type CliIo, parseDay, UsageError } from '../io.js';

interface DiffOptions {
  policies: string;
  base?: string;
  against?: string;
  format: DiffFormat;
  today?: string;
}

const HELP_AFTER = `
Compares what the policies let through, not their text: per host and direction, the traffic (peers,
protocol, ports or ICMP types) whose verdict changes, old verdict -> new verdict, with the rule that
decides it on each side (id and file:line:col). drop and reject count as different verdicts. A host
only in the new tree is compared with nothing deployed; a host only in the old tree is "removed".

The git revision is read with git plumbing into a temporary directory; the working tree and the index
are not touched.

Examples:
  benteng diff                                   policies/ in the working tree against HEAD
  benteng diff --base origin/main -f markdown    a pull-request comment
  benteng diff --against ../released/policies    two directories

Exit codes: 0 no access change, or changes that open no sensitive port to the whole internet;
1 the change newly opens a sensitive port (SSH, databases, Docker, …, tcp or udp) to the whole
internet on some host, or the new policies have errors; 2 usage or I/O error, or the base cannot be
read (unknown revision, not a git repository, base policies with errors).`;

function relocateSpan(span: Span, fileName: (file: string) => string): Span {
  return { ...span, file: fileName(span.file) };
}

/** The base tree's diagnostics and sources with the temporary checkout's paths replaced by the repository's. */
function relocate(result: CheckResult, fileName: (file: string) => string): { diagnostics: Diagnostic[]; sources: Map<string, string> } {
  return {
    diagnostics: result.diagnostics.map((d) => ({
      ...d,
      ...(d.span ? { span: relocateSpan(d.span, fileName) } : {}),
      ...(d.related ? { related: d.related.map((r) => ({ ...r, span: relocateSpan(r.span, fileName) })) } : {}),
    })),
    sources: new Map([...result.sources].map(([file, text]) => [fileName(file), text])),
  };
}

export function registerDiff(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('diff')
    .description('show how access changes between two policy trees: per host and direction, the traffic whose verdict changes and the rules responsible')
    .option('-p, --policies <dir>', 'policies directory (the new side)', 'policies')
    .option('--base <git-ref>', 'compare with the policies directory at this git revision (default: HEAD)')
    .option('--against <dir>', 'compare with another policies directory instead of a git revision')
    .addOption(new Option('-f, --format <format>', 'output format').choices(Object.keys(DIFF_FORMATTERS)).default('pretty'))
    .option('--today <date>', 'judge rule expiry against this day (YYYY-MM-DD) instead of today, on both sides', parseDay)
    .addHelpText('after', HELP_AFTER)
    .action(async (options: DiffOptions) => {
      if (options.base !== undefined && options.against !== undefined) throw new UsageError('give either --base <git-ref> or --against <dir>, not both');
      const { chalk } = io;
      const checkOptions = { lint: false, ...(options.today ? { today: options.today } : {}) };
      const printDiagnostics = (diagnostics: readonly Diagnostic[], sources: ReadonlyMap<string, string>) => {
        if (options.format === 'github') io.stdout(REPORTERS.github!(diagnostics, { chalk, sources, cwd: process.cwd() }));
        else io.stderr(REPORTERS.pretty!(diagnostics, { chalk, sources }));
      };

      const after = await checkPolicies(options.policies, checkOptions);
      if (!after.model) {
        printDiagnostics(after.diagnostics, after.sources);
        io.stderr(`${chalk.red('error')}: the policies in ${options.policies} have errors; nothing to compare\n`);
        setExit(EXIT.findings);
        return;
      }

      let revision: RevisionTree | undefined;
      try {
        let baseDir: string;
        let labels: DiffLabels;
        let oldFileName: ((file: string) => string) | undefined;
        if (options.against !== undefined) {
          baseDir = options.against;
          labels = { base: options.against, policies: options.policies };
        } else {
          const ref = options.base ?? 'HEAD';
          const tree = (revision = await readRevision(options.policies, ref));
          baseDir = tree.dir;
          labels = { base: `${ref} (${tree.commit.slice(0, 7)})`, policies: options.policies, revision: ref };
          oldFileName = (file) => join(options.policies, relative(tree.dir, file));
        }

        const before = await checkPolicies(baseDir, checkOptions);
        if (!before.model) {
          const relocated = oldFileName ? relocate(before, oldFileName) : before;
          printDiagnostics(relocated.diagnostics, relocated.sources);
          io.stderr(`${chalk.red('error')}: the base policies (${labels.base}) have errors; cannot compare\n`);
          setExit(EXIT.usage);
          return;
        }

        const diff = diffAccess(before, after, oldFileName ? { oldFileName } : {});
        io.stdout(DIFF_FORMATTERS[options.format](diff, { ...labels, chalk, cwd: process.cwd() }));
        const opened = sensitiveLines(diff.sensitive);
        if (opened.length > 0 && options.format !== 'pretty') {
          io.stderr(`${chalk.red('error')}: this change newly opens ${opened.map(sensitiveText).join('; ')}\n`);
        }
        setExit(diff.sensitive.length > 0 ? EXIT.findings : EXIT.ok);
      } catch (error) {
        if (!(error instanceof GitTreeError)) throw error;
        io.stderr(`${chalk.red('error')}: ${error.message}\n`);
        setExit(EXIT.usage);
      } finally {
        await revision?.dispose();
      }
    });
}
