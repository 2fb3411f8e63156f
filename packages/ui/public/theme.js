// Applies the saved or the system colour theme before the first paint (no flash of the wrong
// theme). An external file because the Content-Security-Policy forbids inline scripts.
(function () {
  var t = null;
  try { t = localStorage.getItem('kontroler.theme'); } catch (e) { /* private mode */ }
  if (t !== 'light' && t !== 'dark') t = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = t;
})();
