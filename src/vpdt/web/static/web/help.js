// Training by level of use (vpdt.web.help): the page's help panel and the guided first walk.
// - The panel (what this page is for, the next step) opens or closes, and can be dismissed; the
//   browser remembers each, per person and page (localStorage), and the help menu shows it again.
// - The walk highlights 3–6 elements of the frame for the person's role, one at a time, with
//   a card saying what each is for. Offered once on the home page after the first sign-in
//   (remembered when taken or declined), started again from the help menu at any time.
// No inline script or style (the site's CSP): the steps come as JSON (json_script), positions
// are set through the CSSOM.
(function () {
  "use strict";
  const store = {
    get(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
    remove(key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } },
  };

  // --- the page's help panel -------------------------------------------------------------
  const panel = document.querySelector("[data-help-panel]");
  if (panel) {
    const key = "vpdt.help." + panel.dataset.helpKey;
    const details = panel.querySelector("[data-help-details]");
    const state = store.get(key);
    if (state === "hidden") panel.hidden = true;
    else if (state === "closed") details.open = false;
    // A <details open> fires "toggle" once as it loads: a dismissed panel must stay dismissed.
    details.addEventListener("toggle", () => {
      if (!panel.hidden) store.set(key, details.open ? "open" : "closed");
    });
    panel.querySelector("[data-help-dismiss]").addEventListener("click", () => {
      panel.hidden = true;
      store.set(key, "hidden");
    });
    for (const button of document.querySelectorAll("[data-help-show]")) {
      button.addEventListener("click", () => {
        panel.hidden = false;
        details.open = true;
        store.set(key, "open");
        panel.scrollIntoView({ block: "nearest" });
        panel.querySelector("summary").focus();
      });
    }
  }

  // --- the guided walk ---------------------------------------------------------------------
  const host = document.querySelector("[data-walk]");
  const data = document.getElementById("walk-steps");
  if (!host || !data) return;
  const steps = JSON.parse(data.textContent);
  const seenKey = "vpdt.walk." + host.dataset.user;
  const labels = host.dataset;
  let index = -1, card = null, target = null;

  function visible(el) {
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
  }

  function find(step) {
    for (const selector of step.selectors) {
      for (const el of document.querySelectorAll(selector)) {
        if (visible(el)) return el;
      }
    }
    return null;
  }

  function button(text, cls, handler) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm " + cls;
    b.textContent = text;
    b.addEventListener("click", handler);
    return b;
  }

  function clear() {
    if (target) target.classList.remove("walk-target");
    target = null;
  }

  function place() {
    if (!card) return;
    const margin = 8, narrow = window.innerWidth < 576;
    card.classList.toggle("walk-card-bottom", narrow || !target);
    if (narrow || !target) { card.style.top = ""; card.style.left = ""; return; }
    const box = target.getBoundingClientRect();
    const width = card.offsetWidth, height = card.offsetHeight;
    let top = box.bottom + margin;
    if (top + height > window.innerHeight) top = Math.max(margin, box.top - height - margin);
    const left = Math.min(Math.max(margin, box.left), window.innerWidth - width - margin);
    card.style.top = top + "px";
    card.style.left = left + "px";
  }

  function show(i) {
    clear();
    index = i;
    const step = steps[i];
    target = find(step);
    if (target) {
      target.classList.add("walk-target");
      target.scrollIntoView({ block: "nearest" });
    }
    if (!card) {
      card = document.createElement("div");
      card.className = "walk-card card shadow";
      card.setAttribute("role", "dialog");
      card.setAttribute("aria-modal", "false");
      card.setAttribute("data-testid", "walk-card");
      document.body.appendChild(card);
    }
    card.replaceChildren();
    const body = document.createElement("div");
    body.className = "card-body";
    const count = document.createElement("p");
    count.className = "small text-muted mb-1";
    count.textContent = labels.labelStep + " " + (i + 1) + "/" + steps.length;
    const title = document.createElement("p");
    title.className = "fw-semibold mb-1";
    title.id = "walk-title";
    title.textContent = step.title;
    const text = document.createElement("p");
    text.className = "small mb-2";
    text.textContent = step.text;
    const nav = document.createElement("div");
    nav.className = "d-flex gap-2 align-items-center";
    if (i > 0) nav.appendChild(button(labels.labelPrev, "btn-outline-secondary", () => show(i - 1)));
    const last = i === steps.length - 1;
    const next = button(last ? labels.labelDone : labels.labelNext, "btn-primary", () => last ? stop() : show(i + 1));
    nav.appendChild(next);
    nav.appendChild(button(labels.labelClose, "btn-link ms-auto", stop));
    body.append(count, title, text, nav);
    card.appendChild(body);
    card.setAttribute("aria-labelledby", "walk-title");
    place();
    next.focus();
  }

  function stop() {
    clear();
    if (card) card.remove();
    card = null;
    index = -1;
    store.set(seenKey, "done");
  }

  function start() {
    const offer = document.querySelector("[data-walk-offer]");
    if (offer) offer.hidden = true;
    store.set(seenKey, "done");
    if (steps.length) show(0);
  }

  for (const b of document.querySelectorAll("[data-walk-start]")) b.addEventListener("click", start);
  document.addEventListener("keydown", (event) => {
    if (index < 0) return;
    if (event.key === "Escape") stop();
    else if (event.key === "ArrowRight" && index < steps.length - 1) show(index + 1);
    else if (event.key === "ArrowLeft" && index > 0) show(index - 1);
  });
  window.addEventListener("resize", place);
  window.addEventListener("scroll", place, { passive: true });

  // Offered once, on the home page, until taken or declined.
  const offer = document.querySelector("[data-walk-offer]");
  if (offer && host.hasAttribute("data-offer") && !store.get(seenKey)) {
    offer.hidden = false;
    offer.querySelector("[data-walk-decline]").addEventListener("click", () => {
      offer.hidden = true;
      store.set(seenKey, "declined");
    });
  }
  window.vpdtWalk = { start, stop, reset: () => store.remove(seenKey) };
})();
