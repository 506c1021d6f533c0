import type { z } from 'zod/mini';
import * as S from '#lib/api/schemas.ts';
import * as V from '#lib/api/view-schemas.ts';
import type { OperationId } from './operations.ts';

export interface OperationSchemas {
  params?: z.ZodMiniType;
  query?: z.ZodMiniType;
  body?: z.ZodMiniType;
  response: z.ZodMiniType;
}

/**
 * The zod schemas of every operation: the very objects the route table validates with, so the
 * client's request and response types are inferred from them (`import type` in `types.ts`:
 * nothing here is loaded by the client at run time). Programs may import this to validate.
 */
export const operationSchemas = {
  createProvider: { body: S.CreateProviderBody, response: V.ProviderView },
  listProviders: { query: S.ListQuery, response: V.ProviderListView },
  getProvider: { params: S.NameParams, response: V.ProviderView },
  updateProvider: { params: S.NameParams, body: S.UpdateProviderBody, response: V.ProviderView },
  deleteProvider: { params: S.NameParams, query: S.PreconditionQuery, response: V.ProviderView },
  createSandbox: { body: S.CreateSandboxBody, response: V.SandboxView },
  listSandboxes: { query: S.SandboxListQuery, response: V.SandboxListView },
  getSandbox: { params: S.NameParams, response: V.SandboxView },
  deleteSandbox: { params: S.NameParams, query: S.PreconditionQuery, response: V.SandboxView },
  reportSandboxStatus: {
    params: S.NameParams,
    body: S.SandboxStatusBody,
    response: V.SandboxView,
  },
  listAttachedProviders: {
    params: S.NameParams,
    query: S.AttachedProvidersQuery,
    response: V.AttachedProviderListView,
  },
  attachProvider: {
    params: S.ProviderAttachmentParams,
    query: S.PreconditionQuery,
    response: V.AttachResultView,
  },
  detachProvider: {
    params: S.ProviderAttachmentParams,
    query: S.PreconditionQuery,
    response: V.DetachResultView,
  },
  getSandboxConfig: { params: S.NameParams, response: V.SandboxConfigView },
  putPolicy: { params: S.NameParams, body: S.PolicyBody, response: V.PolicyResultView },
  listPolicyRevisions: {
    params: S.NameParams,
    query: S.ListQuery,
    response: V.PolicyRevisionListView,
  },
  reportPolicyRevisionStatus: {
    params: S.RevisionParams,
    body: S.RevisionStatusBody,
    response: V.PolicyRevisionView,
  },
  setSandboxSetting: {
    params: S.SandboxSettingParams,
    body: S.SettingBody,
    response: V.SettingsView,
  },
  deleteSandboxSetting: {
    params: S.SandboxSettingParams,
    query: S.PreconditionQuery,
    response: V.SettingsView,
  },
  getGlobalSettings: { response: V.SettingsView },
  setGlobalSetting: { params: S.SettingParams, body: S.SettingBody, response: V.SettingsView },
  deleteGlobalSetting: {
    params: S.SettingParams,
    query: S.PreconditionQuery,
    response: V.SettingsView,
  },
  createSSHSession: {
    params: S.NameParams,
    body: S.SSHSessionBody,
    response: V.CreatedSSHSessionView,
  },
  listSSHSessions: { params: S.NameParams, query: S.ListQuery, response: V.SSHSessionListView },
  revokeSSHSession: {
    params: S.SessionParams,
    query: S.PreconditionQuery,
    response: V.RevokeSSHSessionResultView,
  },
  exposeService: { params: S.ServiceParams, body: S.ServiceBody, response: V.ServiceView },
  listServices: { query: S.ServiceListQuery, response: V.ServiceListView },
  getService: { params: S.ServiceParams, response: V.ServiceView },
  deleteService: { params: S.ServiceParams, query: S.PreconditionQuery, response: V.ServiceView },
  listInferenceRoutes: { query: S.ListQuery, response: V.InferenceRouteListView },
  getInferenceRoute: { params: S.NameParams, response: V.InferenceRouteView },
  upsertInferenceRoute: {
    params: S.NameParams,
    body: S.InferenceRouteBody,
    response: V.InferenceRouteView,
  },
  healthz: { response: V.HealthView },
  openapi: { response: V.OpenApiDocumentView },
  docs: { response: V.HtmlPageView },
} satisfies Record<OperationId, OperationSchemas>;
