// Recipient pickers (issue 13), on top of forms that work without JavaScript:
//  - data-picker="remote": a <select multiple> of agencies (and checkboxes of recipient groups)
//    becomes a search box with chips; results come from the directory's JSON search, grouped by
//    level of the tree, favourites first; a chip's star marks an agency as a favourite.
//  - data-picker="fill": a text input (the issuer) suggests agencies of the directory; choosing one
//    fills the name and the code; anything else typed stays free text.
//  - data-picker="local": a checkbox list (units and people of the agency) gets a filter box and chips.
// Typing is accent-free friendly: "tai chinh" finds "Tài chính". No inline script or style (CSP).
(function () {
  "use strict";
  if (window.vpdtPickerLoaded) return;
  window.vpdtPickerLoaded = true;

  let counter = 0;
  const fold = (s) => (s || "").replace(/[đĐ]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/\s+/g, " ").trim();
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const texts = (root) => root.dataset;
  // A small icon button named by hidden text (not aria-label, so the list's own labels stay unique).
  const iconButton = (cls, icon, name) => {
    const button = el("button", `btn btn-sm btn-link ${cls}`);
    button.type = "button";
    const shown = el("span", "", icon);
    shown.setAttribute("aria-hidden", "true");
    button.append(shown, el("span", "visually-hidden", name));
    return button;
  };
  const csrf = (root) => {
    const input = (root.closest("form") || document).querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  // A listbox under an input, driven by the keyboard (arrows, Enter, Escape) and by touch.
  function Listbox(input, onChoose) {
    const list = el("ul", "picker-list list-group shadow-sm");
    list.id = `picker-list-${++counter}`;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");
    input.insertAdjacentElement("afterend", list);
    let options = [];
    let active = -1;

    function setActive(i) {
      options.forEach((o, k) => o.classList.toggle("active", k === i));
      active = i;
      if (i >= 0) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }
    function show(items, emptyText) {
      list.replaceChildren();
      options = [];
      let section = null;
      for (const item of items) {
        if (item.section && item.section !== section) {
          section = item.section;
          const head = el("li", "list-group-item picker-section", section);
          head.setAttribute("role", "presentation");
          list.append(head);
        }
        const option = el("li", "list-group-item list-group-item-action picker-option");
        option.id = `${list.id}-${options.length}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", item.chosen ? "true" : "false");
        option.dataset.kind = item.kind;
        option.dataset.id = item.id;
        const label = el("span", "picker-option-label", (item.favourite ? "★ " : "") + item.label);
        option.append(label, el("small", "text-muted ms-2", item.hint || ""));
        option.addEventListener("mousedown", (e) => e.preventDefault()); // keep the focus in the input
        option.addEventListener("click", () => { onChoose(item); });
        list.append(option);
        options.push(option);
      }
      if (!items.length) {
        const none = el("li", "list-group-item text-muted picker-none", emptyText);
        none.setAttribute("role", "presentation");
        list.append(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      setActive(options.length ? 0 : -1);
      list.items = items;
    }
    input.addEventListener("keydown", (e) => {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); setActive(Math.min(active + 1, options.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); setActive(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); onChoose(list.items[active]); }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", () => setTimeout(close, 150));
    return { show, close, list };
  }

  function searcher(url, input, render) {
    let timer = null;
    let seq = 0;
    return function search() {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        const sep = url.includes("?") ? "&" : "?";
        try {
          const response = await fetch(`${url}${sep}q=${encodeURIComponent(input.value)}`,
            { headers: { Accept: "application/json" }, credentials: "same-origin" });
          if (!response.ok || mine !== seq) return;
          render((await response.json()).items || []);
        } catch (err) { /* offline for a moment: the next keystroke asks again */ }
      }, 120);
    };
  }

  // --- remote: agencies and groups with chips ---------------------------------------------
  function remote(root) {
    const t = texts(root);
    const fallback = root.querySelector("[data-picker-fallback]");
    const select = fallback.querySelector(`select[name="${t.agencyField}"]`);
    const groupBoxes = t.groupField ? [...fallback.querySelectorAll(`input[name="${t.groupField}"]`)] : [];
    const label = root.querySelector(`label[for="${select.id}"]`);
    const chips = el("ul", "picker-chips list-unstyled d-flex flex-wrap gap-2 mb-2");
    chips.setAttribute("aria-label", t.textChosen);
    const input = el("input", "form-control picker-input");
    input.type = "search";
    input.id = `${select.id}-search`;
    input.placeholder = t.textPlaceholder;
    input.setAttribute("enterkeyhint", "search");
    if (label) label.htmlFor = input.id;
    fallback.hidden = true;
    fallback.insertAdjacentElement("beforebegin", chips);
    chips.insertAdjacentElement("afterend", input);
    const favourites = new Set();

    function optionFor(id, labelText) {
      let option = [...select.options].find((o) => o.value === String(id));
      if (!option && labelText) {
        option = new Option(labelText, String(id));
        select.add(option);
      }
      return option;
    }
    function isChosen(item) {
      if (item.kind === "group") {
        const box = groupBoxes.find((b) => b.value === String(item.id));
        return Boolean(box && box.checked);
      }
      const option = optionFor(item.id);
      return Boolean(option && option.selected);
    }
    async function toggleFavourite(id, button) {
      const on = !favourites.has(id);
      const body = new URLSearchParams({ agency: id, favourite: on ? "on" : "" });
      const response = await fetch(t.favouriteUrl, {
        method: "POST", body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(root), Accept: "application/json" },
      });
      if (!response.ok) return;
      if ((await response.json()).favourite) favourites.add(id); else favourites.delete(id);
      button.setAttribute("aria-pressed", favourites.has(id) ? "true" : "false");
      button.firstChild.textContent = favourites.has(id) ? "★" : "☆";
      button.title = favourites.has(id) ? t.textUnfavourite : t.textFavourite;
    }
    function chip(kind, id, text) {
      const li = el("li", "picker-chip badge rounded-pill text-bg-light border d-inline-flex align-items-center");
      li.dataset.kind = kind;
      li.dataset.testid = "picker-chip";
      li.append(el("span", "picker-chip-label", kind === "group" ? `${t.textGroup}: ${text}` : text));
      if (kind === "agency" && t.favouriteUrl) {
        const star = iconButton("picker-star", favourites.has(id) ? "★" : "☆", `${t.textFavourite}: ${text}`);
        star.setAttribute("aria-pressed", favourites.has(id) ? "true" : "false");
        star.title = favourites.has(id) ? t.textUnfavourite : t.textFavourite;
        star.addEventListener("click", () => toggleFavourite(id, star));
        li.append(star);
      }
      const remove = iconButton("picker-remove", "×", `${t.textRemove}: ${text}`);
      remove.addEventListener("click", () => { choose({ kind, id, label: text }, false); input.focus(); });
      li.append(remove);
      return li;
    }
    function renderChips() {
      chips.replaceChildren();
      for (const box of groupBoxes.filter((b) => b.checked)) {
        const text = (fallback.querySelector(`label[for="${box.id}"]`) || {}).textContent || box.value;
        chips.append(chip("group", box.value, text.trim()));
      }
      for (const option of [...select.options].filter((o) => o.selected)) {
        chips.append(chip("agency", option.value, option.dataset.name || option.textContent.replace(/\s*\([^)]*\)\s*$/, "")));
      }
    }
    function choose(item, on = true) {
      if (item.kind === "group") {
        const box = groupBoxes.find((b) => b.value === String(item.id));
        if (box) box.checked = on;
      } else {
        const option = optionFor(item.id, `${item.label} (${item.hint || ""})`);
        if (option) option.selected = on;
      }
      if (item.favourite) favourites.add(String(item.id));
      renderChips();
    }
    const box = Listbox(input, (item) => {
      choose(item, !isChosen(item));
      input.value = "";
      box.close();
    });
    const search = searcher(t.url, input, (items) => {
      for (const item of items) {
        item.id = String(item.id);
        item.chosen = isChosen(item);
        if (item.favourite) favourites.add(item.id);
      }
      if (!items.length && !input.value.trim()) { box.close(); return; } // nothing typed, nothing to offer yet
      box.show(items, t.textNone);
    });
    input.addEventListener("input", search);
    input.addEventListener("focus", search);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Backspace" && !input.value) {
        const last = chips.lastElementChild;
        if (last) last.querySelector(".picker-remove").click();
      } else if (e.key === "Enter" && box.list.hidden) {
        e.preventDefault(); // Enter in the search box never sends the form half-filled
      }
    });
    renderChips();
  }

  // --- fill: the issuer, from the directory or free text --------------------------------
  function fill(root) {
    const t = texts(root);
    const input = root.querySelector("input[type=text]");
    const code = document.getElementById(t.fillCode);
    let picked = null;
    const box = Listbox(input, (item) => {
      input.value = item.label;
      if (code) code.value = item.hint;
      picked = { label: item.label, code: item.hint };
      box.close();
    });
    const search = searcher(t.url, input, (items) => {
      if (fold(input.value).length < 2) { box.close(); return; }
      box.show(items, t.textNone);
    });
    input.addEventListener("input", () => {
      // The name changed after a pick: the code the picker filled belonged to that agency.
      if (picked && input.value !== picked.label && code && code.value === picked.code) code.value = "";
      if (picked && input.value !== picked.label) picked = null;
      search();
    });
  }

  // --- local: filter a checkbox list in place, chips for what is ticked -------------------
  function local(root) {
    const t = texts(root);
    const scroll = root.querySelector(".picker-scroll");
    const rows = [...scroll.querySelectorAll(".form-check")];
    const chips = el("ul", "picker-chips list-unstyled d-flex flex-wrap gap-2 mb-2");
    chips.setAttribute("aria-label", t.textChosen);
    const input = el("input", "form-control form-control-sm picker-input mb-2");
    input.type = "search";
    input.placeholder = t.textFilter;
    input.setAttribute("aria-label", `${t.textFilter} (${root.querySelector("legend").textContent.trim()})`);
    const none = el("p", "small text-muted mb-1", t.textNone);
    none.hidden = true;
    scroll.insertAdjacentElement("beforebegin", chips);
    chips.insertAdjacentElement("afterend", input);
    scroll.insertAdjacentElement("beforebegin", none);
    const labelOf = (row) => row.querySelector("label").textContent.trim();

    function renderChips() {
      chips.replaceChildren();
      for (const row of rows) {
        const tick = row.querySelector("input");
        if (!tick.checked) continue;
        const li = el("li", "picker-chip badge rounded-pill text-bg-light border d-inline-flex align-items-center");
        li.dataset.testid = "picker-chip";
        li.append(el("span", "picker-chip-label", labelOf(row)));
        const remove = iconButton("picker-remove", "×", `${t.textRemove}: ${labelOf(row)}`);
        remove.addEventListener("click", () => { tick.checked = false; renderChips(); input.focus(); });
        li.append(remove);
        chips.append(li);
      }
    }
    function filter() {
      const words = fold(input.value).split(" ").filter(Boolean);
      let shown = 0;
      for (const row of rows) {
        const hay = fold(labelOf(row));
        row.hidden = !words.every((w) => hay.includes(w));
        if (!row.hidden) shown++;
      }
      for (const head of scroll.querySelectorAll(".picker-heading")) {
        let next = head.nextElementSibling;
        let any = false;
        while (next && !next.classList.contains("picker-heading")) {
          if (next.classList.contains("form-check") && !next.hidden) any = true;
          next = next.nextElementSibling;
        }
        head.hidden = !any;
      }
      none.hidden = shown > 0;
    }
    input.addEventListener("input", filter);
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault(); // Enter ticks the only match instead of sending the form
      const visible = rows.filter((r) => !r.hidden);
      if (visible.length === 1) {
        const tick = visible[0].querySelector("input");
        tick.checked = !tick.checked;
        renderChips();
      }
    });
    scroll.addEventListener("change", renderChips);
    renderChips();
  }

  const kinds = { remote, fill, local };
  for (const root of document.querySelectorAll("[data-picker]")) {
    const make = kinds[root.dataset.picker];
    if (make) make(root);
  }
})();
