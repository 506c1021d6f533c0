import { enableCompileCache } from 'node:module';

// Each command is a short-lived process: Node's on-disk compile cache halves its start-up work.
enableCompileCache();
const { runCli } = await import('./main.ts');

// `shellgate … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
