// Small behaviours of every page, on top of HTMX (served from the project, no Internet needed).
// A filter left empty stays out of the address, so a list's URL reads like `?q=dien+tu&state=completed`.
document.addEventListener("htmx:configRequest", function (event) {
  if (event.detail.verb !== "get") return;
  for (const [name, value] of Object.entries(event.detail.parameters)) {
    if (value === "") delete event.detail.parameters[name];
  }
});
// A <select data-autosubmit> sends its form when changed (the language switch): no inline handler,
// the site's Content-Security-Policy allows no inline script.
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  select.addEventListener("change", () => select.form.submit());
}
