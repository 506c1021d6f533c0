import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { thisMachine } from '#local/java.ts';

/**
 * Programs some tests drive for real — Debian's Chromium for the API reference page, zsh and
 * fish for the completion scripts, curl for the README's session — installed by the test run itself where the machine allows
 * it (root or passwordless sudo, and apt-get), as `.ci/run` does, so `npm test` needs nothing
 * installed by hand. Elsewhere the run stops with the one line that installs them.
 */
const NEEDED = [
  {
    present: () => existsSync('/usr/bin/chromium'),
    pkg: 'chromium',
    why: 'the API reference page test',
  },
  { present: () => onPath('zsh'), pkg: 'zsh', why: 'the zsh completion test' },
  { present: () => onPath('fish'), pkg: 'fish', why: 'the fish completion test' },
  { present: () => onPath('curl'), pkg: 'curl', why: "the README's curl session test" },
];

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function ensureTestPackages(log: (line: string) => void = (l) => console.error(l)): void {
  const missing = NEEDED.filter((n) => !n.present());
  if (missing.length === 0) return;
  const packages = missing.map((m) => m.pkg);
  const machine = thisMachine();
  const canInstall =
    machine.platform === 'linux' &&
    machine.packageManagers.aptGet &&
    (machine.uid === 0 || machine.passwordlessSudo);
  if (!canInstall) {
    throw new Error(
      `The tests need ${missing.map((m) => `${m.pkg} (${m.why})`).join(', ')}. Install: sudo apt-get install -y ${packages.join(' ')}`,
    );
  }
  const sudo = machine.uid === 0 ? [] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
  for (const m of missing) log(`${m.pkg} not found: installing it for ${m.why}`);
  for (const command of [
    [...sudo, 'apt-get', 'update'],
    [...sudo, 'apt-get', 'install', '-y', ...packages],
  ]) {
    log(`$ ${command.join(' ')}`);
    const run = spawnSync(command[0]!, command.slice(1), {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (run.status !== 0) throw new Error(`${command.join(' ')} failed (exit ${run.status})`);
  }
}
