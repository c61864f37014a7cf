// Behaviour that needs JavaScript, bound here rather than in inline handlers (the
// Content-Security-Policy allows scripts from Rangkul's own static files only).
document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target.closest("[data-action='print']") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});
