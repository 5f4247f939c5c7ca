// `/nango`: the endpoints `@nangohq/node` (0.71) calls around auth, and its proxy, in Nango's
// shapes, so an app written against Nango runs unchanged with `host: GRANTKEEPER_URL + '/nango'`.
// Authenticated like /v1 (a Grantkeeper API key as the Nango secret key; every route declares
// its scope), answered through the same services; errors in Nango's `{ error: { code } }`.
import type { FastifyPluginAsync } from 'fastify';
import { authenticate } from '../../auth/authenticate.js';
import type { AppContext } from '../../context.js';
import { notFound } from '../../errors.js';
import type { ApiProxy } from '../../proxy/service.js';
import type { Refresher } from '../../refresh/token-service.js';
import { nangoErrorHandler } from '../problem.js';
import { assertRouteScope, declareRouteScopes } from '../route-scopes.js';
import { markIfProxyUrl } from '../routes/proxy.js';
import { nangoConnectRoutes } from './connect-routes.js';
import { nangoConnectionRoutes } from './connection-routes.js';
import { nangoImportRoutes } from './import-route.js';
import { nangoIntegrationRoutes } from './integration-routes.js';
import { nangoProxyRoutes } from './proxy-route.js';

export function nangoRoutes(ctx: AppContext, refresher: Refresher, proxy: ApiProxy): FastifyPluginAsync {
  return async (nango) => {
    declareRouteScopes(nango);
    nango.setErrorHandler(nangoErrorHandler);
    nango.setNotFoundHandler((request, reply) => {
      markIfProxyUrl(request.url, reply); // e.g. a method the proxy does not take
      return nangoErrorHandler(notFound(`${request.method} ${request.url.split('?')[0]}`), request, reply);
    });
    nango.addHook('onRequest', async (request) => {
      // The Nango SDK sends `Content-Type: application/json` on bodiless GET and DELETE requests.
      if ((request.method === 'GET' || request.method === 'DELETE') && !request.headers['content-length'] && !request.headers['transfer-encoding']) {
        delete request.headers['content-type'];
      }
      await authenticate(ctx, request);
      // A path Nango has and Grantkeeper does not (syncs, records …) is a 404, not a missing scope.
      if (!request.is404) assertRouteScope(request);
    });
    await nango.register(nangoConnectionRoutes(ctx, refresher));
    await nango.register(nangoImportRoutes(ctx));
    await nango.register(nangoConnectRoutes(ctx));
    await nango.register(nangoIntegrationRoutes(ctx));
    await nango.register(nangoProxyRoutes(ctx, proxy));
  };
}
