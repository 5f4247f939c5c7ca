import { InputError, requireApp } from './admin.js';
import type { EmulatorContext } from './context.js';
import type { AppRecord } from './state.js';

/**
 * Staged consumer secrets. Salesforce lets a developer stage a new consumer secret beside the
 * current one, update the clients, then apply ("rotate") it so it becomes the only secret
 * (Help: "Stage, Rotate, and Delete OAuth Credentials for an External Client App",
 * https://help.salesforce.com/s/articleView?id=xcloud.eca_stage_oauth_credentials.htm [DOC];
 * the Connect REST API `/apps/oauth/credentials/{app}/{consumer}/staged` [DOC]). That both
 * secrets are accepted while one is staged is what secret-rotation tools describe ("two
 * active credential sets with overlapping validity", Infisical's Salesforce rotation [3P]);
 * `stagedSecretAccepted: false` models the opposite.
 */

export function stageClientSecret(ctx: EmulatorContext, clientId: string, secret: unknown): AppRecord {
  const app = requireApp(ctx, clientId);
  if (typeof secret !== 'string' || secret === '') throw new InputError('client_secret must be a non-empty string');
  if (app.clientSecret === '') throw new InputError('a public client (no consumer secret) has nothing to rotate');
  app.stagedClientSecret = secret;
  return app;
}

/** The staged secret replaces the current one, which stops working at once. */
export function applyStagedClientSecret(ctx: EmulatorContext, clientId: string): AppRecord {
  const app = requireApp(ctx, clientId);
  if (app.stagedClientSecret === null) throw new InputError(`app ${clientId} has no staged consumer secret`);
  app.clientSecret = app.stagedClientSecret;
  app.stagedClientSecret = null;
  return app;
}

export function discardStagedClientSecret(ctx: EmulatorContext, clientId: string): AppRecord {
  const app = requireApp(ctx, clientId);
  app.stagedClientSecret = null;
  return app;
}

/** Which of the app's secrets a request presented, or null for none it accepts. */
export function presentedSecret(app: AppRecord, secret: string): string | null {
  if (secret === app.clientSecret) return app.clientSecret;
  if (app.stagedClientSecret !== null && app.stagedSecretAccepted && secret === app.stagedClientSecret) return app.stagedClientSecret;
  return null;
}
