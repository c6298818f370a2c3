// What the output renderers take from @jupyterlab/apputils. Importing the package itself would
// bring JupyterLab's user-interface kit (React, web components, icons): half the script, none
// of it shown on the dashboard. build.mjs points '@jupyterlab/apputils' here.
export { WidgetTracker } from '@jupyterlab/apputils/lib/widgettracker';

/**
 * The renderers ask a sanitizer to clean HTML they do not trust. Every output of the dashboard
 * is trusted (Voilà marks the cells' outputs so, and the Output widgets' models are), so this
 * one never meets the apps' HTML; what it does meet (coloured error text) it reduces to plain
 * text, which cannot run or inject anything. JupyterLab's own sanitizer would add a fifth to
 * the script (sanitize-html with an HTML and a CSS parser) for nothing the apps show.
 */
export class Sanitizer {
  sanitize(dirty) {
    const parsed = new DOMParser().parseFromString(dirty, 'text/html'); // scripts do not run
    const text = document.createElement('div');
    text.textContent = parsed.body.textContent || '';
    return text.innerHTML;
  }

  getAutolink() {
    return true;
  }

  get allowNamedProperties() {
    return false;
  }
}
