// The SSRF guard against the whole table of special-purpose ranges (the IANA IPv4 and IPv6
// Special-Purpose Address Registries, plus multicast, site-local and the rest of ::/8), each
// range's first, a middle and its last address, in every textual form an address can take:
// IPv4 in dotted, integer, hex and octal URL spellings; IPv4 carried in IPv6 (mapped,
// translated, compatible, NAT64, in hex and dotted tails, compressed or expanded, upper case,
// with a zone id); 6to4 and Teredo; IPv6 compressed, expanded, upper case, with a dotted tail
// or a zone id. Through the pure policy, and through webhook-URL validation on a real server.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addressAllowed, embeddedIPv4, isSpecialPurposeAddress } from '../src/outbound/address-policy.js';
import { OutboundBlockedError } from '../src/outbound/errors.js';
import { createGuardedFetch } from '../src/outbound/guarded-fetch.js';
import { startTestServer, type TestServer } from './helpers/server.js';

// The registries as data, written here independently of the source's list.
const IPV4_RANGES: [string, string][] = [
  ['0.0.0.0/8', 'this network'], ['10.0.0.0/8', 'private use'], ['100.64.0.0/10', 'shared address space'],
  ['127.0.0.0/8', 'loopback'], ['169.254.0.0/16', 'link local'], ['172.16.0.0/12', 'private use'],
  ['192.0.0.0/24', 'IETF protocol assignments'], ['192.0.0.0/29', 'DS-Lite'], ['192.0.0.8/32', 'IPv4 dummy address'],
  ['192.0.0.9/32', 'PCP anycast'], ['192.0.0.10/32', 'TURN anycast'], ['192.0.0.170/32', 'NAT64/DNS64 discovery'],
  ['192.0.0.171/32', 'NAT64/DNS64 discovery'], ['192.0.2.0/24', 'documentation (TEST-NET-1)'], ['192.31.196.0/24', 'AS112-v4'],
  ['192.52.193.0/24', 'AMT'], ['192.88.99.0/24', 'deprecated 6to4 relay anycast'], ['192.168.0.0/16', 'private use'],
  ['192.175.48.0/24', 'direct delegation AS112'], ['198.18.0.0/15', 'benchmarking'], ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'], ['224.0.0.0/4', 'multicast'], ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'limited broadcast'],
];
const IPV6_RANGES: [string, string][] = [
  ['::1/128', 'loopback'], ['::/128', 'unspecified'], ['64:ff9b:1::/48', 'local-use IPv4/IPv6 translation'],
  ['100::/64', 'discard-only'], ['100:0:0:1::/64', 'dummy IPv6 prefix'], ['2001::/23', 'IETF protocol assignments'],
  ['2001::/32', 'Teredo'], ['2001:1::1/128', 'PCP anycast'], ['2001:1::2/128', 'TURN anycast'], ['2001:1::3/128', 'DNS-SD SRP anycast'],
  ['2001:2::/48', 'benchmarking'], ['2001:3::/32', 'AMT'], ['2001:4:112::/48', 'AS112-v6'], ['2001:10::/28', 'ORCHID (deprecated)'],
  ['2001:20::/28', 'ORCHIDv2'], ['2001:30::/28', 'drone remote ID'], ['2001:db8::/32', 'documentation'], ['2002::/16', '6to4'],
  ['2620:4f:8000::/48', 'direct delegation AS112'], ['3fff::/20', 'documentation'], ['5f00::/16', 'segment routing (SRv6) SIDs'],
  ['fc00::/7', 'unique-local'], ['fe80::/10', 'link-local unicast'], ['fec0::/10', 'site-local (deprecated)'], ['ff00::/8', 'multicast'],
  ['::/8', 'reserved by the IETF (rest of)'],
];

// ── address arithmetic ──────────────────────────────────────────────────────────────────

