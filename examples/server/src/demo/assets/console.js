// Staff console of the Portico demo: a stand-in for the CRM, built only on the admin API
// (`/admin/v1/…` with `Authorization: Bearer <demo key>`). The CRM's own data (its properties
// and files) comes from /demo/crm.json, as a CRM would know them; everything the portal
// holds is read and changed through the admin API. No inline script: the page's CSP allows
// scripts from this origin only. Text is always inserted with textContent, never as HTML.
'use strict';

(function () {
  const meta = (name) => {
    const m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute('content') : '';
  };
  const KEY = meta('portico-admin-key');
  const STAFF = meta('portico-staff') || 'Demo staff';
  const $ = (id) => document.getElementById(id);

  let crm = { properties: [], roles: [], scopes: {}, default_scopes: {} };
  const portalIds = {}; // CRM host_ref -> portal property id
  const propertyNames = {}; // portal property id -> display name

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function status(text, isError) {
    const s = $('status');
    s.textContent = text;
    s.className = isError ? 'status error' : 'status';
  }

  async function api(method, path, body) {
    const headers = {
      'Authorization': 'Bearer ' + KEY,
      'X-Portico-Staff': STAFF,
      'Accept': 'application/json',
    };
    const init = { method, headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    let data = null;
    if (r.status !== 204) {
      try { data = await r.json(); } catch (_) { data = null; }
    }
    if (!r.ok) {
      const err = data && data.error;
      throw new Error(err ? err.message + ' (' + err.code + ', HTTP ' + r.status + ')' : 'HTTP ' + r.status);
    }
    return data;
  }

  async function guarded(label, fn) {
    try {
      status(label + '…');
      const done = await fn();
      status(done || label + ': done.');
    } catch (e) {
      status(label + ' failed: ' + e.message, true);
    }
  }

  // ---- properties: registered (upsert by host_ref) the first time they are needed ---------

  function crmProperty(hostRef) {
    return crm.properties.find((p) => p.host_ref === hostRef);
  }

  async function portalProperty(hostRef) {
    if (portalIds[hostRef]) return portalIds[hostRef];
    const p = crmProperty(hostRef);
    if (!p) throw new Error('unknown CRM property ' + hostRef);
    const r = await api('POST', '/admin/v1/properties', {
      host_ref: p.host_ref, kind: p.kind, display_name: p.display_name,
      manager: p.manager, negotiator: p.negotiator, valuer: p.valuer,
    });
    portalIds[hostRef] = r.property.id;
    propertyNames[r.property.id] = r.property.display_name;
    return r.property.id;
  }

  async function propertyName(id) {
    if (!propertyNames[id]) {
      try {
        const r = await api('GET', '/admin/v1/properties/' + encodeURIComponent(id));
        propertyNames[id] = r.property.display_name;
        portalIds[r.property.host_ref] = id;
      } catch (_) {
        propertyNames[id] = 'property ' + id;
      }
    }
    return propertyNames[id];
  }

  // ---- clients ------------------------------------------------------------------------------

  async function grantItem(g) {
    const name = await propertyName(g.property);
    const revoke = el('button', { type: 'button', 'data-action': 'revoke-grant', 'data-testid': 'revoke-grant', 'data-grant': g.id, class: 'small danger' }, 'Revoke');
    revoke.addEventListener('click', () => guarded('Revoking the grant', async () => {
      const r = await api('DELETE', '/admin/v1/grants/' + encodeURIComponent(g.id));
      await loadClients();
      await loadAudit();
      return 'Grant revoked' + (r.revoked && r.revoked.sessions_ended ? '; ' + r.revoked.sessions_ended + ' session(s) ended.' : '.');
    }));
    return el('li', { 'data-testid': 'grant', 'data-grant': g.id, 'data-role': g.role },
      el('span', { class: 'pill' }, g.role), ' ', name, ' ',
      el('span', { class: 'muted' }, '(' + g.scopes.length + ' scopes)'), ' ', revoke);
  }

  function actionButton(action, label, account, handler, extraClass) {
    const b = el('button', { type: 'button', 'data-action': action, 'data-testid': action, 'data-account': account.id, class: 'small ' + (extraClass || '') }, label);
    b.addEventListener('click', handler);
    return b;
  }

  async function clientRow(a) {
    const grants = (await api('GET', '/admin/v1/accounts/' + encodeURIComponent(a.id) + '/grants')).grants;
    const list = el('ul', { class: 'plain grants' });
    for (const g of grants) list.append(await grantItem(g));
    if (!grants.length) list.append(el('li', { class: 'muted' }, 'no grant of its own'));
    const actions = el('td', { class: 'actions' });
    if (a.status === 'invited') {
      actions.append(actionButton('invite', 'Send invitation', a, () => guarded('Sending the invitation', async () => {
        await api('POST', '/admin/v1/accounts/' + encodeURIComponent(a.id) + '/invitation');
        await loadAudit();
        return 'Invitation sent to ' + a.email + ' – see the mailbox.';
      })));
    }
    actions.append(actionButton('preview', 'Preview', a, () => guarded('Opening a preview', async () => {
      const r = await api('POST', '/admin/v1/accounts/' + encodeURIComponent(a.id) + '/preview');
      const link = $('preview-link');
      link.href = r.url;
      link.textContent = 'open the portal as ' + a.display_name;
      $('preview-result').hidden = false;
      window.open(r.url, '_blank', 'noopener,noreferrer');
      await loadAudit();
      return 'Preview of ' + a.display_name + ' ready until ' + r.expires_at + '.';
    })));
    if (a.status === 'disabled') {
      actions.append(actionButton('enable', 'Enable', a, () => guarded('Enabling', async () => {
        await api('POST', '/admin/v1/accounts/' + encodeURIComponent(a.id) + '/enable');
        await loadClients();
        return a.email + ' enabled.';
      })));
    } else {
      actions.append(actionButton('disable', 'Disable access', a, () => guarded('Disabling', async () => {
        await api('POST', '/admin/v1/accounts/' + encodeURIComponent(a.id) + '/disable');
        await loadClients();
        await loadAudit();
        return a.email + ' disabled: sessions ended, links dead.';
      }), 'danger'));
    }
    return el('tr', { 'data-testid': 'client-row', 'data-email': a.email, 'data-account': a.id },
      el('td', {}, el('strong', {}, a.display_name), el('br'), el('code', {}, a.email)),
      el('td', {}, el('span', { class: 'pill ' + a.status, 'data-testid': 'client-status' }, a.status)),
      el('td', {}, list),
      actions);
  }

  async function loadClients() {
    const accounts = (await api('GET', '/admin/v1/accounts?limit=200')).accounts;
    const rows = [];
    for (const a of accounts) rows.push(await clientRow(a));
    $('clients-body').replaceChildren(...rows);
    const byId = {};
    for (const a of accounts) byId[a.id] = a;
    const groups = (await api('GET', '/admin/v1/groups')).groups;
    const grows = [];
    for (const g of groups) {
      const members = (await api('GET', '/admin/v1/groups/' + encodeURIComponent(g.id) + '/members')).members;
      const grants = (await api('GET', '/admin/v1/groups/' + encodeURIComponent(g.id) + '/grants')).grants;
      const glist = el('ul', { class: 'plain grants' });
      for (const gr of grants) glist.append(await grantItem(gr));
      grows.push(el('tr', { 'data-testid': 'group-row', 'data-group': g.id },
        el('td', {}, el('strong', {}, g.name)),
        el('td', {}, members.map((m) => (byId[m] ? byId[m].display_name : m)).join(', ')),
        el('td', {}, glist)));
    }
    $('groups-body').replaceChildren(...grows);
  }

  // ---- set up access ------------------------------------------------------------------------

  function fillScopes() {
    const p = crmProperty($('setup-property').value);
    if (!p) return;
    const role = $('setup-role').value;
    const all = crm.scopes[p.kind] || [];
    const defaults = new Set(crm.default_scopes[role + '/' + p.kind] || []);
    const box = $('setup-scopes');
    box.replaceChildren(el('legend', {}, 'What the client may see'));
    for (const s of all) {
      const input = el('input', { type: 'checkbox', name: 'scope', value: s, 'data-testid': 'scope-' + s });
      input.checked = defaults.has(s);
      box.append(el('label', { class: 'inline scope' }, input, ' ', s));
    }
  }

  async function setUp(ev) {
    ev.preventDefault();
    await guarded('Setting up access', async () => {
      const email = $('setup-email').value.trim();
      const name = $('setup-name').value.trim();
      const hostRef = $('setup-property').value;
      const role = $('setup-role').value;
      const scopes = Array.from(document.querySelectorAll('#setup-scopes input[name=scope]:checked')).map((i) => i.value);
      const set = await api('POST', '/admin/v1/accounts', { email, display_name: name, invite: false });
      const account = set.account;
      const property = await portalProperty(hostRef);
      const grant = (await api('POST', '/admin/v1/grants', {
        subject: { type: 'account', id: account.id },
        property, role, scopes,
        buyer_names: $('setup-buyer-names').value,
      })).grant;
      let invited = '';
      if ($('setup-invite').checked && account.status === 'invited') {
        await api('POST', '/admin/v1/accounts/' + encodeURIComponent(account.id) + '/invitation');
        invited = ' Invitation sent – see the mailbox.';
      }
      $('setup-result').textContent = (set.created ? 'New client ' : 'Existing client ') + account.email +
        ': ' + role + ' on ' + crmProperty(hostRef).display_name + ' (grant ' + grant.id + ').' + invited;
      await loadClients();
      await loadAudit();
      return 'Access set up for ' + account.email + '.' + invited;
    });
  }

  // ---- documents ----------------------------------------------------------------------------

  function fillDocuments() {
    const p = crmProperty($('share-property').value);
    const sel = $('share-document');
    sel.replaceChildren(...(p ? p.documents : []).map((d) =>
      el('option', { value: d.host_ref, 'data-category': d.category }, d.title + ' [' + d.category + ']')));
    syncTitle();
  }

  function syncTitle() {
    const p = crmProperty($('share-property').value);
    const d = p && p.documents.find((x) => x.host_ref === $('share-document').value);
    $('share-title').value = d ? d.title : '';
  }

  async function loadShared() {
    const hostRef = $('share-property').value;
    if (!hostRef) return;
    const id = await portalProperty(hostRef);
    const docs = (await api('GET', '/admin/v1/properties/' + encodeURIComponent(id) + '/documents')).documents;
    $('shared-docs').replaceChildren(...docs.map((d) => {
      const b = el('button', { type: 'button', class: 'small danger', 'data-action': 'unshare', 'data-testid': 'unshare', 'data-document': d.id }, 'Unshare');
      b.addEventListener('click', () => guarded('Unsharing', async () => {
        await api('DELETE', '/admin/v1/documents/' + encodeURIComponent(d.id));
        await loadShared();
        await loadAudit();
        return 'Unshared "' + d.title + '" (the CRM keeps the file).';
      }));
      return el('li', { 'data-testid': 'shared-doc', 'data-document': d.id, 'data-host-ref': d.host_ref },
        el('span', { class: 'pill' }, d.category), ' ', d.title, ' ', b);
    }));
    if (!docs.length) $('shared-docs').append(el('li', { class: 'muted' }, 'nothing shared yet'));
  }

  async function share(ev) {
    ev.preventDefault();
    await guarded('Sharing the document', async () => {
      const hostRef = $('share-property').value;
      const p = crmProperty(hostRef);
      const d = p.documents.find((x) => x.host_ref === $('share-document').value);
      if (!d) throw new Error('choose a file');
      const id = await portalProperty(hostRef);
      const r = await api('POST', '/admin/v1/properties/' + encodeURIComponent(id) + '/documents', {
        host_ref: d.host_ref, category: d.category, title: $('share-title').value.trim(),
      });
      $('share-result').textContent = 'Shared "' + r.document.title + '" (' + r.document.category +
        '): clients of ' + p.display_name + ' whose grants include documents:' + r.document.category + ' see it now.';
      await loadShared();
      await loadAudit();
      return 'Document shared.';
    });
  }

  // ---- audit --------------------------------------------------------------------------------

  function actorText(a) {
    if (!a) return '';
    if (typeof a === 'string') return a;
    if (a.staff) return a.staff;
    return a.type || a.kind || JSON.stringify(a);
  }

  async function loadAudit() {
    const events = (await api('GET', '/admin/v1/audit?limit=50')).events;
    $('audit-body').replaceChildren(...events.map((e) => el('tr', { 'data-testid': 'audit-row', 'data-kind': e.kind },
      el('td', {}, e.at.replace('T', ' ').replace(/\.\d+/, '')),
      el('td', {}, el('code', {}, e.kind)),
      el('td', {}, actorText(e.actor)),
      el('td', {}, e.detail))));
  }

  // ---- start --------------------------------------------------------------------------------

  async function start() {
    $('refresh-clients').addEventListener('click', () => guarded('Loading clients', async () => { await loadClients(); return 'Clients loaded.'; }));
    $('refresh-audit').addEventListener('click', () => guarded('Loading the audit log', async () => { await loadAudit(); return 'Audit log loaded.'; }));
    $('setup-form').addEventListener('submit', setUp);
    $('share-form').addEventListener('submit', share);
    $('setup-property').addEventListener('change', fillScopes);
    $('setup-role').addEventListener('change', fillScopes);
    $('share-property').addEventListener('change', () => { fillDocuments(); guarded('Loading shares', async () => { await loadShared(); return 'Ready.'; }); });
    $('share-document').addEventListener('change', syncTitle);
    await guarded('Loading', async () => {
      const r = await fetch('/demo/crm.json', { credentials: 'omit', cache: 'no-store' });
      if (!r.ok) throw new Error('CRM catalogue: HTTP ' + r.status);
      crm = await r.json();
      const options = () => crm.properties.map((p) =>
        el('option', { value: p.host_ref }, p.display_name + (p.kind === 'sales' ? ' (for sale)' : ' (to let)')));
      $('setup-property').replaceChildren(...options());
      $('share-property').replaceChildren(...options());
      $('setup-role').replaceChildren(...crm.roles.map((r) => el('option', { value: r }, r)));
      fillScopes();
      fillDocuments();
      await loadClients();
      await loadShared();
      await loadAudit();
      return 'Ready.';
    });
    document.body.setAttribute('data-console-ready', 'true');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
