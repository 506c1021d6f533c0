import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './settings.ts';
import { ShellgateStack } from './shellgate-stack.ts';

/**
 * A CDK app checked by cdk-nag's AWS Solutions rules at synth time: an unacknowledged finding
 * in any of its stacks, those of a pipeline's stages included, fails the synth.
 */
export function checkedApp(props: AppProps = {}): App {
  const app = new App(props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** The shellgate stack of the stage the context names (`-c stage=…`), or the unstaged one. */
export function addShellgateStack(app: App): ShellgateStack {
  const settings = settingsFromContext(app.node);
  return new ShellgateStack(app, settings.stackName, {
    description: `shellgate${settings.stage ? ` (${settings.stage})` : ''}: sandbox gateway control plane (DynamoDB, Lambda, HTTP API)`,
    settings,
  });
}

/** The CDK app with the shellgate stack, as `cdk synth` builds it; the tests build the same. */
export function createShellgateApp(props: AppProps = {}): { app: App; stack: ShellgateStack } {
  const app = checkedApp(props);
  return { app, stack: addShellgateStack(app) };
}
