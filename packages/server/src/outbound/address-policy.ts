// Which addresses an outbound call may reach (pure: no I/O). An address is first brought to
// one form — brackets and zone id dropped, IPv6 expanded to its eight groups whatever its
// spelling (compressed, expanded, leading zeros, upper case, a dotted IPv4 tail) — then an
// IPv6 address that carries an IPv4 one by a standard mapping or translation (IPv4-mapped,
// IPv4-translated, IPv4-compatible, the NAT64 well-known prefix) is judged as that IPv4
// address, and everything else against the special-purpose ranges. Tunnel prefixes (6to4,
// Teredo) are refused outright, whatever they carry. Anything that is not an IP is refused.
import { BlockList, isIP } from 'node:net';

// The IANA IPv4 Special-Purpose Address Registry, plus multicast and the limited broadcast.
const SPECIAL_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private use
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private use
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.31.196.0', 24], // AS112-v4
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private use
  ['192.175.48.0', 24], // direct delegation AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
];

// The IANA IPv6 Special-Purpose Address Registry, plus the rest of ::/8 (reserved by the
// IETF), site-local and multicast. ::ffff:0:0/96, 64:ff9b::/96 and the other IPv4-carrying
// forms never reach this list: they are judged by the IPv4 address they carry.
const SPECIAL_V6: [string, number][] = [
  ['::', 8], // unspecified, loopback, and the rest of the reserved ::/8
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['100:0:0:1::', 64], // dummy prefix
  ['2001::', 23], // IETF protocol assignments, Teredo (2001::/32) among them
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['2620:4f:8000::', 48], // direct delegation AS112
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing (SRv6) SIDs
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

// One list per family: a BlockList also matches IPv4 addresses against IPv6 rules (as
// IPv4-mapped), and ::/8 would then swallow every IPv4 address.
const special = { ipv4: new BlockList(), ipv6: new BlockList() };
for (const [net, prefix] of SPECIAL_V4) special.ipv4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of SPECIAL_V6) special.ipv6.addSubnet(net, prefix, 'ipv6');

/** `[addr]` → `addr`; `addr%zone` → `addr`. */
const bare = (address: string) => address.trim().replace(/^\[(.*)\]$/, '$1').split('%')[0]!;

/** Dotted-decimal IPv4 only; a leading zero (octal to some parsers) makes it ambiguous: not an IP. */
function isPlainIPv4(text: string): boolean {
  return isIP(text) === 4 && text.split('.').every((octet) => octet === '0' || !octet.startsWith('0'));
}

/** The eight 16-bit groups of an IPv6 address in any textual form; null when it is not one. */
function ipv6Groups(address: string): number[] | null {
  let text = bare(address).toLowerCase();
  if (isIP(text) !== 6) return null;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    if (!isPlainIPv4(tail[1]!)) return null;
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 ? (halves[1] ? halves[1].split(':') : []) : [];
  const fill = halves.length === 2 ? new Array<string>(8 - head.length - rest.length).fill('0') : [];
  const groups = [...head, ...fill, ...rest].map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : null;
}

const toIPv4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
const zeros = (groups: number[], from: number, to: number) => groups.slice(from, to).every((g) => g === 0);

/**
 * The IPv4 address an IPv6 address stands for, by a mapping or translation that delivers to
 * it: IPv4-mapped (::ffff:0:0/96), IPv4-translated (::ffff:0:0:0/96), IPv4-compatible
 * (::/96, deprecated) and the NAT64 well-known prefix (64:ff9b::/96).
 */
function translatedIPv4(groups: number[]): string | null {
  const [g0, g1, , , g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (zeros(groups, 0, 5) && g5 === 0xffff) return toIPv4(g6, g7); // mapped
  if (zeros(groups, 0, 4) && g4 === 0xffff && g5 === 0) return toIPv4(g6, g7); // translated
  if (zeros(groups, 0, 6) && (g6 | g7) !== 0 && !(g6 === 0 && g7 === 1)) return toIPv4(g6, g7); // compatible (not ::1)
  if (g0 === 0x64 && g1 === 0xff9b && zeros(groups, 2, 6)) return toIPv4(g6, g7); // NAT64
  return null;
}

/**
 * An IPv4 address hidden in an IPv6 one, if any: the translations above, and the tunnels
 * (6to4's embedded address, a Teredo client's obfuscated one). For reports and diagnosis;
 * the policy itself refuses the tunnel prefixes whatever they carry.
 */
export function embeddedIPv4(address: string): string | null {
  const groups = ipv6Groups(address);
  if (!groups) return null;
  const translated = translatedIPv4(groups);
  if (translated) return translated;
  if (groups[0] === 0x2002) return toIPv4(groups[1]!, groups[2]!); // 6to4
  if (groups[0] === 0x2001 && groups[1] === 0) return toIPv4(groups[6]! ^ 0xffff, groups[7]! ^ 0xffff); // Teredo client
  return null;
}

/** The one form the policy judges: an IPv4 address, or the expanded IPv6 one; null when `address` is not an IP. */
function normalize(address: string): { family: 'ipv4' | 'ipv6'; address: string } | null {
  const text = bare(address);
  if (isPlainIPv4(text)) return { family: 'ipv4', address: text };
  const groups = ipv6Groups(text);
  if (!groups) return null;
  const carried = translatedIPv4(groups);
  if (carried) return { family: 'ipv4', address: carried };
  return { family: 'ipv6', address: groups.map((g) => g.toString(16)).join(':') };
}

export function isSpecialPurposeAddress(address: string): boolean {
  const normal = normalize(address);
  if (!normal) return true; // not an IP at all: refuse
  return special[normal.family].check(normal.address, normal.family);
}

export interface OutboundPolicy {
  /** true: private addresses allowed; a list: these hosts or CIDRs allowed; false: none. */
  allowPrivateNetwork: boolean | string[];
}

export function addressAllowed(policy: OutboundPolicy, address: string, hostname: string): boolean {
  if (policy.allowPrivateNetwork === true) return true;
  if (!isSpecialPurposeAddress(address)) return true;
  if (policy.allowPrivateNetwork === false) return false;
  const normal = normalize(address);
  for (const entry of policy.allowPrivateNetwork) {
    if (entry.toLowerCase() === hostname.toLowerCase() || entry === address) return true;
    if (!normal) continue;
    // An allowed network is matched in the same normal form the policy judged the address in.
    const [net, bits] = entry.split('/');
    const netNormal = net ? normalize(net) : null;
    if (!netNormal || netNormal.family !== normal.family) continue;
    if (bits === undefined) {
      if (netNormal.address === normal.address) return true;
      continue;
    }
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (normal.family === 'ipv4' ? 32 : 128)) continue;
    const list = new BlockList();
    list.addSubnet(netNormal.address, prefix, netNormal.family);
    if (list.check(normal.address, normal.family)) return true;
  }
  return false;
}
