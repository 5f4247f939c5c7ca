// The look of the API reference at /docs: Grantkeeper's title, colours, icon and a way back
// to the dashboard, as files served from /docs/static/theme/ (same origin, so the page's
// strict CSP — scripts only from 'self' — still holds).
import { ICON_SVG } from '../ui/assets.js';

// The logo is the dashboard's icon alone; the name beside it is set by the CSS below in the
// page's own font (an <img> could not use it).

const CSS = `
.swagger-ui .topbar{background:#1a365d;padding:.6rem 0}
.swagger-ui .topbar .topbar-wrapper{gap:.75rem}
.swagger-ui .topbar a.link{display:flex;align-items:center;gap:.6rem;text-decoration:none;max-width:none;flex:0 0 auto}
.swagger-ui .topbar a.link::after{content:"Grantkeeper API";color:#fff;font:700 1.25rem system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.swagger-ui .topbar a.gk-dashboard{color:#bee3f8;font:600 .95rem system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin-right:1rem;white-space:nowrap}
.swagger-ui .topbar .download-url-wrapper .download-url-button{background:#2b6cb0}
.swagger-ui .info .title{color:#1a365d}
.swagger-ui .opblock-tag{color:#1a202c}
.swagger-ui .btn.execute{background:#2b6cb0;border-color:#2b6cb0}
.swagger-ui a.nostyle,.swagger-ui .info a{color:#2b6cb0}
`;

// Runs after Swagger UI has drawn its top bar: the logo and a "Dashboard" link lead to /ui.
const JS = `(function () {
  function brand() {
    var bar = document.querySelector('#swagger-ui .topbar .topbar-wrapper');
    var link = bar && bar.querySelector('a.link');
    if (!link) return false;
    link.setAttribute('href', '/ui');
    link.setAttribute('aria-label', 'Grantkeeper dashboard');
    if (!bar.querySelector('a.gk-dashboard')) {
      var back = document.createElement('a');
      back.className = 'gk-dashboard';
      back.href = '/ui';
      back.textContent = 'Dashboard';
      bar.insertBefore(back, link.nextSibling);
    }
    return true;
  }
  var observer = new MutationObserver(function () { if (brand()) observer.disconnect(); });
  document.addEventListener('DOMContentLoaded', function () {
    if (!brand()) observer.observe(document.body, { childList: true, subtree: true });
  });
})();
`;

/** Options for @fastify/swagger-ui. */
export const DOCS_THEME = {
  theme: {
    title: 'Grantkeeper API reference',
    css: [{ filename: 'grantkeeper.css', content: CSS }],
    js: [{ filename: 'grantkeeper.js', content: JS }],
    favicon: [{ filename: 'icon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: ICON_SVG }],
  },
  logo: { type: 'image/svg+xml', content: ICON_SVG, href: '/ui', target: '_self' as const },
  uiConfig: { docExpansion: 'list' as const, deepLinking: true, displayRequestDuration: true },
};
