import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { integer } from '../args.ts';
import { forgetToken, saveToken, tokenExpiry } from '../config.ts';
import { CliContext, type CliIO } from '../context.ts';
import { CommandFailed, ExitCode, UsageError } from '../exit-codes.ts';

interface LoginOptions {
  dev?: boolean;
  withToken?: boolean;
  scopes?: string;
  ttl?: number;
  print?: boolean;
}

/** Asks the local dev server (`npm start`) to mint a token signed by its dev key. */
async function mintDevToken(
  fetch: typeof globalThis.fetch,
  endpoint: string,
  scopes?: string[],
  ttlSeconds?: number,
) {
  let res: Response;
  try {
    res = await fetch(`${endpoint}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...(scopes ? { scopes } : {}),
        ...(ttlSeconds ? { ttlSeconds } : {}),
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CommandFailed(
      `Cannot reach the dev server at ${endpoint} (${reason}). Is \`npm start\` running?`,
      ExitCode.unavailable,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { token?: string };
  if (!res.ok || !body.token) {
    throw new CommandFailed(
      `${endpoint} did not mint a token (HTTP ${res.status}): --dev works only against the local dev server.`,
      ExitCode.error,
    );
  }
  return body.token;
}

export function loginCommands(program: Command, io: CliIO): void {
  program
    .command('login')
    .description(
      'keep a token for the endpoint: --dev mints one on the local dev server; otherwise the token given with --token or --with-token',
    )
    .option('--dev', 'mint a token on the local dev server (POST /dev/token)')
    .option('--with-token', 'read the token from standard input')
    .option('--scopes <a,b>', '--dev: the scopes (default shellgate:all)')
    .option('--ttl <seconds>', '--dev: lifetime in seconds (default 12 h)', integer)
    .option('--print', 'print the token instead of saving it')
    .action(async (opts: LoginOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      let token: string | undefined;
      if (opts.dev) {
        const scopes = opts.scopes
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        token = await mintDevToken(ctx.fetch, ctx.endpoint, scopes, opts.ttl);
      } else if (opts.withToken) {
        token = readFileSync(0, 'utf8').trim();
      } else {
        token = cmd.optsWithGlobals<{ token?: string }>().token;
      }
      if (!token) {
        throw new UsageError('give --dev, --with-token, or --token TOKEN');
      }
      if (opts.print) {
        ctx.print(token);
        return;
      }
      const file = saveToken(io.env, ctx.endpoint, token);
      const expiry = tokenExpiry(token);
      ctx.print(
        `✓ Logged in to ${ctx.endpoint}${opts.dev ? ' with a dev token' : ''}${expiry ? ` (expires ${expiry.toISOString()})` : ''}`,
      );
      ctx.note(`Token saved in ${file}`);
      if (io.env.SHELLGATE_TOKEN) {
        ctx.note('Note: SHELLGATE_TOKEN is set and takes precedence over the saved token.');
      }
    });

  program
    .command('logout')
    .description("forget the endpoint's saved token")
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const had = forgetToken(io.env, ctx.endpoint);
      ctx.print(had ? `✓ Logged out of ${ctx.endpoint}` : `No saved token for ${ctx.endpoint}.`);
    });
}
