// Which addresses an outbound call may reach (pure: no I/O). Every textual form of an
// address is normalized before the range check: IPv4 hidden in IPv6 (mapped, translated,
// NAT64, 6to4, Teredo, IPv4-compatible) is checked as the IPv4 address it carries.
import { BlockList, isIP } from 'node:net';

// IANA special-purpose registries (IPv4 and IPv6) plus cloud metadata addresses.
const SPECIAL_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.31.196.0', 24], ['192.52.193.0', 24],
  ['192.88.99.0', 24], ['192.168.0.0', 16], ['192.175.48.0', 24], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const SPECIAL_V6: [string, number][] = [
  ['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['3fff::', 20], ['5f00::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

const special = new BlockList();
for (const [net, prefix] of SPECIAL_V4) special.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of SPECIAL_V6) special.addSubnet(net, prefix, 'ipv6');

/** An IPv4 address hidden in an IPv6 one (mapped, NAT64 well-known prefix, 6to4), if any. */
export function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|::ffff:0:|64:ff9b::|::)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (dotted) return dotted[1]!;
  const groups = expandIPv6(lower);
  if (!groups) return null;
  const toV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  // ::ffff:a.b.c.d written in hex, and the IPv4-compatible ::a.b.c.d (deprecated, still routable by some stacks)
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0) && (groups[6]! | groups[7]!) !== 0) {
    return toV4(groups[6]!, groups[7]!);
  }
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return toV4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return toV4(groups[1]!, groups[2]!); // 6to4
  if (groups[0] === 0x2001 && groups[1] === 0) return toV4(groups[6]! ^ 0xffff, groups[7]! ^ 0xffff); // Teredo client
  return null;
}

function expandIPv6(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  const groups = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

export function isSpecialPurposeAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return special.check(address, 'ipv4');
  if (family === 6) {
    const inner = embeddedIPv4(address);
    if (inner !== null) return special.check(inner, 'ipv4') || isPublicEmbeddingDisallowed(address);
    return special.check(address.split('%')[0]!, 'ipv6');
  }
  return true; // not an IP at all: refuse
}

/** Translation prefixes themselves are special-purpose even when they embed a public address. */
function isPublicEmbeddingDisallowed(address: string): boolean {
  const groups = expandIPv6(address.toLowerCase());
  if (!groups) return true;
  return groups[0] === 0x2001 && groups[1] === 0; // Teredo
}

export interface OutboundPolicy {
  /** true: private addresses allowed; a list: these hosts or CIDRs allowed; false: none. */
  allowPrivateNetwork: boolean | string[];
}

export function addressAllowed(policy: OutboundPolicy, address: string, hostname: string): boolean {
  if (policy.allowPrivateNetwork === true) return true;
  if (!isSpecialPurposeAddress(address)) return true;
  if (policy.allowPrivateNetwork === false) return false;
  for (const entry of policy.allowPrivateNetwork) {
    if (entry.toLowerCase() === hostname.toLowerCase() || entry === address) return true;
    const [net, bits] = entry.split('/');
    if (net && bits && isIP(net) && isIP(address) === isIP(net)) {
      const list = new BlockList();
      list.addSubnet(net, Number(bits), isIP(net) === 4 ? 'ipv4' : 'ipv6');
      if (list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6')) return true;
    }
  }
  return false;
}
