import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** DynamoDB Local 3.x runs on Java 17 or newer. */
export const MIN_JAVA_MAJOR = 17;
/** The Debian/Ubuntu package `.ci/run` installs. */
export const JRE_PACKAGE = 'openjdk-17-jre-headless';

/** What decides how Java can be had on a machine. */
export interface Machine {
  platform: NodeJS.Platform;
  /** The effective user id; undefined where there is none (Windows). */
  uid: number | undefined;
  /** `sudo -n true` succeeds: sudo runs without asking for a password. */
  passwordlessSudo: boolean;
  /** The package managers found on PATH. */
  packageManagers: { aptGet: boolean; dnf: boolean; brew: boolean };
}

export type JavaPlan =
  /** Install the JRE now, as `.ci/run` does: each command in turn, non-interactively. */
  | { kind: 'install'; package: string; commands: string[][]; env: Record<string, string> }
  /** Nothing this process may do: tell the person the one line that installs it. */
  | { kind: 'instruct'; message: string };

const NEEDS_JAVA = `DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+ and no such java is on PATH.`;

/** The one line that installs a JRE, per platform and package manager. */
export const INSTALL_LINES = {
  apt: `sudo apt-get update && sudo apt-get install -y ${JRE_PACKAGE}`,
  dnf: 'sudo dnf install -y java-17-openjdk-headless',
  brew: 'brew install --cask temurin@17',
  windows: 'winget install EclipseAdoptium.Temurin.17.JRE',
  other:
    'install a Java 17+ runtime (e.g. Eclipse Temurin from https://adoptium.net) and put java on PATH',
} as const;

/**
 * How this machine gets Java: installed on the spot where that needs nobody (Linux with
 * apt-get, as root or with passwordless sudo), otherwise the instruction for its platform.
 */
export function javaPlan(machine: Machine): JavaPlan {
  const { platform, uid, passwordlessSudo, packageManagers: pm } = machine;
  if (platform === 'linux' && pm.aptGet && (uid === 0 || passwordlessSudo)) {
    // sudo resets the environment: the frontend setting goes through `env`.
    const sudo = uid === 0 ? [] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
    return {
      kind: 'install',
      package: JRE_PACKAGE,
      commands: [
        [...sudo, 'apt-get', 'update'],
        [...sudo, 'apt-get', 'install', '-y', JRE_PACKAGE],
      ],
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    };
  }
  const line =
    platform === 'linux' && pm.aptGet
      ? INSTALL_LINES.apt
      : platform === 'linux' && pm.dnf
        ? INSTALL_LINES.dnf
        : platform === 'darwin' && pm.brew
          ? INSTALL_LINES.brew
          : platform === 'win32'
            ? INSTALL_LINES.windows
            : INSTALL_LINES.other;
  return { kind: 'instruct', message: `${NEEDS_JAVA} Install it: ${line}` };
}

/**
 * The major version in `java -version` output (`openjdk version "17.0.15"`, `java version
 * "1.8.0_402"` → 8); undefined when there is none.
 */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** The major version of the `java` on PATH, or undefined when there is none. */
function installedJavaMajor(): number | undefined {
  // `java -version` writes to stderr.
  const run = spawnSync('java', ['-version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.error || run.status !== 0) return undefined;
  // A java that answers without a version it can be judged by is given the benefit of the doubt.
  return javaMajorVersion(`${run.stderr}\n${run.stdout}`) ?? MIN_JAVA_MAJOR;
}

function onPath(command: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const names = process.platform === 'win32' ? [`${command}.exe`, `${command}.cmd`] : [command];
  return dirs.some((dir) =>
    names.some((name) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  );
}

/** This machine, as `javaPlan` needs it. */
export function thisMachine(): Machine {
  const uid = process.getuid?.();
  const passwordlessSudo =
    uid !== 0 &&
    onPath('sudo') &&
    spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  return {
    platform: process.platform,
    uid,
    passwordlessSudo,
    packageManagers: { aptGet: onPath('apt-get'), dnf: onPath('dnf'), brew: onPath('brew') },
  };
}

/**
 * Makes sure a Java that runs DynamoDB Local is on PATH: there already, installed now where
 * the machine allows it (saying so on `log`), or an error that names the line to run.
 */
export function ensureJava(log: (line: string) => void = (l) => console.error(l)): void {
  const found = installedJavaMajor();
  if (found !== undefined && found >= MIN_JAVA_MAJOR) return;
  const plan = javaPlan(thisMachine());
  if (plan.kind === 'instruct') throw new Error(plan.message);
  log(
    found === undefined
      ? `java not found: installing ${plan.package} for DynamoDB Local`
      : `java ${found} is too old for DynamoDB Local: installing ${plan.package}`,
  );
  for (const [file, ...args] of plan.commands) {
    log(`$ ${[file, ...args].join(' ')}`);
    const run = spawnSync(file as string, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...plan.env },
    });
    if (run.status !== 0) {
      throw new Error(
        `${[file, ...args].join(' ')} failed (exit ${run.status}). Install it by hand: ${INSTALL_LINES.apt}`,
      );
    }
  }
  const installed = installedJavaMajor();
  if (installed === undefined || installed < MIN_JAVA_MAJOR) {
    throw new Error(
      `${plan.package} is installed but java on PATH is ${installed ?? 'missing'}: select Java ${MIN_JAVA_MAJOR}+ (sudo update-alternatives --config java).`,
    );
  }
  log(`java ${installed} installed`);
}
