import type * as Domain from '#lib/domain/inputs.ts';
import type { Yields } from './common.ts';
import type { PolicyBody, PolicyMergeBody, RevisionStatusBody } from './config.ts';
import type {
  DraftApproveManyBody,
  DraftDecisionBody,
  DraftEditBody,
  DraftRejectBody,
  DraftSubmitBody,
} from './drafts.ts';
import type { CreateProviderBody, UpdateProviderBody } from './providers.ts';
import type { CreateSandboxBody, SandboxStatusBody } from './sandboxes.ts';
import type { ServiceBody, SSHSessionBody } from './sessions.ts';

/** Compiles only while every body schema yields its use-case's input (the floors point one way). */
export type Conformance = [
  Yields<CreateProviderBody, Domain.CreateProviderInput>,
  Yields<UpdateProviderBody, Domain.UpdateProviderInput>,
  Yields<CreateSandboxBody, Domain.CreateSandboxInput>,
  Yields<SandboxStatusBody, Domain.SandboxStatusInput>,
  Yields<PolicyBody, Domain.PolicyInput>,
  Yields<PolicyMergeBody, Domain.PolicyMergeInput>,
  Yields<RevisionStatusBody, Domain.RevisionStatusInput>,
  Yields<SSHSessionBody, Domain.SSHSessionInput>,
  Yields<ServiceBody, Domain.ServiceInput>,
  Yields<DraftSubmitBody, Domain.DraftSubmitInput>,
  Yields<DraftEditBody, Domain.DraftEditInput>,
  Yields<DraftDecisionBody, Domain.DraftDecisionInput>,
  Yields<DraftRejectBody, Domain.DraftRejectInput>,
  Yields<DraftApproveManyBody, Domain.DraftApproveManyInput>,
];
