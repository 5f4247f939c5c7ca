// The catalog loader's cross-field rules: facts back every provider field (unknown means null),
// revocation style and URL agree, the refresh model follows rotation, and every {placeholder}
// in a URL is a declared, used, well-formed template variable.
import type { RevocationRequest } from './revocation-schema.js';
import { FACTS_NEVER_UNKNOWN, REQUIRED_FACTS, type ProviderEntry, type TemplateVariable } from './schema.js';

/** Fails the entry at a JSON pointer (the loader turns it into a CatalogError naming the file). */
export type FailEntry = (pointer: string, message: string) => never;

/** Rules a JSON schema cannot express; calls `fail` on the first broken one. */
export function checkEntryRules(file: string, entry: ProviderEntry, fail: FailEntry): void {
  if (file !== `${entry.key}.json`) fail('/key', `key "${entry.key}" does not match the file name`);

  for (const pointer of REQUIRED_FACTS) {
    if (!(pointer in entry.facts)) fail(`/facts/${escapePointer(pointer)}`, `missing fact for ${pointer}`);
  }
  for (const pointer of FACTS_NEVER_UNKNOWN) {
    if (entry.facts[pointer]?.confidence === 'unknown') fail(`/facts/${escapePointer(pointer)}`, 'this fact cannot be unknown');
  }
  for (const [pointer, fact] of Object.entries(entry.facts)) {
    const at = `/facts/${escapePointer(pointer)}`;
    const target = resolvePointer(entry, pointer);
    if (!target.found) fail(at, `no field ${pointer} in the entry`);
    if (fact.confidence === 'unknown') {
      if (target.value !== null) fail(pointer, 'an unknown fact must be null (never guessed)');
    } else if (fact.source === null) {
      fail(at, `a ${fact.confidence} fact needs a source URL`);
    }
  }

  // revoke_url is set exactly for RFC 7009 revocation; an unknown revoke fact leaves both null.
  const { revoke_style: style, revoke_url: revokeUrl } = entry.auth;
  if ((style === 'rfc7009') !== (revokeUrl !== null)) fail('/auth/revoke_style', 'revoke_url is set if and only if revoke_style is rfc7009');
  if (entry.facts['/auth/revoke_url']?.confidence === 'unknown' && style !== null) {
    fail('/auth/revoke_style', 'must be null while the revoke fact is unknown');
  }
  const revocation = entry.auth.revocation ?? null;
  if (revocation !== null) checkRevocation(entry, revocation, fail);

  // A base read from the token response replaces a fixed one; its host rule must compile.
  const fromToken = entry.api_base_from_token;
  if (fromToken !== undefined) {
    if (entry.api_base_url !== null) fail('/api_base_from_token', 'only for an entry whose api_base_url is null (per connection)');
    if (!('/api_base_from_token' in entry.facts)) fail('/facts/~1api_base_from_token', 'missing fact for /api_base_from_token');
    try {
      new RegExp(fromToken.host_pattern);
    } catch {
      fail('/api_base_from_token/host_pattern', 'is not a regular expression');
    }
  }

  // refresh_model follows from rotation, so the engine never treats an unknown as static.
  const rotates = entry.tokens.rotation.rotates;
  const expected = entry.refresh_model === 'none' ? 'none' : rotates === 'never' ? 'static' : 'rotating';
  if (entry.refresh_model !== expected) {
    fail('/refresh_model', `must be ${expected} when /tokens/rotation/rotates is ${JSON.stringify(rotates)}`);
  }
  if (entry.refresh_model === 'none' && rotates !== null) fail('/tokens/rotation/rotates', 'must be null without refresh tokens');

  // Every {placeholder} used is declared, and every declared variable is used (a host variable
  // through the base URL it replaces).
  const used = new Set<string>();
  // The API base is templated like the endpoints (the proxy renders it with the same values).
  const templates: [pointer: string, template: string | null][] = [
    ...URL_FIELDS.map((field): [string, string | null] => [`/auth/${field}`, entry.auth[field]]),
    ['/api_base_url', entry.api_base_url],
    // {client_id} and {token} are filled by the revocation queue, not by template variables.
    ['/auth/revocation/url', entry.auth.revocation?.url.replaceAll(/\{(client_id|token)\}/g, '') ?? null],
  ];
  for (const [pointer, template] of templates) {
    if (template === null) continue;
    for (const name of placeholders(template)) {
      if (!(name in entry.template_variables)) fail(pointer, `undeclared template variable {${name}}`);
      const variable = entry.template_variables[name]!;
      if (variable.kind === 'base_url' && !template.startsWith(`{${name}}`)) {
        fail(pointer, `base_url variable {${name}} must start the URL`);
      }
      used.add(name);
    }
  }
  for (const [name, variable] of Object.entries(entry.template_variables)) {
    const at = `/template_variables/${name}`;
    if (variable.kind === 'host') checkHostVariable(entry, name, variable, used, fail);
    else if (variable.replaces !== undefined) fail(`${at}/replaces`, 'only a host variable replaces another');
    if (!used.has(name)) fail(at, 'declared but not used in any URL');
    let re: RegExp;
    try {
      re = new RegExp(variable.pattern);
    } catch {
      return fail(`${at}/pattern`, 'not a valid regular expression');
    }
    if (!re.test(variable.example)) fail(`${at}/example`, 'does not match the pattern');
    if (variable.default !== undefined && !re.test(variable.default)) fail(`${at}/default`, 'does not match the pattern');
    if (variable.kind === 'base_url' && variable.from !== 'integration') fail(`${at}/from`, 'a base_url comes from the integration');
  }
}