const v4ToInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const intToV4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
function v4Samples(cidr: string): string[] {
  const [net, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const first = v4ToInt(net);
  return [...new Set([first, first + Math.floor(size / 2), first + size - 1])].map(intToV4);
}

const v6ToBig = (groups: number[]) => groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
const bigToGroups = (n: bigint) => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
function parseV6(text: string): number[] {
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
}
function v6Samples(cidr: string): number[][] {
  const [net, bits] = cidr.split('/') as [string, string];
  const size = 1n << BigInt(128 - Number(bits));
  const first = v6ToBig(parseV6(net));
  const points = [first, first + size / 2n, first + size - 1n];
  return [...new Set(points.map(String))].map((p) => bigToGroups(BigInt(p)));
}

const hex = (g: number) => g.toString(16);
const hex4 = (g: number) => g.toString(16).padStart(4, '0');
const v4Groups = (a: string) => {
  const [o1, o2, o3, o4] = a.split('.').map(Number) as [number, number, number, number];
  return [(o1 << 8) | o2, (o3 << 8) | o4] as const;
};
/** RFC 5952 compression of eight groups. */
function compress(groups: number[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.map(hex).join(':');
  return `${groups.slice(0, best.at).map(hex).join(':')}::${groups.slice(best.at + best.len).map(hex).join(':')}`;
}

// ── every textual form ─────────────────────────────────────────────────────────────────

/** Forms an IPv4 address takes when carried in IPv6 (each judged as the IPv4 address). */
function carriedForms(a: string): string[] {
  const [hi, lo] = v4Groups(a);
  return [
    `::ffff:${a}`, `::ffff:${hex(hi)}:${hex(lo)}`, `::FFFF:${hex(hi).toUpperCase()}:${hex(lo).toUpperCase()}`,
    `0:0:0:0:0:ffff:${a}`, `0000:0000:0000:0000:0000:ffff:${hex4(hi)}:${hex4(lo)}`, `::ffff:${a}%eth0`, `[::ffff:${hex(hi)}:${hex(lo)}]`,
    `::ffff:0:${a}`, `::ffff:0:${hex(hi)}:${hex(lo)}`, `0:0:0:0:ffff:0:${hex4(hi)}:${hex4(lo)}`,
    `64:ff9b::${a}`, `64:ff9b::${hex(hi)}:${hex(lo)}`, `0064:FF9B:0000:0000:0000:0000:${hex4(hi)}:${hex4(lo)}`,
    ...(hi === 0 && lo <= 1 ? [] : [`::${a}`, `::${hex(hi)}:${hex(lo)}`]),
  ];
}
/** Tunnel forms: refused whatever they carry. */
function tunnelForms(a: string): string[] {
  const [hi, lo] = v4Groups(a);
  return [`2002:${hex(hi)}:${hex(lo)}::1`, `2002:${hex4(hi)}:${hex4(lo)}:0:0:0:0:1`, `2001:0:4136:e378:8000:63bf:${hex(hi ^ 0xffff)}:${hex(lo ^ 0xffff)}`];
}
function v4Forms(a: string): string[] {
  return [a, ...carriedForms(a), ...tunnelForms(a)];
}
function v6Forms(groups: number[]): string[] {
  const compressed = compress(groups);
  const expanded = groups.map(hex4).join(':');
  const dottedTail = `${groups.slice(0, 6).map(hex).join(':')}:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  return [compressed, expanded, compressed.toUpperCase(), groups.map(hex).join(':'), `${compressed}%eth0`, `[${compressed}]`, dottedTail];
}
/** How a URL can spell an IPv4 host (the WHATWG parser turns each into dotted decimal). */
function v4UrlHosts(a: string): string[] {
  const n = v4ToInt(a);
  const [o1, o2, o3, o4] = a.split('.').map(Number) as [number, number, number, number];
  return [a, String(n), `0x${n.toString(16)}`, [o1, o2, o3, o4].map((o) => `0${o.toString(8)}`).join('.'), `${o1}.${o2}.${(o3 << 8) | o4}`, `${o1}.${(o2 << 16) | (o3 << 8) | o4}`];
}

const V4_CASES = IPV4_RANGES.flatMap(([cidr, name]) => v4Samples(cidr).map((a) => ({ cidr, name, address: a })));
const V6_CASES = IPV6_RANGES.flatMap(([cidr, name]) => v6Samples(cidr).map((g) => ({ cidr, name, groups: g })));
const PUBLIC_V4 = ['8.8.8.8', '1.1.1.1', '13.110.0.1', '52.95.110.1'];
const PUBLIC_V6 = ['2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '2600:1f18::1'];

describe('the pure policy', () => {
  test.each(V4_CASES)('$cidr ($name): $address refused in every form', ({ address }) => {
    for (const form of v4Forms(address)) {
      expect(isSpecialPurposeAddress(form), form).toBe(true);
      expect(addressAllowed({ allowPrivateNetwork: false }, form, form), form).toBe(false);
    }
  });

  test.each(V6_CASES)('$cidr ($name): $groups refused in every form', ({ groups }) => {
    for (const form of v6Forms(groups)) {
      expect(isSpecialPurposeAddress(form), form).toBe(true);
      expect(addressAllowed({ allowPrivateNetwork: false }, form, form), form).toBe(false);
    }
  });

  test('public addresses are allowed in every form that delivers to them; tunnels never', () => {
    for (const a of PUBLIC_V4) {
      for (const form of [a, ...carriedForms(a)]) expect(isSpecialPurposeAddress(form), form).toBe(false);
      for (const form of tunnelForms(a)) expect(isSpecialPurposeAddress(form), form).toBe(true);
    }
    for (const a of PUBLIC_V6) {
      for (const form of v6Forms(parseV6(a))) expect(isSpecialPurposeAddress(form), form).toBe(false);
    }
  });

  test('anything that is not an IP, or is ambiguous, is refused', () => {
    for (const text of ['', 'localhost', 'example.com', '010.0.0.1', '0x7f.0.0.1', '2130706433', '1.2.3', '::ffff:010.0.0.1', '1::2::3', '12345::1', '[::1', 'fe80::1%']) {
      expect(isSpecialPurposeAddress(text), text).toBe(true);
    }
  });

  test('finds the IPv4 address in every carrying form, and in tunnels', () => {
    for (const a of ['169.254.169.254', '10.0.0.1', '8.8.8.8']) {
      for (const form of [...carriedForms(a), ...tunnelForms(a)]) expect(embeddedIPv4(form), form).toBe(a);
    }
    expect(embeddedIPv4('2606:4700::1')).toBeNull();
    expect(embeddedIPv4('::1')).toBeNull();
  });

  test('an allowlist entry matches the address in the form the policy judges it', () => {
    const policy = { allowPrivateNetwork: ['127.0.0.0/8', 'fd00::/8', '10.1.2.3'] };
    expect(addressAllowed(policy, '::ffff:127.0.0.1', 'h')).toBe(true);
    expect(addressAllowed(policy, '::ffff:0:7f00:1', 'h')).toBe(true);
    expect(addressAllowed(policy, 'FD12::1%eth0', 'h')).toBe(true);
    expect(addressAllowed(policy, '::ffff:a01:203', 'h')).toBe(true);
    expect(addressAllowed(policy, '::ffff:a9fe:a9fe', 'h')).toBe(false);
    expect(addressAllowed(policy, 'fe80::1', 'h')).toBe(false);
  });
});

describe('the guarded fetch', () => {
  test('refuses every carrying and tunnel form of a loopback address before connecting', async () => {
    const strict = createGuardedFetch({ allowPrivateNetwork: false }, { timeoutMs: 1000 });
    for (const form of [...carriedForms('127.0.0.1'), ...tunnelForms('127.0.0.1')].filter((f) => !f.includes('%'))) {
      await expect(strict(`http://[${form.replace(/^\[|\]$/g, '')}]:9/`), form).rejects.toBeInstanceOf(OutboundBlockedError);
    }
  });
});

