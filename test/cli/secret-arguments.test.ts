import { describe, expect, it } from 'vitest';
import { runCommand } from '#test/support/cli.ts';
import { secretMap } from '../../cli/args.ts';

/** A credential value that a usage error must never print. */
const SECRET = 'ghp_usage-error-secret-value';

describe('a credential with an empty KEY', () => {
  it('is a usage error that does not repeat the value', () => {
    // act
    const error = (() => {
      try {
        secretMap([`=${SECRET}`], '--credential', {});
      } catch (err) {
        return err as Error;
      }
    })();
    // assert
    expect(error?.message).toMatch(/^--credential takes KEY=VALUE or KEY/);
    expect(error?.message).not.toContain(SECRET.slice(4));
  });

  it.each([
    ['provider', 'create', 'p', '--type', 'github'],
    ['provider', 'update', 'p'],
  ])('%s %s: exits 2 and prints no part of the value', async (...command) => {
    // act, with no server to reach: the command line is refused before any request
    const res = await runCommand([...command, '--credential', `=${SECRET}`], {
      env: { SHELLGATE_ENDPOINT: 'http://127.0.0.1:9', SHELLGATE_TOKEN: 'unused' },
    });
    // assert
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/--credential takes KEY=VALUE or KEY/);
    expect(res.stdout + res.stderr).not.toContain(SECRET.slice(4));
  });
});
