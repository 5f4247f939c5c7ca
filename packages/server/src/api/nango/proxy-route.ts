// Nango's proxy as `@nangohq/node` 0.71 calls it (`proxy`, `get`, `post`, `put`, `patch`,
// `delete`): `ANY /nango/proxy/{endpoint}`, the connection named by the `Connection-Id` and
// `Provider-Config-Key` headers. Resolved like every /nango route (lookup.ts; the name briefly
// remembered, connection-names.ts), then handed to the same proxy service as
// `/v1/connections/{id}/proxy` — token cache, one refresh on a 401, hostile paths refused,
// audit and metrics — and the provider's answer streamed back as is.
// Nango's retry headers (Retries, Retry-On) and Decompress are not acted on: the proxy
// replays only after a refresh, and it asks the provider for an unencoded body.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireScope } from '../../auth/scopes.js';
import type { AppContext } from '../../context.js';
import { badRequest } from '../../errors.js';
import type { ApiProxy } from '../../proxy/service.js';
import { PROXY_METHODS, setUpProxyRelay } from '../proxy-relay.js';
import { NangoConnectionNames } from './connection-names.js';
import { nangoProviderHeaders, singleHeader } from './proxy-headers.js';

/** As long as the longest external_id Grantkeeper stores (integration keys are shorter). */
const MAX_NAME_LENGTH = 255;

/** `name` as written in messages ('Connection-Id'); Node gives header names in lower case. */
function requiredHeader(request: FastifyRequest, name: string, code: string): string {
  const value = singleHeader(request.headers, name.toLowerCase());
  if (!value) throw badRequest(code, `The ${name} header is required: Connection-Id and Provider-Config-Key name the connection whose token calls the provider's API.`);
  if (value.length > MAX_NAME_LENGTH) throw badRequest(code, `The ${name} header is longer than ${MAX_NAME_LENGTH} characters.`);
  return value;
}

export function nangoProxyRoutes(ctx: AppContext, proxy: ApiProxy): FastifyPluginAsync {
  return async (app) => {
    const relay = setUpProxyRelay(app, proxy, ctx.config.proxy.maxBodyBytes);
    const names = new NangoConnectionNames(ctx);

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const connectionId = requiredHeader(request, 'Connection-Id', 'missing_connection_id');
      const providerConfigKey = requiredHeader(request, 'Provider-Config-Key', 'missing_provider_config_key');
      const publicId = await names.publicIdOf(request, providerConfigKey, connectionId);
      const override = singleHeader(request.headers, 'base-url-override');
      return relay.forward(request, reply, {
        connectionId: publicId,
        headers: nangoProviderHeaders(request.headers),
        pathFrom: 0,
        ...(override ? { baseUrlOverride: override } : {}),
      });
    };
    const schema = {
      tags: ['nango'],
      summary: "Nango's proxy / get / post / put / patch / delete: call the provider's API with the connection's token",
      description:
        "The connection is named by the `Connection-Id` and `Provider-Config-Key` headers; headers for the provider are sent prefixed `Nango-Proxy-`. Same behaviour as `/v1/connections/{id}/proxy`: one refresh and replay on the provider's 401, the provider's status, headers and body unchanged. `Base-Url-Override` may only name a path on the connection's own API host.",
    };
    for (const url of ['/proxy', '/proxy/*']) {
      app.route({ method: PROXY_METHODS, url, config: requireScope('proxy'), schema, handler });
    }
  };
}