/** A host variable: per connection, optional, replacing a declared base URL that the URLs use. */
function checkHostVariable(entry: ProviderEntry, name: string, variable: TemplateVariable, used: Set<string>, fail: FailEntry): void {
  const at = `/template_variables/${name}`;
  if (variable.from !== 'connection_config') fail(`${at}/from`, 'a host comes from connection_config');
  if (variable.default !== undefined) fail(`${at}/default`, 'a host variable is optional: no default');
  const replaced = variable.replaces === undefined ? undefined : entry.template_variables[variable.replaces];
  if (!replaced || replaced.kind !== 'base_url') fail(`${at}/replaces`, 'must name a base_url variable');
  if (used.has(variable.replaces!)) used.add(name);
}

export const URL_FIELDS = ['authorization_url', 'token_url', 'refresh_url', 'revoke_url'] as const;
export type UrlField = (typeof URL_FIELDS)[number];

function placeholders(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
}

function escapePointer(pointer: string): string {
  return pointer.replaceAll('~', '~0').replaceAll('/', '~1');
}

function resolvePointer(root: unknown, pointer: string): { found: boolean; value: unknown } {
  let node: unknown = root;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

/** A provider revocation request is complete and consistent (it is sent without a human reading it). */
function checkRevocation(entry: ProviderEntry, r: RevocationRequest, fail: FailEntry): void {
  const at = '/auth/revocation';
  if (entry.auth.revoke_style !== 'custom') fail(at, 'only a custom revoke_style describes its own revocation request');
  if ((r.token_in === 'path') !== r.url.includes('{token}')) fail(`${at}/url`, 'has {token} exactly when token_in is "path"');
  if ((r.token_in === 'body' || r.token_in === 'query') && r.token_field === undefined) fail(`${at}/token_field`, 'required where the token is a field');
  if (r.token_in === 'body' && r.body === 'none') fail(`${at}/body`, 'a token in the body needs a body');
  if (r.client_auth === 'client_secret_post' && r.body === 'none') fail(`${at}/body`, 'client_secret_post needs a body');
  if ((r.client_auth === 'client_secret_header') !== (r.client_auth_scheme !== undefined)) {
    fail(`${at}/client_auth_scheme`, 'set exactly for client_secret_header');
  }
}

