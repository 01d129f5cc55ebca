// Working faster (issue 13): ticking documents of a list, canned direction texts, sortable
// columns kept in step with the filters, and files dropped on a document with a progress bar.
// A static file: the site's Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // "Select all" ticks every document of the page (the list is replaced by HTMX: delegate).
  document.addEventListener("change", function (event) {
    const all = event.target.closest("[data-pick-all]");
    if (!all) return;
    const table = all.closest("table");
    for (const box of table.querySelectorAll("input[name=ids]")) box.checked = all.checked;
  });

  // Pressing a column header leaves the search field, whose "change" sends the filters at once: they
  // carry the header's order too, so whichever answer comes last shows the same list.
  document.addEventListener("pointerdown", function (event) {
    const link = event.target.closest("[data-sort-key]");
    const select = document.getElementById("f-sort");
    if (link && select) select.value = link.dataset.sortKey;
  }, true);

  // A column header sorts the list in place: the filters' "Sắp xếp" follows it, so the next filter keeps the order.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "doc-list") return;
    const table = event.detail.target.querySelector("[data-sort]");
    const select = document.getElementById("f-sort");
    if (table && select && table.dataset.sort) select.value = table.dataset.sort;
    const next = document.querySelector("#bulk-form input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
    const query = document.querySelector(".saved-filters input[name=query]");
    if (query) query.value = window.location.search.replace(/^\?/, "");
  });

  // A canned direction fills the instructions field (appended when something is typed already).
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-direction-text]");
    if (!button) return;
    const field = document.getElementById(button.dataset.target || "instructions");
    if (!field) return;
    const text = button.dataset.directionText;
    field.value = field.value.trim() ? field.value.trimEnd() + "\n" + text : text;
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
  });

  // Uploads: drop several files, see them listed, send them with a progress bar.
  function listFiles(form, input) {
    const list = form.querySelector("[data-upload-list]");
    list.replaceChildren();
    for (const file of input.files) {
      const item = document.createElement("li");
      item.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
      list.appendChild(item);
    }
  }

  function showErrors(form, errors) {
    const box = form.querySelector("[data-upload-errors]");
    box.replaceChildren();
    for (const error of errors) {
      const line = document.createElement("div");
      line.textContent = error.message;
      box.appendChild(line);
    }
  }

  for (const form of document.querySelectorAll("form[data-upload]")) {
    const input = form.querySelector("input[type=file]");
    const zone = form.querySelector("[data-drop-zone]");
    input.addEventListener("change", () => listFiles(form, input));
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("drop-active");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      zone.addEventListener(name, () => zone.classList.remove("drop-active"));
    }
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      listFiles(form, input);
    });
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return; // the plain form still works
      event.preventDefault();
      if (!input.files.length) {
        input.reportValidity();
        return;
      }
      const bar = form.querySelector("[data-upload-progress]");
      const button = form.querySelector("button");
      const request = new XMLHttpRequest();
      showErrors(form, []);
      bar.hidden = false;
      bar.value = 0;
      button.disabled = true;
      request.open("POST", form.action);
      request.setRequestHeader("X-Upload", "1");
      request.responseType = "json";
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      request.addEventListener("load", function () {
        const body = request.response || {};
        if (request.status === 200 && body.location) {
          bar.value = 100;
          window.location.assign(body.location); // the page shows what was stored and what was refused
          return;
        }
        button.disabled = false;
        bar.hidden = true;
        showErrors(form, body.errors && body.errors.length ? body.errors : [{ message: form.dataset.failed }]);
      });
      request.addEventListener("error", function () {
        button.disabled = false;
        bar.hidden = true;
        showErrors(form, [{ message: form.dataset.failed }]);
      });
      request.send(new FormData(form));
    });
  }
})();
