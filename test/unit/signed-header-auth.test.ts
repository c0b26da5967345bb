// The signed user header remembers tokens whose signature and claims passed; the clock-dependent checks
// (expiry, the lifetime cap from settings, nbf) still run on every request, so a remembered token is
// refused exactly when a fresh verification would refuse it.
import { expect } from 'chai';
import type { Context } from 'koa';
import { signedHeaderAuth, signUserToken, USER_HEADER } from '../../src/auth/adapter.js';
import { signToken } from '../../src/auth/signedToken.js';
import type { Actor } from '../../src/auth/actor.js';

const SECRET = 'a-secret-long-enough-for-tests';
const T0 = Date.UTC(2026, 11, 7, 2, 0, 0);
const actor: Actor = { id: 'u-1', name: '前台小李', roles: ['counter_staff'], communityIds: ['1', '7'] };

function request(token: string): Context {
  return { get: (name: string) => (name.toLowerCase() === USER_HEADER ? token : '') } as unknown as Context;
}

describe('signed user header', () => {
  it('accepts a token again and again, each time with a fresh copy of the actor', async () => {
    let now = T0;
    const auth = signedHeaderAuth(SECRET, () => now);
    const token = signUserToken(actor, SECRET, 300, T0);
    const first = (await auth(request(token)))!;
    expect(first).to.deep.equal(actor);
    first.roles.push('manager');
    first.communityIds!.push('9');
    now += 1000;
    expect(await auth(request(token))).to.deep.equal(actor);
  });

  it('refuses a remembered token once it expires or outlives the lifetime cap', async () => {
    let now = T0;
    const auth = signedHeaderAuth(SECRET, () => now);
    const token = signUserToken(actor, SECRET, 600, T0);
    expect(await auth(request(token), { maxTokenLifetimeSeconds: 3600 })).to.deep.equal(actor);
    // Settings lowered the cap to 5 minutes: a 10-minute token is refused from then on.
    expect(await auth(request(token), { maxTokenLifetimeSeconds: 300 })).to.equal(null);
    expect(await auth(request(token), { maxTokenLifetimeSeconds: 3600 })).to.deep.equal(actor);
    now = T0 + 600_000;
    expect(await auth(request(token), { maxTokenLifetimeSeconds: 3600 })).to.equal(null);
  });

  it('refuses a token that is not yet valid until its time comes', async () => {
    let now = T0;
    const auth = signedHeaderAuth(SECRET, () => now);
    const iat = Math.floor(T0 / 1000);
    const token = signToken({ sub: 'u-1', name: 'n', roles: [], communities: null, iat, nbf: iat + 120, exp: iat + 600 }, SECRET);
    expect(await auth(request(token))).to.equal(null);
    now = T0 + 61_000;
    expect(await auth(request(token))).to.deep.equal({ id: 'u-1', name: 'n', roles: [], communityIds: null });
    now = T0;
    expect(await auth(request(token))).to.equal(null);
  });

  it('refuses a token whose claims were changed, one with more text, and one signed with another secret', async () => {
    const auth = signedHeaderAuth(SECRET, () => T0);
    const token = signUserToken(actor, SECRET, 300, T0);
    expect(await auth(request(token))).to.deep.equal(actor);
    const other = token[5] === 'A' ? 'B' : 'A';
    expect(await auth(request(`${token.slice(0, 5)}${other}${token.slice(6)}`))).to.equal(null);
    expect(await auth(request(`${token}x`))).to.equal(null);
    expect(await signedHeaderAuth('another-secret-entirely!', () => T0)(request(token))).to.equal(null);
  });
});