describe('webhook URL validation', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite', { GRANTKEEPER_ALLOW_PRIVATE_NETWORK: 'false' }, { logName: 'address-policy' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const create = (url: string) => server.api('POST', '/v1/webhook-endpoints', { url });
  /** The same route in process (Fastify's inject: routing, auth, schema, handler), for the bulk of the table. */
  const injectCreate = async (url: string) => {
    const res = await server.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers: { authorization: `Bearer ${server.key}` }, payload: { url } });
    return { status: res.statusCode, body: res.json() };
  };
  const urlHostsOf = (address: string) => [
    ...v4UrlHosts(address),
    ...[...carriedForms(address), ...tunnelForms(address)].filter((f) => !f.includes('%')).map((f) => `[${f.replace(/^\[|\]$/g, '')}]`),
  ];

  test('every special-purpose address, in every form a URL can carry it, is refused', async () => {
    const accepted: string[] = [];
    for (const { address } of V4_CASES) {
      for (const host of urlHostsOf(address)) {
        const res = await injectCreate(`https://${host}/hook`);
        if (res.status !== 400 || res.body.errors?.[0]?.field !== 'url') accepted.push(`${host} → ${res.status}`);
      }
    }
    for (const { groups } of V6_CASES) {
      for (const form of v6Forms(groups).filter((f) => !f.includes('%'))) {
        const res = await injectCreate(`http://[${form.replace(/^\[|\]$/g, '')}]:8080/hook`);
        if (res.status !== 400 || res.body.errors?.[0]?.field !== 'url') accepted.push(`${form} → ${res.status}`);
      }
    }
    expect(accepted).toEqual([]);
    expect((await server.api('GET', '/v1/webhook-endpoints')).body.data).toEqual([]);
  });

  test('the address the attack run used is refused like the one it stands for', async () => {
    for (const url of ['http://[::ffff:0:a9fe:a9fe]/', 'http://169.254.169.254/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[::a9fe:a9fe]/']) {
      const res = await create(url);
      expect(res.status, url).toBe(400);
      expect(res.body.errors[0].message).toMatch(/private or special-purpose/);
    }
  });

  test('public addresses are accepted', async () => {
    for (const host of ['8.8.8.8', '[::ffff:808:808]', '[64:ff9b::808:808]', '[2606:4700:4700::1111]']) {
      const res = await create(`https://${host}/hook`);
      expect(res.status, host).toBe(201);
      expect((await server.api('DELETE', `/v1/webhook-endpoints/${res.body.id}`)).status).toBe(204);
    }
  });
});
