import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { TableDefinition } from '#lib/store/table.ts';

export interface ShellgateTableProps {
  definition: TableDefinition;
  /** RETAIN and deletion protection; off only for throwaway stacks. @default true */
  retain?: boolean;
}

/**
 * The one table, built from the shared table definition (the same one the dev server and the
 * tests create locally): on demand, point-in-time recovery, encrypted with the AWS managed key.
 */
export class ShellgateTable extends Construct {
  readonly table: Table;
  /** ARNs of the table and each of its indexes: the only resources a function's role names. */
  readonly resourceArns: string[];

  constructor(scope: Construct, id: string, props: ShellgateTableProps) {
    super(scope, id);
    const { definition } = props;
    const retain = props.retain ?? true;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: definition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // The AWS managed key (aws/dynamodb): encryption under a key visible in KMS and
      // CloudTrail, with no monthly key charge and no key policy for the functions to need.
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      stream: StreamViewType[definition.stream],
    });
    for (const index of definition.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        // Lists return whole objects from the index.
        projectionType: ProjectionType.ALL,
      });
    }
    this.resourceArns = [
      this.table.tableArn,
      ...definition.indexes.map((index) => `${this.table.tableArn}/index/${index.name}`),
    ];
  }
}
