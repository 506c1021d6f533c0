import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY } from '#test/support/cli.ts';
import { complete } from '../../cli/completion.ts';
import { saveContext } from '../../cli/config.ts';
import { buildProgram } from '../../cli/main.ts';

/**
 * `shellgate completion bash|zsh|fish`: the candidates the command tree gives, and each shell's
 * script loaded in that very shell (`.ci/run` installs zsh and fish) asking a `shellgate` on
 * the PATH.
 */

const run = promisify(execFile);
const configDir = mkdtempSync(join(tmpdir(), 'shellgate-completion-config-'));
const env = { SHELLGATE_CONFIG_DIR: configDir };
const sink = { write: () => true };
const program = buildProgram({ stdout: sink, stderr: sink, env, cwd: tmpdir() }, () => {});
const values = (words: string[]) => complete(program, words, env).map((c) => c.value);

/** A directory with a `shellgate` that runs this checkout's CLI, for the shells' PATH. */
let bin: string;

beforeAll(() => {
  saveContext(env, 'prod', { endpoint: 'https://api.example.org', token: 'completion-token' });
  saveContext(env, 'dev', { endpoint: 'http://127.0.0.1:8080' });
  bin = mkdtempSync(join(tmpdir(), 'shellgate-completion-bin-'));
  const wrapper = join(bin, 'shellgate');
  writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${CLI_ENTRY}" "$@"\n`);
  chmodSync(wrapper, 0o755);
});

/** Runs a shell script with the wrapper first on the PATH; answers its output lines. */
async function shell(file: string, args: string[]): Promise<string[]> {
  if (!existsSync(file)) throw new Error(`${file} is missing: apt-get install -y zsh fish`);
  const { stdout } = await run(file, args, {
    env: { PATH: `${bin}:${process.env.PATH}`, HOME: configDir, ...env },
  });
  return stdout.split('\n').filter(Boolean);
}

describe('completion candidates', () => {
  it('offers the subcommands of where the line is, by prefix', () => {
    expect(values(['sa'])).toEqual(['sandbox']);
    expect(values(['sandbox', 'provider', ''])).toEqual(['list', 'attach', 'detach']);
    expect(values(['co'])).toEqual(['context', 'completion']);
    // A global option and its value in between change nothing.
    expect(values(['-o', 'json', 'sandbox', 'provider', 'at'])).toEqual(['attach']);
  });

  it('offers options, the globals included, and the values an option takes', () => {
    expect(values(['provider', 'create', '--t'])).toEqual(['--type', '--token']);
    expect(values(['sandbox', 'list', '-o', ''])).toEqual(['table', 'json', 'yaml', 'jsonpath=']);
    expect(values(['--context', ''])).toEqual(['dev', 'prod']);
    expect(values(['context', 'use', 'p'])).toEqual(['prod']);
    expect(values(['policy', 'drafts', 'ap'])).toEqual(['approve', 'approve-all']);
    expect(values(['policy', 'drafts', 'list', 'dev', '--status', ''])).toEqual([
      'PENDING',
      'APPROVED',
      'REJECTED',
    ]);
    expect(values(['policy', 'merge', 'dev', '--remove-'])).toEqual([
      '--remove-rule',
      '--remove-endpoint',
      '--remove-binary',
    ]);
  });

  it('reaches every command of the program', () => {
    const missing: string[] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        if (!values([...path, '']).includes(sub.name()))
          missing.push([...path, sub.name()].join(' '));
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(program, []);
    expect(missing).toEqual([]);
  });

  it('prints a script for each shell and refuses others', async () => {
    const { runCli } = await import('../../cli/main.ts');
    for (const name of ['bash', 'zsh', 'fish']) {
      let out = '';
      const io = { stdout: { write: (s: string) => (out += s) }, stderr: sink, env, cwd: tmpdir() };
      expect(await runCli(['completion', name], io)).toBe(0);
      expect(out).toContain('shellgate __complete');
    }
    let err = '';
    const io = { stdout: sink, stderr: { write: (s: string) => (err += s) }, env, cwd: tmpdir() };
    expect(await runCli(['completion', 'powershell'], io)).toBe(2);
    expect(err).toContain('must be bash, zsh, fish');
  });
});

describe('the completion scripts in their shells', () => {
  it('bash: COMPREPLY from the script sourced into bash', async () => {
    const script = `
      source <(shellgate completion bash)
      COMP_WORDS=(shellgate sandbox pro); COMP_CWORD=2; _shellgate_complete; echo "1:\${COMPREPLY[*]}"
      COMP_WORDS=(shellgate -o ""); COMP_CWORD=2; _shellgate_complete; echo "2:\${COMPREPLY[*]}"
      COMP_WORDS=(shellgate context use ""); COMP_CWORD=3; _shellgate_complete; echo "3:\${COMPREPLY[*]}"
      complete -p shellgate`;
    expect(await shell('/bin/bash', ['-c', script])).toEqual([
      '1:provider',
      '2:table json yaml jsonpath=',
      '3:dev prod',
      'complete -o default -F _shellgate_complete shellgate',
    ]);
  });

  it('zsh: the candidates the script hands to _describe', async () => {
    // The completion system itself needs a terminal; its two entry points are stood in for.
    const script = `
      compdef() { print -r -- "compdef $*" }
      _describe() { local name=\${@[-1]}; print -rl -- "\${(@P)name}" }
      source <(shellgate completion zsh)
      words=(shellgate sandbox pro); CURRENT=3; _shellgate
      words=(shellgate --context ''); CURRENT=3; _shellgate`;
    expect(await shell('/usr/bin/zsh', ['-f', '-c', script])).toEqual([
      'compdef _shellgate shellgate',
      'provider:providers attached to a sandbox',
      'dev:http://127.0.0.1:8080',
      'prod:https://api.example.org',
    ]);
  });

  it('fish: complete -C with the script loaded', async () => {
    const script = `shellgate completion fish | source
      complete -C "shellgate sandbox pro"
      complete -C "shellgate --context "
      complete -C "shellgate provider create --ty"`;
    expect(await shell('/usr/bin/fish', ['--no-config', '-c', script])).toEqual([
      'provider\tproviders attached to a sandbox',
      'dev\thttp://127.0.0.1:8080',
      'prod\thttps://api.example.org',
      '--type\tprovider type, e.g. openai, github',
    ]);
  });
});
