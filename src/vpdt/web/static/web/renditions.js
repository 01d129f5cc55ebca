// The PDF rendition of a .docx/.odt draft (LibreOffice, in the background): while it is waiting or
// converting, ask its state every 2 s; once ready (or failed) reload the page, whose viewer then
// shows the PDF (or the reason it could not be made).
(function () {
  "use strict";
  const box = document.querySelector("[data-rendition-url]");
  if (!box) return;
  const pending = (state) => state === "waiting" || state === "converting";
  if (!pending(box.dataset.renditionState)) return;
  const label = box.querySelector("[data-rendition-label]");
  const started = Date.now();
  async function poll() {
    try {
      const answer = await fetch(box.dataset.renditionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (answer.ok) {
        const data = await answer.json();
        if (label && data.label) label.textContent = data.label;
        if (!pending(data.state)) {
          window.location.reload();
          return;
        }
      }
    } catch (err) {
      console.warn(err);
    }
    if (Date.now() - started < 15 * 60 * 1000) window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 1500);
})();
