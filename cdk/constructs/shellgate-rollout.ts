import { Stack, Validations } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import {
  type ILambdaDeploymentConfig,
  LambdaApplication,
  LambdaDeploymentGroup,
} from 'aws-cdk-lib/aws-codedeploy';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Alias } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ShellgateRolloutProps {
  /** The `live` alias of each HTTP function, by the function's name. */
  aliases: Record<string, Alias>;
  deploymentConfig: ILambdaDeploymentConfig;
  /** A deployment during which one of these fires stops and moves the traffic back. */
  alarms: readonly IAlarm[];
}

/**
 * Gradual rollout of the HTTP functions: a new version takes the traffic of its function's
 * `live` alias through CodeDeploy, as the deployment config says, and the deployment rolls
 * back when it fails or when one of the alarms fires while it runs.
 */
export class ShellgateRollout extends Construct {
  readonly application: LambdaApplication;
  readonly role: Role;
  readonly groups: Record<string, LambdaDeploymentGroup> = {};

  constructor(scope: Construct, id: string, props: ShellgateRolloutProps) {
    super(scope, id);
    this.application = new LambdaApplication(this, 'Application');
    // One role for every group; each group attaches the AWS managed policy to it.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('codedeploy.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'CodeDeploy: shifts the live aliases of the shellgate HTTP functions',
    });
    for (const [name, alias] of Object.entries(props.aliases)) {
      this.groups[name] = new LambdaDeploymentGroup(this, name, {
        application: this.application,
        alias,
        deploymentConfig: props.deploymentConfig,
        alarms: [...props.alarms],
        role: this.role,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      reason:
        'CodeDeploy needs this AWS managed policy to shift Lambda aliases (GetAlias/UpdateAlias, DescribeAlarms for the rollback alarms); "Limited" is the narrowest AWS offers for Lambda deployments.',
    });
  }
}
