import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseSafeSuffix, isSalesforceId, to18 } from '../src/index.js';

describe('Salesforce ids', () => {
  it('computes the documented case-safe suffix', () => {
    // The classic example from Salesforce's knowledge base.
    expect(to18('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(caseSafeSuffix('00D000000000000')).toBe('EAA'); // 'D' is upper case at index 2
    expect(caseSafeSuffix('ABCDEABCDEABCDE')).toBe('555');
  });

  it('gives ids differing only in case different suffixes', () => {
    const alnum = fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'.split(''));
    fc.assert(
      fc.property(fc.array(alnum, { minLength: 15, maxLength: 15 }), fc.nat(14), (chars, i) => {
        const id = chars.join('');
        const c = id[i]!;
        fc.pre(c.toLowerCase() !== c.toUpperCase());
        const flipped = id.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + id.slice(i + 1);
        expect(to18(id).toLowerCase()).not.toBe(to18(flipped).toLowerCase());
        expect(isSalesforceId(to18(id))).toBe(true);
      }),
    );
  });

  it('rejects a wrong suffix', () => {
    expect(isSalesforceId('001A0000006Vm9rIAC')).toBe(true);
    expect(isSalesforceId('001A0000006Vm9rAAA')).toBe(false);
    expect(isSalesforceId('001A0000006Vm9')).toBe(false);
  });
});
