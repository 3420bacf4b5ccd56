import { FleetAccess } from './access/index.js';
import { checkKey } from './cache/keys.js';
import { parsedFileCache } from './cache/parsed-files.js';
import type { CacheStore } from './cache/store.js';
import { compareDiagnostics, type Diagnostic, hasErrors } from './diagnostics/diagnostic.js';
import { lintPolicy, loadLintConfig } from './lint/index.js';
import { parsePolicyFiles, type PolicyReads, readPolicyFiles } from './load/index.js';
import type { FleetModel } from './model/index.js';
import type { PolicySet } from './policy/index.js';
import { BLOCKLIST_EXPIRED, resolvePolicy, todayUtc } from './resolve/index.js';
import { validatePolicies } from './validate/index.js';

export interface CheckOptions {
  /** The day expiry is judged against (`YYYY-MM-DD`, UTC); defaults to today. */
  today?: string;
  /** Run the lint stage after a clean resolve (default true). */
  lint?: boolean;
  /**
   * The build cache (`.benteng-cache/`): when the inputs, the options and benteng itself are unchanged
   * since a cached check, its diagnostics are returned without parsing anything (and without a model).
   */
  cache?: CacheStore;
  /** The caller needs the model: with `cache`, still reuse parsed files but never a cached check's diagnostics alone. */
  model?: boolean;
}

export interface CheckResult {
  policy?: PolicySet;
  model?: FleetModel;
  /** What each host's chains decide, built on demand from the model and shared by lint, emit and query. */
  access?: FleetAccess;
  /** Sorted by file and position. */
  diagnostics: Diagnostic[];
  /** Text of every policy file that parsed, by path, for code frames. */
  sources: Map<string, string>;
  /** True when the diagnostics came from the cache (then there is no policy, model or access). */
  cached?: boolean;
}

/** What the cache keeps of a check: its diagnostics and which files' texts were its sources. */
interface CachedCheck {
  diagnostics: Diagnostic[];
  sources: string[];
}

/**
 * Runs the front of the pipeline in order: load → validate → resolve → access → lint. A stage runs only
 * when the stages before it reported no error; the model and its access model (built per host and
 * protocol class on first use, then shared by lint, emit, `query` and `diff`) are present only when the
 * policy resolved cleanly.
 * Lint reads `benteng.yaml` from the policies directory and re-reports the resolver's `rule-expired`
 * warnings as its own `rule-expired` rule (configurable, suppressible), so they are not reported twice;
 * the same for `blocklist-expired`.
 */
export async function checkPolicies(dir: string, options: CheckOptions = {}): Promise<CheckResult> {
  return checkReads(await readPolicyFiles(dir), options);
}

/** `checkPolicies` on a directory already read (the build reads it first to look up its own cache). */
export async function checkReads(reads: PolicyReads, options: CheckOptions = {}): Promise<CheckResult> {
  const { cache } = options;
  if (!cache) return checkUncached(reads, options);
  const today = options.today ?? todayUtc();
  const key = checkKey(reads.fingerprint, { today, lint: options.lint ?? true });
  const hit = options.model ? undefined : await cache.get<CachedCheck>('check', key);
  const texts = new Map<string, string>();
  for (const { file, read } of [...reads.files, ...(reads.lintConfig ? [reads.lintConfig] : [])]) if (read.ok) texts.set(file, read.text);
  if (hit && Array.isArray(hit.diagnostics) && Array.isArray(hit.sources) && hit.sources.every((file) => texts.has(file))) {
    return { diagnostics: hit.diagnostics, sources: new Map(hit.sources.map((file) => [file, texts.get(file)!])), cached: true };
  }
  const result = await checkUncached(reads, { ...options, today });
  await cache.put('check', key, { diagnostics: result.diagnostics, sources: [...result.sources.keys()] } satisfies CachedCheck);
  return result;
}

async function checkUncached(reads: PolicyReads, options: CheckOptions): Promise<CheckResult> {
  const { dir } = reads;
  const loaded = await parsePolicyFiles(reads, options.cache ? { cache: parsedFileCache(options.cache) } : {});
  // Every file read as text, parsed or not, so a YAML syntax error gets its code frame too.
  const sources = new Map(reads.files.flatMap(({ file, read }): Array<[string, string]> => (read.ok ? [[file, read.text]] : [])));
  const diagnostics = [...loaded.diagnostics];
  const finish = (result: Omit<CheckResult, 'diagnostics' | 'sources'>): CheckResult => ({
    ...result,
    diagnostics: diagnostics.sort(compareDiagnostics),
    sources,
  });
  if (loaded.documents.length === 0) return finish({});

  const validated = validatePolicies(loaded);
  diagnostics.push(...validated.diagnostics);
  if (!validated.policy || hasErrors(diagnostics)) return validated.policy ? finish({ policy: validated.policy }) : finish({});

  const resolved = resolvePolicy(validated.policy, options);
  diagnostics.push(...resolved.diagnostics);
  if (hasErrors(resolved.diagnostics)) return finish({ policy: validated.policy });

  const access = new FleetAccess(resolved.model);
  if (options.lint ?? true) {
    const config = await loadLintConfig(dir);
    if (config.source) sources.set(config.source.file, config.source.text);
    const expiredByResolver = diagnostics.filter((d) => d.code === 'rule-expired' || d.code === BLOCKLIST_EXPIRED);
    diagnostics.splice(0, diagnostics.length, ...diagnostics.filter((d) => !expiredByResolver.includes(d)), ...config.diagnostics);
    diagnostics.push(...lintPolicy({ policy: validated.policy, model: resolved.model, config: config.config, sources: new Map(loaded.documents.map((d) => [d.source.file, d.source.text])), access }));
  }
  return finish({ policy: validated.policy, model: resolved.model, access });
}
