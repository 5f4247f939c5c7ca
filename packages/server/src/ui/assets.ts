// The dashboard's stylesheet and its one small script, served from /ui/assets/ (same
// origin, so the CSP allows them without 'unsafe-inline'). Kept as strings so `tsc`
// ships them in dist/ with no build step.

export const APP_CSS = `
*,*::before,*::after{box-sizing:border-box}
:root{--fg:#1a202c;--muted:#4a5568;--bg:#fff;--panel:#f7fafc;--line:#cbd5e0;--accent:#2b6cb0;--focus:#dd6b20}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);line-height:1.45}
body{margin:0}
a{color:var(--accent)}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem;z-index:10}
.skip:focus{left:.5rem}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
header.top .brand{font-weight:700;font-size:1.1rem;color:var(--fg);text-decoration:none}
nav.main ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
nav.main a{padding:.25rem .1rem}
nav.main a[aria-current="page"]{font-weight:700;text-decoration-thickness:3px}
header.top form{margin-left:auto}
main{padding:1rem;max-width:1240px;margin:0 auto}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .6rem}
.muted{color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:.75rem;list-style:none;padding:0;margin:0}
.card{border:1px solid var(--line);border-radius:6px;padding:.75rem;background:var(--panel)}
.card .num{font-size:1.6rem;font-weight:700;display:block}
.panel{border:1px solid var(--line);border-radius:6px;padding:1rem;margin:1rem 0;background:var(--bg)}
.panel > h2:first-child{margin-top:0}
.badge{display:inline-flex;align-items:center;gap:.3rem;padding:.05rem .45rem;border-radius:999px;border:1px solid currentColor;font-size:.85rem;white-space:nowrap;font-weight:600}
.s-active,.s-ok,.s-success,.s-delivered,.s-enabled{color:#22543d;background:#f0fff4}
.s-refresh_failing,.s-transient_error,.s-pending,.s-in_flight{color:#744210;background:#fffff0}
.s-needs_reauth,.s-permanent_error,.s-failed,.s-error{color:#822727;background:#fff5f5}
.s-integration_error,.s-unknown,.s-disabled{color:#44337a;background:#faf5ff}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel);font-weight:600}
td.num,th.num{text-align:right}
.table-wrap{overflow-x:auto}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:1rem}
form.filters .field{display:flex;flex-direction:column;font-size:.9rem;gap:.2rem}
form.stack label{font-weight:600}
input,select,button{font:inherit}
input[type=text],input[type=password],input[type=search],select{padding:.4rem .5rem;border:1px solid #718096;border-radius:4px;min-width:12rem;background:#fff;color:var(--fg)}
button,.button{display:inline-block;padding:.4rem .8rem;border:1px solid var(--accent);border-radius:4px;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;min-height:2.2rem}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}
form.inline{display:inline}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.notice{padding:.6rem .8rem;border-left:5px solid var(--accent);background:#ebf8ff;margin-bottom:1rem}
.notice.error{border-color:#c53030;background:#fff5f5}
.segmented{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:0;margin:0}
.segmented a{display:inline-block;padding:.3rem .7rem;border:1px solid var(--accent);border-radius:4px;text-decoration:none}
.segmented a[aria-current="true"]{background:var(--accent);color:#fff;font-weight:700}
.chart{width:100%;height:auto;display:block;background:#fff}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1rem;list-style:none;padding:0;margin:.5rem 0}
.legend li{display:flex;align-items:center;gap:.35rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
.diagnosis h3{margin:.8rem 0 .3rem;font-size:1rem}
.diagnosis .summary{font-size:1.1rem;font-weight:600}
ol.timeline{list-style:none;padding:0;margin:0}
ol.timeline li{border-left:3px solid var(--line);padding:.3rem 0 .6rem .8rem;margin-left:.3rem}
.reconnect output,.reconnect input{width:100%}
.pager{display:flex;gap:1rem;margin-top:.8rem}
.login{max-width:28rem;margin:3rem auto}
form.stack{display:flex;flex-direction:column;gap:.8rem}
form.stack input{width:100%}
form.stack .choice{display:flex;gap:.5rem;align-items:baseline;margin:.2rem 0}
form.stack .choice input{width:auto}
form.stack .choice label{font-weight:400}
.secret input{width:100%}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
@media (max-width:700px){
  main{padding:.6rem}
  table.responsive thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.responsive tr{display:block;border:1px solid var(--line);border-radius:6px;margin-bottom:.6rem;padding:.3rem}
  table.responsive td{display:flex;gap:.6rem;border:0;padding:.25rem .3rem}
  table.responsive td::before{content:attr(data-label);font-weight:600;min-width:7.5rem;flex:none}
  td.num{text-align:left}
  input[type=text],input[type=password],input[type=search],select{min-width:0;width:100%}
  form.filters .field{flex:1 1 100%}
  dl.facts{grid-template-columns:1fr}
  dl.facts dd{margin-bottom:.4rem}
  /* The chart scales down with the page: keep its axis labels readable. */
  .chart text{font-size:26px}
}
`;

// Progressive enhancement only: every action also works as a plain form post.
export const APP_JS = `
(function () {
  'use strict';
  var csrfMeta = document.querySelector('meta[name="gk-csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  function announce(el, text) { if (el) { el.textContent = ''; setTimeout(function () { el.textContent = text; }, 30); } }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return Promise.reject(new Error('clipboard unavailable'));
  }

  // "Copy a fresh reconnect link": ask the API for a new signed link, show it, copy it.
  var form = document.querySelector('form[data-reconnect]');
  if (form) {
    var field = document.getElementById('reconnect-url');
    var status = document.getElementById('reconnect-status');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      fetch(form.getAttribute('data-reconnect'), {
        method: 'POST', credentials: 'same-origin', headers: { 'x-grantkeeper-csrf': csrf }
      }).then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      }).then(function (body) {
        field.value = body.url;
        field.closest('.reconnect').hidden = false;
        field.select();
        return copyText(body.url).then(function () { announce(status, 'A fresh link was copied to the clipboard (valid until ' + body.expires_at + ').'); },
          function () { announce(status, 'A fresh link is ready below; copy it with Ctrl+C (valid until ' + body.expires_at + ').'); });
      }).catch(function () { announce(status, 'Could not create a link; try again.'); });
    });
  }

  // Copy buttons next to read-only fields.
  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var target = document.getElementById(button.getAttribute('data-copy'));
      var out = document.getElementById(button.getAttribute('data-status'));
      if (!target) return;
      target.select();
      copyText(target.value).then(function () { announce(out, 'Copied.'); }, function () { announce(out, 'Press Ctrl+C to copy.'); });
    });
  });
})();
`;

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2b6cb0"/><path d="M9 17l5 5 9-11" stroke="#fff" stroke-width="4" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
