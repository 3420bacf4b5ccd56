import { readFileSync } from 'node:fs';

/**
 * The server side of the deploy protocol lives in `agent.sh` next to this module (a real POSIX sh
 * file, checked by shellcheck in CI, copied into dist/ by `npm run build:ts`). Its header documents
 * the verbs and the state machine; docs/deploy.md has the diagram and the crash table.
 */
let cached: string | undefined;

export function agentScript(): string {
  cached ??= readFileSync(new URL('./agent.sh', import.meta.url), 'utf8');
  return cached;
}

/** Path of the agent file in this installation (tests run it directly against temporary state dirs). */
export const AGENT_PATH = new URL('./agent.sh', import.meta.url);
