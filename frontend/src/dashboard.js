// The dashboard page's script. Voilà renders an app's cells on the server, each output as a
// JSON script element, and starts (or hands over a ready) kernel. This script connects the
// page to that kernel, renders the outputs and draws the widgets: JupyterLab's widget manager
// and output renderers, without the JupyterLab application Voilà's own page script loads.
import * as base from '@jupyter-widgets/base';
import * as controls from '@jupyter-widgets/controls';
import { JUPYTER_CONTROLS_VERSION } from '@jupyter-widgets/controls/lib/version';
import {
  KernelWidgetManager,
  WIDGET_VIEW_MIMETYPE,
} from '@jupyter-widgets/jupyterlab-manager/lib/manager';
import {
  OUTPUT_WIDGET_VERSION,
  OutputModel,
  OutputView,
} from '@jupyter-widgets/jupyterlab-manager/lib/output';
import { WidgetRenderer } from '@jupyter-widgets/jupyterlab-manager/lib/renderer';
import { RenderMimeRegistry, standardRendererFactories } from '@jupyterlab/rendermime';
import { CommsOverSubshells, ServerConnection } from '@jupyterlab/services';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
import { Widget } from '@lumino/widgets';
import anywidget from 'anywidget';
import '@jupyter-widgets/base/css/index.css';
import '@jupyter-widgets/controls/css/widgets-base.css';

/* global ANYWIDGET_VERSION */

const OUTPUT_SELECTOR = 'script[type="application/vnd.voila.cell-output+json"]';

/** The page's settings, written by the template: the server's base URL and the kernel id. */
function pageConfig() {
  return JSON.parse(document.getElementById('jupyter-config-data').textContent);
}

/** Make the widget classes the apps use known to the manager, under their module names. */
function registerWidgetModules(manager) {
  manager.register({
    name: '@jupyter-widgets/base',
    version: base.JUPYTER_WIDGETS_VERSION,
    exports: {
      WidgetModel: base.WidgetModel,
      WidgetView: base.WidgetView,
      DOMWidgetView: base.DOMWidgetView,
      DOMWidgetModel: base.DOMWidgetModel,
      LayoutModel: base.LayoutModel,
      LayoutView: base.LayoutView,
      StyleModel: base.StyleModel,
      StyleView: base.StyleView,
      ErrorWidgetView: base.ErrorWidgetView,
    },
  });
  manager.register({
    name: '@jupyter-widgets/controls',
    version: JUPYTER_CONTROLS_VERSION,
    exports: controls,
  });
  manager.register({
    name: '@jupyter-widgets/output',
    version: OUTPUT_WIDGET_VERSION,
    exports: { OutputModel, OutputView },
  });
  manager.register({ name: 'anywidget', version: ANYWIDGET_VERSION, exports: anywidget(base) });
}

/** Replace each output's JSON script element with the rendered output. */
function renderOutputs(rendermime) {
  for (const script of document.querySelectorAll(OUTPUT_SELECTOR)) {
    const model = JSON.parse(script.textContent);
    const mimeType = rendermime.preferredMimeType(model.data, 'any');
    if (!mimeType) {
      continue;
    }
    const output = rendermime.createRenderer(mimeType);
    output.renderModel(model).catch((error) => {
      const message = document.createElement('pre');
      message.className = 'lm-Widget jp-RenderedText';
      message.setAttribute('data-mime-type', 'application/vnd.jupyter.stderr');
      message.textContent = `This part of the page could not be shown: ${error.message}`;
      output.node.appendChild(message);
    });
    output.addClass('jp-OutputArea-output');
    const container = script.parentElement;
    container.removeChild(script);
    Widget.attach(output, container);
  }
}

/** When the page closes, ask the server to shut its kernel down (as Voilà's page does). */
function shutDownKernelOnLeave(baseUrl, kernel) {
  window.addEventListener('beforeunload', () => {
    const data = new FormData();
    const xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b');
    data.append('_xsrf', (xsrf && xsrf[1]) || '');
    navigator.sendBeacon(`${baseUrl}voila/api/shutdown/${kernel.id}`, data);
    kernel.dispose();
  });
}

function main() {
  const { baseUrl, kernelId } = pageConfig();
  const kernel = new KernelConnection({
    model: { id: kernelId, name: 'python3' },
    serverSettings: ServerConnection.makeSettings({ baseUrl }),
    // Widget messages go to the kernel's main shell, in order, as in Voilà's own page.
    commsOverSubshells: CommsOverSubshells.Disabled,
  });
  const rendermime = new RenderMimeRegistry({ initialFactories: standardRendererFactories });
  const manager = new KernelWidgetManager(kernel, rendermime);
  registerWidgetModules(manager);
  rendermime.addFactory(
    {
      safe: false,
      mimeTypes: [WIDGET_VIEW_MIMETYPE],
      createRenderer: (options) => new WidgetRenderer(options, manager),
    },
    -10,
  );
  shutDownKernelOnLeave(baseUrl, kernel);
  renderOutputs(rendermime);
  window.themeLoaded = true; // the page's styles are in the page: show the cells now
  window.display_cells();
}

main();
