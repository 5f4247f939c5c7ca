// The baseline: a bare Fastify route answering a fixed token-shaped JSON body.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const body = { access_token: '00D000000000001!AQ0AQbaseline', token_type: 'Bearer', expires_at: new Date(Date.now() + 7_200_000).toISOString(), instance_url: 'https://example.my.salesforce.com', generation: 2 };
app.get('/v1/connections/:id/token', async () => body);
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ msg: 'grantkeeper listening', url: `http://127.0.0.1:${app.server.address().port}` })}\n`);
