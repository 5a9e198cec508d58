/**
 * The sandbox's only stylesheet and script, served as same-origin files so the CSP can forbid inline code.
 * The script just keeps the launch form's target in step with the "embed" box: a new tab, or this window.
 */
export const SANDBOX_CSS = `
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1f24; background: #eef1f5; }
.ehr-bar { display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #23395b; color: #fff; }
.ehr-bar a { color: #fff; margin-left: auto; }
.ehr-bar .patient { font-weight: 600; }
.card { max-width: 720px; margin: 24px auto; padding: 16px 24px; background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
h1 { font-size: 1.3rem; }
label { display: block; margin: 10px 0; }
label.check { display: inline-block; margin: 4px 12px 4px 0; }
select { display: block; margin-top: 4px; min-width: 60%; padding: 4px; }
fieldset { margin: 12px 0; border: 1px solid #c9d1db; border-radius: 4px; }
.actions { margin-top: 16px; display: flex; gap: 8px; }
button { padding: 8px 16px; border: 0; border-radius: 4px; background: #0b5cad; color: #fff; font-size: 1rem; cursor: pointer; }
button.secondary { background: #5c6670; }
.error { color: #b3261e; }
.scopes code { font-size: .9em; }
.app-frame { display: block; width: 100%; height: calc(100vh - 42px); border: 0; background: #fff; }
`;

export const SIMULATOR_JS = `
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('launch-form');
  var embed = form && form.querySelector('input[name="embed"]');
  if (!form || !embed) { return; }
  function sync() {
    if (embed.checked) { form.removeAttribute('target'); } else { form.setAttribute('target', '_blank'); }
  }
  embed.addEventListener('change', sync);
  sync();
});
`;
