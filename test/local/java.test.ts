import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_HEAP_MB, dynamoDbLocalArgs } from '#local/dynamodb-local.ts';
import {
  INSTALL_LINES,
  JRE_PACKAGE,
  javaMajorVersion,
  javaPlan,
  type Machine,
} from '#local/java.ts';

const none = { aptGet: false, dnf: false, brew: false };
const machine = (m: Partial<Machine>): Machine => ({
  platform: 'linux',
  uid: 1000,
  passwordlessSudo: false,
  packageManagers: none,
  ...m,
});

describe('javaPlan', () => {
  it('installs with apt-get as root, as .ci/run does', () => {
    expect(javaPlan(machine({ uid: 0, packageManagers: { ...none, aptGet: true } }))).toEqual({
      kind: 'install',
      package: JRE_PACKAGE,
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', JRE_PACKAGE],
      ],
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  });

  it('installs through sudo when sudo asks for no password, keeping apt non-interactive', () => {
    const plan = javaPlan(
      machine({ passwordlessSudo: true, packageManagers: { ...none, aptGet: true } }),
    );
    expect(plan.kind === 'install' && plan.commands).toEqual([
      ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
      [
        'sudo',
        '-n',
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        JRE_PACKAGE,
      ],
    ]);
  });

  it.each<[string, Partial<Machine>, string]>([
    [
      'apt-get without root or sudo',
      { packageManagers: { ...none, aptGet: true } },
      INSTALL_LINES.apt,
    ],
    [
      'dnf, even as root (only apt-get is run unattended)',
      { uid: 0, packageManagers: { ...none, dnf: true } },
      INSTALL_LINES.dnf,
    ],
    [
      'macOS with Homebrew',
      { platform: 'darwin', packageManagers: { ...none, brew: true } },
      INSTALL_LINES.brew,
    ],
    ['macOS without Homebrew', { platform: 'darwin' }, INSTALL_LINES.other],
    ['Windows', { platform: 'win32', uid: undefined }, INSTALL_LINES.windows],
    ['Linux without a known package manager, as root', { uid: 0 }, INSTALL_LINES.other],
    [
      'apt-get on a platform that is not Linux',
      { platform: 'freebsd', uid: 0, packageManagers: { ...none, aptGet: true } },
      INSTALL_LINES.other,
    ],
  ])('tells the one line to run: %s', (_what, m, line) => {
    const plan = javaPlan(machine(m));
    expect(plan).toEqual({ kind: 'instruct', message: expect.stringContaining(line) });
    expect(plan.kind === 'instruct' && plan.message).toMatch(/^DynamoDB Local needs Java 17\+/);
    expect(plan.kind === 'instruct' && plan.message.split('\n')).toHaveLength(1);
  });
});

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_402"', 8],
    ['Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "11.0.2" 2019-01-15', 11],
    ['something else', undefined],
  ])('%j → %s', (output, major) => {
    expect(javaMajorVersion(output)).toBe(major);
  });
});

describe('dynamoDbLocalArgs', () => {
  it('caps the heap before -jar: the default, SHELLGATE_DYNAMODB_HEAP_MB, or the option', () => {
    const jvmOptions = (args: string[]) => args.slice(0, args.indexOf('-jar'));
    expect(jvmOptions(dynamoDbLocalArgs('/jar', { port: 8000 }))).toContain(
      `-Xmx${DEFAULT_HEAP_MB}m`,
    );
    vi.stubEnv('SHELLGATE_DYNAMODB_HEAP_MB', '768');
    expect(jvmOptions(dynamoDbLocalArgs('/jar', { port: 8000 }))).toContain('-Xmx768m');
    expect(jvmOptions(dynamoDbLocalArgs('/jar', { port: 8000, heapMb: 192 }))).toContain(
      '-Xmx192m',
    );
    vi.unstubAllEnvs();
    expect(() => dynamoDbLocalArgs('/jar', { port: 8000, heapMb: 10 })).toThrow(/64 MiB/);
  });

  it('keeps data in memory unless given a folder', () => {
    expect(dynamoDbLocalArgs('/jar', { port: 8000 })).toContain('-inMemory');
    const onDisk = dynamoDbLocalArgs('/jar', { port: 8000, dbPath: '/data' });
    expect(onDisk.slice(onDisk.indexOf('-dbPath'), onDisk.indexOf('-dbPath') + 2)).toEqual([
      '-dbPath',
      '/data',
    ]);
    expect(onDisk).toContain('-disableTelemetry');
  });
});
