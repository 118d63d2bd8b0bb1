// Web app sign-in and personal API keys over HTTP: sessions in an HttpOnly cookie, reaching the
// private API like a key does, refused from other origins, ended by sign-out; keys created and
// revoked in settings work and stop working at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer } from './support/in-process-server.js';
import type { RunningServer } from './support/server.js';

let server: RunningServer;

beforeAll(async () => {
  server = await startInProcessServer();
});

afterAll(async () => {
  await server.stop();
});

async function signIn(email: string, password: string) {
  const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return { status: res.status, body: await res.json(), cookie: res.headers.get('set-cookie') };
}

describe('sign-in', () => {
  it('refuses a wrong password or unknown email with 401, and bad bodies with 400', async () => {
    expect((await signIn(server.adminEmail, 'wrong-password')).status).toBe(401);
    expect((await signIn('nobody@prickle.test', server.adminPassword)).status).toBe(401);
    const empty = await signIn('', '');
    expect(empty.status).toBe(400);
    expect(empty.body.attr).toBe('email');
  });

  it('starts a session in an HttpOnly SameSite cookie that reaches the private API, until sign-out', async () => {
    const { status, body, cookie } = await signIn(server.adminEmail.toUpperCase(), server.adminPassword);
    expect(status).toBe(200);
    expect(body.email).toBe(server.adminEmail);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const session = cookie!.split(';')[0];

    const me = await fetch(`${server.url}/api/users/@me`, { headers: { cookie: session } });
    expect(await me.json()).toMatchObject({ email: server.adminEmail, authenticated_with: 'session', projects: [{ id: 1, api_token: server.token }] });
    const types = await fetch(`${server.url}/api/projects/@current/groups_types/`, { headers: { cookie: session } });
    expect(types.status).toBe(200);

    // The browser would attach the cookie to a request from another site's page: not accepted.
    const crossOrigin = await fetch(`${server.url}/api/projects/@current/groups_types/`, { headers: { cookie: session, origin: 'http://evil.example' } });
    expect(crossOrigin.status).toBe(401);
    const sameOrigin = await fetch(`${server.url}/api/projects/@current/groups_types/`, { headers: { cookie: session, origin: server.url } });
    expect(sameOrigin.status).toBe(200);

    expect((await fetch(`${server.url}/api/logout`, { method: 'POST', headers: { cookie: session } })).status).toBe(204);
    expect((await fetch(`${server.url}/api/users/@me`, { headers: { cookie: session } })).status).toBe(401);
    expect((await fetch(`${server.url}/api/projects/@current/groups_types/`, { headers: { cookie: session } })).status).toBe(401);
  });

  it('serves nothing private without a session or key', async () => {
    for (const path of ['/api/users/@me', '/api/projects/', '/api/projects/@current/groups/?group_type_index=0', '/api/projects/1/personal_api_keys/']) {
      expect((await fetch(`${server.url}${path}`)).status, path).toBe(401);
    }
  });
});

describe('personal API keys', () => {
  it('creates a key shown once, lists it masked, and revokes it with immediate effect', async () => {
    const created = await server.api('/api/projects/@current/personal_api_keys/', { method: 'POST', body: { label: 'CI export' } });
    expect(created.status).toBe(201);
    const secret: string = created.body.value;
    expect(secret).toMatch(/^phx_/);
    const listed = await server.api('/api/projects/@current/personal_api_keys/');
    expect(listed.body.results.map((k: { label: string }) => k.label)).toContain('CI export');
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    expect((await server.api('/api/projects/@current/groups_types/', { key: secret })).status).toBe(200);
    expect((await server.api(`/api/projects/@current/personal_api_keys/${created.body.id}/`, { method: 'DELETE' })).status).toBe(204);
    expect((await server.api('/api/projects/@current/groups_types/', { key: secret })).status).toBe(401);
    expect((await server.api(`/api/projects/@current/personal_api_keys/${created.body.id}/`, { method: 'DELETE' })).status).toBe(404);
    expect((await server.api('/api/projects/@current/personal_api_keys/', { method: 'POST', body: { label: '' } })).status).toBe(400);
  });
});
