import { requireApp, requireOrg, revokeApprovals } from './admin.js';
import type { EmulatorContext } from './context.js';

/**
 * An app's installation in one org. External Client Apps work only in orgs where they are
 * installed (a packaged ECA is installed with its package); with API Access Control on, the same
 * goes for Connected Apps. Uninstalling a Connected App removes every user's access and refresh
 * tokens (packaging guide, "Uninstall a Connected App" [DOC]); what an ECA's existing tokens do
 * is not documented: here they are kept and answer `app_not_found` until it is installed again
 * (users report pre-existing grants working again after an admin installed the app, [3P]).
 */

export function installApp(ctx: EmulatorContext, clientId: string, orgId: string): void {
  setInstalled(ctx, clientId, orgId, true);
}

/** Returns how many approvals were revoked (Connected Apps only). */
export function uninstallApp(ctx: EmulatorContext, clientId: string, orgId: string): number {
  const app = setInstalled(ctx, clientId, orgId, false);
  if (app.appType !== 'connected_app') return 0;
  return revokeApprovals(ctx, { clientId, orgId: requireOrg(ctx, orgId).orgId }, 'app_uninstalled');
}

function setInstalled(ctx: EmulatorContext, clientId: string, orgId: string, installed: boolean) {
  const app = requireApp(ctx, clientId);
  const org = requireOrg(ctx, orgId);
  const overrides = org.appPolicy.get(app.clientId) ?? {};
  overrides.appInstalled = installed;
  org.appPolicy.set(app.clientId, overrides);
  return app;
}
