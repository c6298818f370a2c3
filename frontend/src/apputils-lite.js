// The two classes the output renderers take from @jupyterlab/apputils. The package's own index
// would also bring JupyterLab's user-interface kit (React, web components, icons): half the
// script, none of it shown on the dashboard. build.mjs points '@jupyterlab/apputils' here.
export { Sanitizer } from '@jupyterlab/apputils/lib/sanitizer';
export { WidgetTracker } from '@jupyterlab/apputils/lib/widgettracker';
