/* Queued by the lazy panel of /panel-urls/: counts its runs (the browser tests expect one). */
window.demoLazyRuns = (window.demoLazyRuns || 0) + 1;
