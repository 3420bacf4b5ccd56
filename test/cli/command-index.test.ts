import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandNameOf } from '../../src/cli/commands/index.js';
import { processIo } from '../../src/cli/io.js';

describe('the lazy command index', () => {
  it('lists every command each module registers, with the description the command itself carries', async () => {
    const seen = new Map<string, string>();
    for (const loader of new Set(COMMANDS.map((c) => c.load))) {
      const program = new Command('benteng');
      (await loader())(program, processIo([]), () => {});
      for (const command of program.commands) seen.set(command.name(), command.description());
    }
    expect([...seen.keys()].sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    for (const entry of COMMANDS) expect(`${entry.name}: ${seen.get(entry.name)}`).toBe(`${entry.name}: ${entry.summary}`);
  });

  it.each([
    [['lint', '--policies', 'p'], 'lint'],
    [['--no-color', 'status', 'web-01'], 'status'],
    [['help', 'deploy'], 'deploy'],
    [['--version'], undefined],
    [['--help'], undefined],
    [['lnit'], undefined],
  ])('%j runs %s', (argv, name) => {
    expect(commandNameOf(argv)).toBe(name);
  });
});
