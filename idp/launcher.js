#!/usr/bin/env node
// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback,
// for Candor's sign-in tests and for trying SSO locally. It plays the company's
// identity provider: people, their verified (or not) email, groups, and how they
// proved who they are (amr/acr) come from a JSON file that is read on every sign-in,
// so a test can add or change people while the server runs.
//
// Prints `IDP_READY http://127.0.0.1:PORT` once it accepts requests.
//
// Environment:
//   IDP_PORT           port (default 0: any free port)
//   IDP_BIND_HOST      default 127.0.0.1
//   IDP_CLIENTS        JSON list of clients: [{"client_id", "client_secret", "redirect_uris": [...]}]
//   IDP_USERS_FILE     JSON object: login -> {password, sub, email, email_verified, name,
//                      given_name, family_name, groups, amr, acr}
//   IDP_EXIT_WITH_STDIN=1  exit when stdin closes (the test runner died)
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';

const BIND_HOST = process.env.IDP_BIND_HOST || '127.0.0.1';
const USERS_FILE = process.env.IDP_USERS_FILE || '';

function users() {
  if (!USERS_FILE || !fs.existsSync(USERS_FILE)) return {};
  return JSON.parse(fs.readFileSync(USERS_FILE, 'utf8'));
}

function findUser(login) {
  const all = users();
  return all[login] || Object.values(all).find((u) => u.sub === login) || null;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head>
<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function loginForm(uid, error) {
  return page('Acme identity provider', `
${error ? `<p role="alert" id="idp-error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
  <label for="idp-login">Username</label> <input id="idp-login" name="login" required>
  <label for="idp-password">Password</label> <input id="idp-password" name="password" type="password" required>
  <button type="submit" id="idp-submit">Sign in to Acme</button>
</form>`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(data))));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (prompt.name === 'login') {
    if (req.method === 'GET') return send(res, 200, loginForm(uid));
    const form = await readBody(req);
    const user = findUser(form.login);
    if (!user || user.password !== form.password) {
      return send(res, 200, loginForm(uid, 'Wrong username or password.'));
    }
    const login = { accountId: user.sub || form.login, remember: false };
    if (user.amr) login.amr = user.amr;
    if (user.acr) login.acr = user.acr;
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  // Consent: the company's own app, so everything asked for is granted at once
  // (as Okta, Entra ID and Keycloak do for admin-consented apps).
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  if (prompt.details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

let server = null;

async function main() {
  server = http.createServer();
  await new Promise((resolve) => server.listen(Number(process.env.IDP_PORT || 0), BIND_HOST, resolve));
  const issuer = `http://${BIND_HOST}:${server.address().port}`;
  const clients = JSON.parse(process.env.IDP_CLIENTS || '[]').map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    ...c,
  }));

  const provider = new Provider(issuer, {
    clients,
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    // Every claim of a granted scope also goes into the ID token (where Candor reads
    // groups, amr and acr), as Okta and Keycloak can be set to do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, i) => `/interaction/${i.uid}` },
    async findAccount(ctx, sub) {
      const user = findUser(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          const claims = { sub };
          for (const name of ['email', 'email_verified', 'name', 'given_name', 'family_name', 'groups']) {
            if (user[name] !== undefined) claims[name] = user[name];
          }
          claims.preferred_username = user.email || sub;
          return claims;
        },
      };
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  provider.proxy = false;
  const callback = provider.callback();

  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((err) => {
        console.error('interaction failed:', err);
        send(res, 400, page('Sign-in failed', `<p>${escape(err.message)}</p>`));
      });
      return;
    }
    callback(req, res);
  });
  console.log(`IDP_READY ${issuer}`);
}

function shutdown(code) {
  if (server) server.close();
  process.exit(code);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
if (process.env.IDP_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume();
}

main().catch((err) => {
  console.error('The identity provider failed to start:', err);
  shutdown(1);
});
