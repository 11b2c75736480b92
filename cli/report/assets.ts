/**
 * The report page's own style and script, inline in the file; the CSP allows exactly these two by
 * hash. The script only filters rows already on the page: it reads its options from the JSON block
 * and sets `hidden`, never builds HTML from data.
 */
export const REPORT_STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2329; background: #f4f6f8; }
body { margin: 0; }
header.top { background: #1d2329; color: #fff; padding: 12px 24px; }
header.top h1 { margin: 0 0 4px; font-size: 20px; }
header.top .muted, header.top a { color: #cfd8dc; }
main { padding: 8px 24px 40px; max-width: 1300px; }
h2 { border-bottom: 1px solid #cfd8dc; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
.muted { color: #607d8b; font-weight: normal; }
.counts { display: flex; flex-wrap: wrap; gap: 32px; }
.counts table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
.counts td { padding: 1px 8px 1px 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
svg text { font-size: 12px; fill: #37474f; }
.badge { display: inline-block; min-width: 86px; text-align: center; border-radius: 3px; padding: 0 4px;
  font-size: 11px; font-weight: 600; color: #fff; }
.sev-CRITICAL { background: #8e0000; } .sev-HIGH { background: #d84315; } .sev-MEDIUM { background: #f9a825; color: #1d2329; }
.sev-LOW { background: #1e88e5; } .sev-INFORMATIONAL { background: #78909c; }
.legend { margin-right: 4px; }
.filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; position: sticky; top: 0; z-index: 1;
  background: #f4f6f8; padding: 8px 0; font-size: 13px; }
.filters select, .filters input { font: inherit; max-width: 260px; }
.notice { background: #fff8e1; border: 1px solid #ffe082; padding: 6px 10px; }
.card { background: #fff; border: 1px solid #dfe4e8; border-radius: 6px; margin: 12px 0; padding: 8px 14px; }
.card h3 { margin: 4px 0; }
.card dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; font-size: 13px; }
.card dt { color: #607d8b; } .card dd { margin: 0; overflow-wrap: anywhere; }
.tag { background: #eceff1; border-radius: 3px; padding: 0 4px; font-size: 12px; }
.rows { list-style: none; padding: 0; margin: 6px 0; }
.f { border-top: 1px solid #eceff1; padding: 4px 0; font-size: 13px; }
.f .title { font-weight: 600; } .f .cat { color: #455a64; }
.f code, .card code { font-size: 12px; background: #f4f6f8; padding: 0 3px; overflow-wrap: anywhere; }
.f .ev { margin: 2px 0 2px 96px; padding-left: 16px; }
.f .reasons, .f details, .f > .muted { margin-left: 96px; }
.f details summary { cursor: pointer; color: #455a64; }
.more { color: #607d8b; font-style: italic; }
[hidden] { display: none !important; }
`;

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function fill(id, options) {
    var select = document.getElementById(id);
    options.forEach(function (o) {
      var option = document.createElement('option');
      option.value = o[0];
      option.textContent = o[1];
      select.appendChild(option);
    });
    return select;
  }
  var sev = fill('f-sev', data.severities);
  var cat = fill('f-cat', data.categories);
  var principal = fill('f-principal', data.principals);
  var account = fill('f-account', data.accounts);
  var search = document.getElementById('f-text');
  var shown = document.getElementById('shown');
  var rows = Array.prototype.slice.call(document.querySelectorAll('li.f'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('article.card'));
  var texts = rows.map(function (r) {
    var card = r.closest('article.card');
    var head = card ? card.querySelector('.card-head').textContent : '';
    var own = Array.prototype.map.call(r.querySelectorAll('.line, .ev, .reasons'), function (e) {
      return e.textContent;
    });
    return (head + ' ' + own.join(' ')).toLowerCase();
  });
  function apply() {
    var q = search.value.trim().toLowerCase();
    var n = 0;
    var hidden = 0;
    rows.forEach(function (r, i) {
      var d = r.dataset;
      var ok = (!sev.value || d.sev === sev.value) && (!cat.value || d.cat === cat.value) &&
        (!principal.value || d.principal === principal.value) && (!account.value || d.account === account.value) &&
        (!q || texts[i].indexOf(q) !== -1);
      r.hidden = !ok;
      if (!d.suppressed) {
        if (ok) n++;
        else hidden++;
      }
    });
    groups.forEach(function (g) {
      g.hidden = !g.querySelector('li.f:not([hidden])');
    });
    shown.textContent = n + ' of ' + data.rendered + ' findings shown' + (hidden ? ' (filtered)' : '');
  }
  [sev, cat, principal, account].forEach(function (s) {
    s.addEventListener('change', apply);
  });
  search.addEventListener('input', apply);
  document.getElementById('filters').addEventListener('submit', function (e) {
    e.preventDefault();
  });
  apply();
})();
`;
