// The owner's side, pure parts: the status link's token (bound to its complaint, unforgeable), the owner
// token's claims, the masking of phone numbers and the staff surname shown to owners.
import { expect } from 'chai';
import { signOwnerToken, verifyOwnerToken } from '../../src/auth/ownerToken.js';
import { signToken } from '../../src/auth/signedToken.js';
import { linkToken, nonceOf, tokenMatches } from '../../src/owner/links.js';
import { fillTemplate } from '../../src/owner/notices.js';
import { maskPhones, surnameOf } from '../../src/owner/service.js';

const SECRET = 'unit-owner-secret-0123456789';
const NOW = Date.parse('2026-12-06T02:00:00Z');

describe('owner: status link tokens', () => {
  const nonce = 'AAAAAAAAAAAAAAAA';
  const token = linkToken(SECRET, 7, nonce);

  it('are 32 URL-safe characters whose first 16 name the link', () => {
    expect(token).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(nonceOf(token)).to.equal(nonce);
    expect(nonceOf(`${token}x`)).to.equal(null);
    expect(nonceOf('../../etc/passwd')).to.equal(null);
  });

  it('match only their complaint, their nonce and the secret', () => {
    expect(tokenMatches(SECRET, token, 7, nonce)).to.equal(true);
    expect(tokenMatches(SECRET, token, 8, nonce)).to.equal(false);
    expect(tokenMatches(SECRET, token, 7, 'BBBBBBBBBBBBBBBB')).to.equal(false);
    expect(tokenMatches('another-secret-0123456789', token, 7, nonce)).to.equal(false);
    const flipped = token.slice(0, 31) + (token[31] === 'A' ? 'B' : 'A');
    expect(tokenMatches(SECRET, flipped, 7, nonce)).to.equal(false);
  });
});

describe('owner: the owner token (X-Complaints-Owner)', () => {
  it('carries the owner and their units until it expires', () => {
    const token = signOwnerToken({ ownerId: 'o-1', unitIds: ['101', '102'] }, SECRET, 600, NOW);
    const check = verifyOwnerToken(token, SECRET, NOW + 1000);
    expect(check).to.deep.include({ ok: true });
    expect(check.ok && check.owner).to.deep.include({ ownerId: 'o-1', unitIds: ['101', '102'] });
    expect(verifyOwnerToken(token, SECRET, NOW + 601_000)).to.deep.equal({ ok: false, reason: 'expired' });
    expect(verifyOwnerToken(token, 'wrong-secret-0123456789', NOW)).to.deep.equal({ ok: false, reason: 'bad_signature' });
  });

  it('refuses claims it does not know, no units, and lifetimes beyond the cap', () => {
    const exp = Math.floor(NOW / 1000) + 600;
    expect(verifyOwnerToken(signToken({ sub: 'o-1', units: ['101'], roles: ['administrator'], exp }, SECRET), SECRET, NOW)).to.deep.equal({
      ok: false,
      reason: 'invalid_claims',
    });
    expect(verifyOwnerToken(signToken({ sub: 'o-1', units: [], exp }, SECRET), SECRET, NOW)).to.deep.equal({ ok: false, reason: 'invalid_claims' });
    const long = signOwnerToken({ ownerId: 'o-1', unitIds: ['101'] }, SECRET, 30 * 24 * 3600, NOW);
    expect(verifyOwnerToken(long, SECRET, NOW)).to.deep.equal({ ok: false, reason: 'lifetime_too_long' });
  });
});

describe('owner: what the page shows of people and numbers', () => {
  it('masks mobile numbers and hides other long numbers', () => {
    expect(maskPhones('请回电13912345678或座机02188886666')).to.equal('请回电139****5678或座机*******');
    expect(maskPhones('3号楼1201室')).to.equal('3号楼1201室');
  });

  it('shows staff by surname only, dropping role words; nothing when unsure', () => {
    expect(surnameOf('前台王芳')).to.equal('王');
    expect(surnameOf('客服主管陈敏')).to.equal('陈');
    expect(surnameOf('李娜')).to.equal('李');
    expect(surnameOf('Alice')).to.equal(null);
    expect(surnameOf('管理员')).to.equal(null);
  });

  it('fills the notice templates, leaving other braces alone', () => {
    expect(fillTemplate('编号{code}，{due}前答复：{link}{other}', { code: 'TS-1', due: '12月8日', link: 'https://x/s/t' })).to.equal(
      '编号TS-1，12月8日前答复：https://x/s/t{other}',
    );
  });
});
