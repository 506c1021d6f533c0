import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './settings.ts';
import { ShellgateStack } from './shellgate-stack.ts';

/** @default stack name when the context gives none */
export const DEFAULT_STACK_NAME = 'Shellgate';

/**
 * The CDK app: the shellgate stack, configured from context, checked by cdk-nag's AWS Solutions
 * rules at synth time (an unacknowledged finding fails the synth). The tests build the same app.
 */
export function createShellgateApp(props: AppProps = {}): { app: App; stack: ShellgateStack } {
  const app = new App(props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stackName = app.node.tryGetContext('stackName') ?? DEFAULT_STACK_NAME;
  const stack = new ShellgateStack(app, stackName, {
    description: 'shellgate: sandbox gateway control plane (DynamoDB, Lambda, HTTP API)',
    settings: settingsFromContext(app.node),
  });
  return { app, stack };
}
