// Form behaviour for every page (no inline script: CSP script-src 'self').
//
// 1. An error summary takes focus on arrival (unless a field asks for it with autofocus), so
//    keyboard and screen-reader users start from the list of problems; its links lead to fields.
// 2. Long operations started from a form (packet export, CSV import, evidence upload, custody
// verification): once the form is submitted, say so in its status region with an
// indeterminate <progress>, and disable its submit button against a second submission.
// Progressive enhancement only: without script the form still posts normally.
"use strict";
(function () {
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary && !document.querySelector("[autofocus]")) { summary.focus(); }
})();
document.querySelectorAll("form[data-busy]").forEach(function (form) {
  form.addEventListener("submit", function () {
    var status = form.querySelector(".busy-status");
    if (status) {
      status.textContent = form.getAttribute("data-busy") + " ";
      var bar = document.createElement("progress");
      bar.setAttribute("aria-label", form.getAttribute("data-busy"));
      status.appendChild(bar);
    }
    form.setAttribute("aria-busy", "true");
    // After this event: a button disabled now would not submit its own name/value.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
});
