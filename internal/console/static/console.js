// The console's only script: a confirmation before the actions that ask
// for one (forms and links with data-confirm). Without JavaScript the
// actions still work, unconfirmed.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
document.addEventListener("click", function (e) {
  var a = e.target.closest("a[data-confirm]");
  if (a && !window.confirm(a.getAttribute("data-confirm"))) { e.preventDefault(); }
  var back = e.target.closest("a[data-back]");
  if (back) { e.preventDefault(); history.back(); }
});
